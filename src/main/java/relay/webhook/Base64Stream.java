package relay.webhook;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.Base64;

/** Reads another stream as standard base64 (with padding, no line breaks), a chunk at a time. */
final class Base64Stream extends InputStream {
    /** A multiple of 3, so only the last chunk can end in padding. */
    private static final int CHUNK = 3 * 16 * 1024;

    private final InputStream source;
    private final Base64.Encoder encoder = Base64.getEncoder();
    private final byte[] raw = new byte[CHUNK];
    private final byte[] encoded = new byte[CHUNK / 3 * 4];
    private int position;
    private int limit;
    private boolean sourceDone;

    Base64Stream(InputStream source) {
        this.source = source;
    }

    static long encodedLength(long bytes) {
        return (bytes + 2) / 3 * 4;
    }

    @Override
    public int read() throws IOException {
        return fill() ? encoded[position++] & 0xFF : -1;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        if (!fill()) {
            return -1;
        }
        int n = Math.min(len, limit - position);
        System.arraycopy(encoded, position, b, off, n);
        position += n;
        return n;
    }

    @Override
    public void close() throws IOException {
        source.close();
    }

    /** Makes encoded bytes available; false at the end. */
    private boolean fill() throws IOException {
        if (position < limit) {
            return true;
        }
        if (sourceDone) {
            return false;
        }
        int n = source.readNBytes(raw, 0, CHUNK);
        sourceDone = n < CHUNK;
        if (n == 0) {
            return false;
        }
        limit = n == CHUNK ? encoder.encode(raw, encoded) : encoder.encode(Arrays.copyOf(raw, n), encoded);
        position = 0;
        return true;
    }
}
