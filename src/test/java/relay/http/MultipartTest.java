package relay.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import relay.testing.Forms;

/** The streaming form reader, including boundaries that straddle its buffer and inputs that arrive a byte at a time. */
class MultipartTest {
    private static final String BOUNDARY = "----form-boundary-7MA4YWxkTrZu0gW";

    private static byte[] form(byte[] file) {
        return Forms.multipart(BOUNDARY, List.of(
                new Forms.Part("phone", null, null, "+5511999999999".getBytes(StandardCharsets.UTF_8)),
                new Forms.Part("file", "a \\\"quoted\\\".bin", "application/octet-stream", file)));
    }

    /** Hands out at most {@code chunk} bytes per read, as a slow network would. */
    private static InputStream trickle(byte[] bytes, int chunk) {
        return new FilterInputStream(new ByteArrayInputStream(bytes)) {
            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                return super.read(b, off, Math.min(len, chunk));
            }
        };
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 7, 4096, 65536, 1 << 20})
    void shouldReadFieldsAndAFileWhateverTheReadSizes(int chunk) throws IOException {
        byte[] file = new byte[200_000];
        new Random(42).nextBytes(file);
        // Bytes that look like the start of a boundary must stay part of the file.
        System.arraycopy(("\r\n--" + BOUNDARY.substring(0, 10)).getBytes(StandardCharsets.US_ASCII), 0, file, 65_530,
                14);
        Multipart multipart = Multipart.of(trickle(form(file), chunk), "multipart/form-data; boundary=" + BOUNDARY);

        Multipart.Part phone = multipart.next().orElseThrow();
        assertEquals("phone", phone.name());
        assertNull(phone.filename());
        assertEquals("+5511999999999", new String(phone.body().readAllBytes(), StandardCharsets.UTF_8));
        Multipart.Part upload = multipart.next().orElseThrow();
        assertEquals("file", upload.name());
        assertEquals("a \"quoted\".bin", upload.filename());
        assertEquals("application/octet-stream", upload.contentType());
        assertArrayEquals(file, upload.body().readAllBytes());
        assertEquals(Optional.empty(), multipart.next());
    }

    @Test
    void shouldSkipAPartTheCallerDidNotRead() throws IOException {
        Multipart multipart = Multipart.of(new ByteArrayInputStream(form(new byte[100_000])),
                "multipart/form-data; boundary=\"" + BOUNDARY + "\"");

        multipart.next();
        assertEquals("file", multipart.next().orElseThrow().name());
        assertTrue(multipart.next().isEmpty());
    }

    @Test
    void shouldRefuseABodyThatEndsBeforeItsClosingBoundary() throws IOException {
        byte[] whole = form(new byte[1000]);
        byte[] cut = java.util.Arrays.copyOf(whole, whole.length - 20);
        Multipart multipart = Multipart.of(new ByteArrayInputStream(cut), "multipart/form-data; boundary=" + BOUNDARY);
        multipart.next();
        Multipart.Part file = multipart.next().orElseThrow();

        ApiException refused = assertThrows(ApiException.class, () -> file.body().readAllBytes());

        assertEquals("invalid_multipart", refused.code());
    }

    @Test
    void shouldRefuseAPartWithoutAName() {
        String body = "--" + BOUNDARY + "\r\nContent-Disposition: form-data\r\n\r\nx\r\n--" + BOUNDARY + "--\r\n";
        Multipart multipart = Multipart.of(new ByteArrayInputStream(body.getBytes(StandardCharsets.UTF_8)),
                "multipart/form-data; boundary=" + BOUNDARY);

        assertEquals("invalid_multipart", assertThrows(ApiException.class, multipart::next).code());
    }
}
