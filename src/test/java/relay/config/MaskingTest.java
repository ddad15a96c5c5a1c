package relay.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.net.URI;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class MaskingTest {
    private static final URI TELEGRAM =
            URI.create("https://api.telegram.org/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/sendMessage");

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "https://api.telegram.org/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/sendMessage | https://api.telegram.org/…",
        "https://api.example.com/webhook/7730a1b2c3d4e5f666aa  | https://api.example.com/…",
        "https://api.example.com:8443/abcdefghijklmnop         | https://api.example.com:8443/…",
        "http://127.0.0.1:8080/demo/webhook                    | http://127.0.0.1:8080/…",
        "https://hooks.example.com/in?token=supersecretvalue   | https://hooks.example.com/…",
        "https://hooks.example.com?token=supersecretvalue      | https://hooks.example.com/…",
        "https://user:pass@example.com/hook/abcdefghij         | https://example.com/…",
        "https://user:pass@example.com                         | https://example.com",
        "http://[::1]:9000/x                                   | http://[::1]:9000/…",
        "https://example.com                                   | https://example.com",
        "https://example.com/                                  | https://example.com/",
    })
    void shouldShowOnlyTheOriginOfAWebhookUrl(String url, String masked) {
        assertEquals(masked, Masking.maskUrl(URI.create(url)));
        assertEquals(masked, Masking.maskUrl(url));
    }

    /** A configuration error shows what was given, which need not be a URL at all. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "https://api.telegram.org/bot123:AA BB/sendMessage | https://api.telegram.org/…",
        "api.telegram.org/bot123:AAsecret/sendMessage      | api.telegram.org/…",
        "ftp://files.example.com/secret                    | ftp://files.example.com/…",
        "https://user:pa/ss@example.com/x                  | https://…/…",
        "bot123456:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw      | …",
        "https://exa mple.com/x                            | https://…/…",
        "https:\\\\example.com\\secret                     | https:/…",
    })
    void shouldMaskAValueThatIsNotAValidUrl(String value, String masked) {
        assertEquals(masked, Masking.maskUrl(value));
    }

    @Test
    void shouldAnswerNullForNoUrl() {
        assertNull(Masking.maskUrl((URI) null));
        assertNull(Masking.maskUrl((String) null));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "java.io.IOException: POST https://api.telegram.org/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/sendMessage"
                + " failed | java.io.IOException: POST https://api.telegram.org/… failed",
        "Cannot POST /bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/sendMessage | Cannot POST …",
        "unknown bot bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw | unknown bot …",
        "connection reset | connection reset",
    })
    void shouldMaskTheUrlAndItsPathWhereverATextQuotesThem(String text, String masked) {
        assertEquals(masked, Masking.maskIn(text, TELEGRAM));
    }

    @Test
    void shouldMaskTheDecodedPathQueryAndCredentialsToo() {
        URI url = URI.create("https://bob:hunter2secret@hooks.example.com/in%20box/x?key=s3cr3t%2Fvalue&a=1");

        String masked = Masking.maskIn("to /in box/x?key=s3cr3t/value as bob:hunter2secret; raw key=s3cr3t%2Fvalue",
                url);

        assertFalse(masked.contains("s3cr3t"), masked);
        assertFalse(masked.contains("hunter2"), masked);
        assertFalse(masked.contains("in box"), masked);
    }
}
