package relay.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.URI;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class MaskingTest {

    @ParameterizedTest
    @CsvSource({
        "https://api.example.com/webhook/7730a1b2c3d4e5f666aa, https://api.example.com/webhook/7730…66aa",
        "https://api.example.com/abcdefghijklmnop, https://api.example.com/abcd…mnop",
        "http://127.0.0.1:8080/demo/webhook, http://127.0.0.1:8080/demo/…",
        "https://hooks.example.com/in?token=supersecretvalue, https://hooks.example.com/in?t…alue",
        "https://user:pass@example.com/hook/abcdefghij, https://example.com/hook/abcd…ghij",
        "https://example.com, https://example.com",
        "https://example.com/, https://example.com/",
    })
    void shouldHideThePathAndQueryOfAWebhookUrl(String url, String masked) {
        assertEquals(masked, Masking.maskUrl(URI.create(url)));
    }
}
