package relay.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** What every backend's {@link Contacts} promises; a backend's test subclasses this and says how it opens. */
public abstract class ContactsContract extends StoreContract {
    private static final String ALICE = "+5511999990001";
    private static final String BOB = "+5511999990002";

    /** The contacts of the backend {@link #open} opened last. */
    protected abstract Contacts contacts();

    @Test
    void shouldKeepOneNamePerPhoneAcrossARestart() throws Exception {
        contacts().put(ALICE, "Ângela Souza 🌻");
        contacts().put(BOB, "Bob");

        reopen();

        assertEquals(Map.of(ALICE, "Ângela Souza 🌻", BOB, "Bob"), contacts().all());
    }

    @Test
    void shouldReplaceANameAndForgetIt() {
        contacts().put(ALICE, "Ana");
        contacts().put(ALICE, "Ana Maria");
        contacts().put(BOB, "Bob");

        assertEquals(Map.of(ALICE, "Ana Maria", BOB, "Bob"), contacts().all());
        assertTrue(contacts().remove(ALICE));
        assertFalse(contacts().remove(ALICE), "it has no name any more");
        assertEquals(Map.of(BOB, "Bob"), contacts().all());
    }

    @Test
    void shouldHaveNoNamesAtFirst() {
        assertEquals(Map.of(), contacts().all());
        assertFalse(contacts().remove(ALICE));
    }
}
