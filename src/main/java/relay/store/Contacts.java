package relay.store;

import java.util.Map;

/**
 * The names the operator gives phone numbers. Phones are E.164; names are stored as given (checked by the chat
 * beforehand). Each write returns once it is durable, or throws as {@link DeliveryQueue}'s writes do.
 */
public interface Contacts {

    /** Every name given, by phone. */
    Map<String, String> all();

    /** Gives {@code phone} this name, in place of any it had. */
    void put(String phone, String name);

    /**
     * Forgets the name of {@code phone}.
     *
     * @return false when it had none
     */
    boolean remove(String phone);
}
