package relay.webhook;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;
import java.util.zip.GZIPInputStream;
import java.util.zip.Inflater;
import java.util.zip.InflaterInputStream;

/**
 * Reads only the start of a response body and turns it into text: the first 512 bytes after undoing gzip or deflate
 * (the JDK client does not), as lenient UTF-8. Reading stops, and the rest is discarded, once enough has arrived.
 */
final class ResponseSnippet implements HttpResponse.BodySubscriber<String> {
    static final int SNIPPET_BYTES = 512;
    /** Compressed input needed for 512 decoded bytes, with room for a long gzip header. */
    private static final int MAX_COMPRESSED_BYTES = 16 * 1024;

    private final String encoding;
    private final int limit;
    private final ByteArrayOutputStream raw = new ByteArrayOutputStream();
    private final CompletableFuture<String> text = new CompletableFuture<>();
    // Reactive Streams calls onSubscribe and onNext one after another, never at once.
    private Flow.Subscription subscription;

    private ResponseSnippet(String encoding) {
        this.encoding = encoding;
        this.limit = encoding.isEmpty() || encoding.equals("identity") ? SNIPPET_BYTES : MAX_COMPRESSED_BYTES;
    }

    static HttpResponse.BodyHandler<String> handler() {
        return info -> new ResponseSnippet(info.headers().firstValue("content-encoding").orElse("")
                .strip().toLowerCase(Locale.ROOT));
    }

    @Override
    public void onSubscribe(Flow.Subscription s) {
        subscription = s;
        s.request(1);
    }

    @Override
    public void onNext(List<ByteBuffer> buffers) {
        for (ByteBuffer buffer : buffers) {
            int n = Math.min(buffer.remaining(), limit - raw.size());
            byte[] bytes = new byte[n];
            buffer.get(bytes);
            raw.writeBytes(bytes);
        }
        if (raw.size() >= limit) {
            subscription.cancel();
            onComplete();
        } else {
            subscription.request(1);
        }
    }

    @Override
    public void onError(Throwable error) {
        text.completeExceptionally(error);
    }

    @Override
    public void onComplete() {
        text.complete(decode(raw.toByteArray(), encoding));
    }

    @Override
    public CompletionStage<String> getBody() {
        return text;
    }

    static String decode(byte[] raw, String encoding) {
        return switch (encoding) {
            case "", "identity" -> utf8(raw, raw.length);
            case "gzip", "x-gzip" -> gunzip(raw);
            case "deflate" -> inflate(raw);
            default -> "[" + encoding + "-encoded body not shown]";
        };
    }

    private static String gunzip(byte[] raw) {
        try {
            return readStart(new GZIPInputStream(new ByteArrayInputStream(raw)));
        } catch (IOException e) {
            return "[unreadable gzip body]";
        }
    }

    /** HTTP's deflate is zlib-wrapped, but some servers send raw deflate; the first two bytes tell them apart. */
    private static String inflate(byte[] raw) {
        boolean zlib = raw.length >= 2 && (raw[0] & 0x0F) == 8 && ((raw[0] & 0xFF) << 8 | raw[1] & 0xFF) % 31 == 0;
        Inflater inflater = new Inflater(!zlib);
        try {
            return readStart(new InflaterInputStream(new ByteArrayInputStream(raw), inflater));
        } finally {
            inflater.end();
        }
    }

    /** Decodes what it can: the compressed input was cut off on purpose, so running out early is expected. */
    private static String readStart(InputStream in) {
        byte[] out = new byte[SNIPPET_BYTES];
        int n = 0;
        try (in) {
            for (int r; n < out.length && (r = in.read(out, n, out.length - n)) != -1; ) {
                n += r;
            }
        } catch (IOException e) {
            // Keep the n bytes decoded before the input ran out or went bad.
        }
        return utf8(out, n);
    }

    private static String utf8(byte[] bytes, int length) {
        return new String(bytes, 0, Math.min(length, SNIPPET_BYTES), StandardCharsets.UTF_8);
    }
}
