package relay.store;

import java.util.Map;

/**
 * The configuration the operator saved while the service ran, by key, kept across restarts. Values are stored as
 * given (the configuration checks them before saving). Each write returns once it is durable, or throws as
 * {@link DeliveryQueue}'s writes do.
 */
public interface SettingsStore {

    /** Every saved value, by key. */
    Map<String, String> all();

    /** Makes {@code settings} the whole of what is saved, at once: a key it lacks is no longer saved. */
    void replace(Map<String, String> settings);
}
