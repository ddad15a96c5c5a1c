package relay.http;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a {@code multipart/form-data} body part by part, streaming: a file part is handed out as a stream that ends at
 * the next boundary, so a 100 MB upload is never held in memory. Written for what {@code curl -F} and browsers send;
 * anything malformed is refused with a 400.
 */
final class Multipart {
    private static final int BUFFER_BYTES = 64 * 1024;
    private static final int MAX_HEADER_BYTES = 8 * 1024;
    private static final int MAX_PARTS = 16;
    private static final Pattern BOUNDARY = Pattern.compile("(?i)boundary=(?:\"([^\"]{1,70})\"|([^;\\s]{1,70}))");
    private static final Pattern PARAM = Pattern.compile(";\\s*([A-Za-z*]+)=(?:\"((?:[^\"\\\\]|\\\\.)*)\"|([^;\\s]*))");

    /**
     * One part, positioned at its body.
     *
     * @param filename null for a plain field
     */
    record Part(String name, String filename, String contentType, InputStream body) {
    }

    private final InputStream in;
    private final byte[] delimiter;
    private final byte[] buffer;
    private int pos;
    private int limit;
    private boolean eof;
    private boolean finished;
    private int parts;
    private PartStream current;

    private Multipart(InputStream in, String boundary) {
        this.in = in;
        this.delimiter = ("\r\n--" + boundary).getBytes(StandardCharsets.ISO_8859_1);
        this.buffer = new byte[BUFFER_BYTES + delimiter.length];
        // The first boundary has no CRLF before it; pretend it had one so every boundary looks the same.
        buffer[0] = '\r';
        buffer[1] = '\n';
        limit = 2;
    }

    /** @param contentType the request's whole Content-Type header, which carries the boundary */
    static Multipart of(InputStream in, String contentType) {
        Matcher m = BOUNDARY.matcher(contentType);
        if (!m.find()) {
            throw invalid("Content-Type multipart/form-data needs a boundary");
        }
        return new Multipart(in, m.group(1) != null ? m.group(1) : m.group(2));
    }

    /** The next part, after skipping what is left of the previous one; empty after the closing boundary. */
    Optional<Part> next() throws IOException {
        if (current == null) {
            current = new PartStream();
        }
        current.skipRest();
        if (finished) {
            return Optional.empty();
        }
        if (++parts > MAX_PARTS) {
            throw invalid("more than " + MAX_PARTS + " parts");
        }
        Map<String, String> headers = readHeaders();
        String disposition = headers.getOrDefault("content-disposition", "");
        if (!disposition.toLowerCase(Locale.ROOT).startsWith("form-data")) {
            throw invalid("each part needs Content-Disposition: form-data");
        }
        Map<String, String> params = params(disposition);
        String name = params.get("name");
        if (name == null || name.isEmpty()) {
            throw invalid("a part has no name");
        }
        current = new PartStream();
        return Optional.of(new Part(name, params.get("filename"), headers.get("content-type"), current));
    }

    /** After a delimiter: {@code --} ends the body, CRLF starts the next part's headers. */
    private void afterDelimiter() throws IOException {
        if (!fill(2)) {
            throw invalid("the body ends inside a boundary");
        }
        if (buffer[pos] == '-' && buffer[pos + 1] == '-') {
            finished = true;
            return;
        }
        if (buffer[pos] != '\r' || buffer[pos + 1] != '\n') {
            throw invalid("a boundary is not followed by CRLF");
        }
        pos += 2;
    }

    private Map<String, String> readHeaders() throws IOException {
        Map<String, String> headers = new HashMap<>();
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int total = 0;
        while (true) {
            if (!fill(1)) {
                throw invalid("the body ends inside a part's headers");
            }
            byte b = buffer[pos++];
            if (++total > MAX_HEADER_BYTES) {
                throw invalid("a part's headers are too long");
            }
            if (b != '\n') {
                line.write(b);
                continue;
            }
            String text = line.toString(StandardCharsets.UTF_8).stripTrailing();
            line.reset();
            if (text.isEmpty()) {
                return headers;
            }
            int colon = text.indexOf(':');
            if (colon <= 0) {
                throw invalid("a part header is not Name: value");
            }
            headers.put(text.substring(0, colon).strip().toLowerCase(Locale.ROOT), text.substring(colon + 1).strip());
        }
    }

    private static Map<String, String> params(String disposition) {
        Map<String, String> params = new HashMap<>();
        Matcher m = PARAM.matcher(disposition);
        while (m.find()) {
            String value = m.group(2) != null ? m.group(2).replaceAll("\\\\(.)", "$1") : m.group(3);
            params.putIfAbsent(m.group(1).toLowerCase(Locale.ROOT), value);
        }
        return params;
    }

    /** Makes at least {@code n} unread bytes available; false when the input ends first. */
    private boolean fill(int n) throws IOException {
        if (limit - pos >= n) {
            return true;
        }
        System.arraycopy(buffer, pos, buffer, 0, limit - pos);
        limit -= pos;
        pos = 0;
        while (limit < n && !eof) {
            int read = in.read(buffer, limit, buffer.length - limit);
            if (read < 0) {
                eof = true;
            } else {
                limit += read;
            }
        }
        return limit - pos >= n;
    }

    private int indexOfDelimiter() {
        for (int i = pos; i <= limit - delimiter.length; i++) {
            if (buffer[i] == delimiter[0]
                    && Arrays.equals(buffer, i, i + delimiter.length, delimiter, 0, delimiter.length)) {
                return i;
            }
        }
        return -1;
    }

    private static ApiException invalid(String why) {
        return new ApiException(400, "invalid_multipart", "The multipart body is malformed: " + why);
    }

    /** A part's body: the bytes up to the next delimiter, which it consumes when it reaches it. */
    private final class PartStream extends InputStream {
        private boolean ended;

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (ended) {
                return -1;
            }
            if (len == 0) {
                return 0;
            }
            while (true) {
                boolean enough = fill(Math.min(buffer.length, limit - pos + delimiter.length));
                int at = indexOfDelimiter();
                int available = at >= 0 ? at - pos : limit - pos - (delimiter.length - 1);
                if (at == pos) {
                    ended = true;
                    pos += delimiter.length;
                    afterDelimiter();
                    return -1;
                }
                if (available > 0) {
                    int n = Math.min(len, available);
                    System.arraycopy(buffer, pos, b, off, n);
                    pos += n;
                    return n;
                }
                if (!enough && eof) {
                    throw invalid("the body ends without a closing boundary");
                }
            }
        }

        void skipRest() throws IOException {
            byte[] sink = new byte[8192];
            while (read(sink, 0, sink.length) >= 0) {
                // discard
            }
        }
    }
}
