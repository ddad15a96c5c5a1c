package relay.store;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** What every backend's {@link SettingsStore} promises; a backend's test subclasses this and says how it opens. */
public abstract class SettingsStoreContract extends StoreContract {

    /** The settings of the backend {@link #open} opened last. */
    protected abstract SettingsStore settings();

    @Test
    void shouldHaveNothingSavedAtFirst() {
        assertEquals(Map.of(), settings().all());
    }

    @Test
    void shouldKeepWhatWasSavedAcrossARestart() throws Exception {
        settings().replace(Map.of("WEBHOOK_URL", "https://hooks.example.com/a?t=ção", "WEBHOOK_TIMEOUT", "12"));

        reopen();

        assertEquals(Map.of("WEBHOOK_URL", "https://hooks.example.com/a?t=ção", "WEBHOOK_TIMEOUT", "12"),
                settings().all());
    }

    @Test
    void shouldReplaceTheWholeOfWhatIsSaved() {
        settings().replace(Map.of("WEBHOOK_URL", "https://a.example.com/", "WEBHOOK_TIMEOUT", "12"));

        settings().replace(Map.of("WEBHOOK_URL", "https://b.example.com/", "CIRCUIT_OPEN_SECONDS", "30"));

        assertEquals(Map.of("WEBHOOK_URL", "https://b.example.com/", "CIRCUIT_OPEN_SECONDS", "30"), settings().all());
        settings().replace(Map.of());
        assertEquals(Map.of(), settings().all());
    }
}
