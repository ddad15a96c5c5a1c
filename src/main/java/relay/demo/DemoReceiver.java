package relay.demo;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.InstantSource;
import java.time.temporal.ChronoUnit;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import relay.webhook.Signer;

/**
 * A webhook receiver built into the service, so a fresh install shows the whole loop without any outside endpoint,
 * and the circuit breaker can be tried by switching it to fail. It behaves like a careful real receiver: it verifies
 * the Standard Webhooks signature when a secret is configured, acknowledges a {@code webhook-id} it has already
 * processed without processing it again, and checks an inline attachment against its SHA-256 — all while streaming,
 * so a 100 MB body is never held in memory. It keeps what it received (metadata only) for the settings page.
 */
public final class DemoReceiver {
    static final int KEPT = 100;
    private static final int REMEMBERED_IDS = 10_000;
    /** The body is drained after parsing, for the signature: the parser must not close it. */
    private static final JsonFactory JSON = JsonFactory.builder().disable(StreamReadFeature.AUTO_CLOSE_SOURCE).build();

    /** How the receiver answers: {@code healthy} 200, {@code failing} 503, {@code slow} late 200, {@code gone} 410. */
    public enum Mode {
        HEALTHY, FAILING, SLOW, GONE;

        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }

        public static Optional<Mode> fromWireName(String name) {
            for (Mode mode : values()) {
                if (mode.wireName().equals(name)) {
                    return Optional.of(mode);
                }
            }
            return Optional.empty();
        }
    }

    /**
     * One request as received.
     *
     * @param signature {@code valid}, {@code invalid} or {@code unsigned} (no secret configured)
     * @param sha256Ok  whether an inline attachment matched its declared SHA-256; null without one
     * @param duplicate a {@code webhook-id} already acknowledged before
     * @param answered  the HTTP status the receiver answered with
     */
    public record Received(String webhookId, String type, String receivedAt, String phone, String kind,
                           String filename, Long size, String signature, Boolean sha256Ok, boolean duplicate,
                           int answered) {
    }

    /** What the sender gets back. */
    public record Answer(int status, String body) {
    }

    private final Optional<Signer> signer;
    private final InstantSource clock;
    private final Duration slowDelay;
    private final Consumer<Received> listener;
    private final ReentrantLock lock = new ReentrantLock();
    // Guarded by lock.
    private Mode mode = Mode.HEALTHY;
    private final Deque<Received> received = new ArrayDeque<>();
    private final Map<String, Boolean> acknowledged = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > REMEMBERED_IDS;
        }
    };

    /**
     * @param signer    verifies signatures; empty when no WEBHOOK_SECRET is set
     * @param slowDelay how long {@code slow} mode takes to answer
     * @param listener  told of every request received (the live event stream)
     */
    public DemoReceiver(Optional<Signer> signer, InstantSource clock, Duration slowDelay, Consumer<Received> listener) {
        this.signer = signer;
        this.clock = clock;
        this.slowDelay = slowDelay;
        this.listener = listener;
    }

    public Mode mode() {
        lock.lock();
        try {
            return mode;
        } finally {
            lock.unlock();
        }
    }

    public void setMode(Mode next) {
        lock.lock();
        try {
            mode = next;
        } finally {
            lock.unlock();
        }
    }

    /** Newest first. */
    public List<Received> received() {
        lock.lock();
        try {
            return List.copyOf(received);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Reads one webhook request to its end and decides the answer. Blocks for {@code slowDelay} in slow mode, as a
     * slow endpoint would (the caller is a virtual thread).
     *
     * @param headers request header values by lower-case name
     */
    public Answer receive(Map<String, String> headers, InputStream body) throws IOException, InterruptedException {
        String id = headers.get("webhook-id");
        String timestamp = headers.get("webhook-timestamp");
        Optional<Signer.Signing> signing = signer.filter(s -> id != null && timestamp != null
                && timestamp.matches("\\d{1,12}")).map(s -> s.start(id, Long.parseLong(timestamp)));
        Parsed parsed = parse(new SigningStream(body, signing));
        String signature = signer.isEmpty() ? "unsigned" : signing.map(s -> Signer.headerContains(
                headers.get("webhook-signature"), s.signature()) ? "valid" : "invalid").orElse("invalid");
        Mode now = mode();
        if (now == Mode.SLOW) {
            Thread.sleep(slowDelay);
        }
        int status = answer(now, parsed, signature);
        boolean duplicate = status == 200 && id != null && !firstAcknowledgement(id);
        record(new Received(id, parsed.type, clock.instant().truncatedTo(ChronoUnit.MILLIS).toString(), parsed.phone, parsed.kind, parsed.filename,
                parsed.size, signature, parsed.sha256Ok(), duplicate, status));
        return new Answer(status, status == 200 ? "{\"ok\":true,\"duplicate\":" + duplicate + "}"
                : "{\"ok\":false,\"error\":\"" + reason(status) + "\"}");
    }

    private static int answer(Mode mode, Parsed parsed, String signature) {
        return switch (mode) {
            case FAILING -> 503;
            case GONE -> 410;
            case HEALTHY, SLOW -> parsed.valid ? (signature.equals("invalid") ? 401 : 200) : 400;
        };
    }

    private static String reason(int status) {
        return switch (status) {
            case 400 -> "the body is not valid webhook JSON";
            case 401 -> "the signature does not verify";
            case 410 -> "this endpoint is gone";
            default -> "the demo receiver is set to fail";
        };
    }

    private boolean firstAcknowledgement(String id) {
        lock.lock();
        try {
            return acknowledged.put(id, Boolean.TRUE) == null;
        } finally {
            lock.unlock();
        }
    }

    private void record(Received item) {
        lock.lock();
        try {
            received.addFirst(item);
            if (received.size() > KEPT) {
                received.removeLast();
            }
        } finally {
            lock.unlock();
        }
        listener.accept(item);
    }

    /** The fields worth listing, read in one streaming pass; the base64 attachment is decoded only to be hashed. */
    private static final class Parsed {
        boolean valid;
        String type;
        String phone;
        String kind;
        String filename;
        Long size;
        String declaredSha256;
        String actualSha256;

        Boolean sha256Ok() {
            return actualSha256 == null ? null : actualSha256.equals(declaredSha256);
        }
    }

    private static Parsed parse(InputStream body) throws IOException {
        Parsed parsed = new Parsed();
        try (JsonParser parser = JSON.createParser(body)) {
            walk(parser, parsed);
            parsed.valid = parsed.type != null;
        } catch (JsonProcessingException e) {
            parsed.valid = false;
        }
        if (parsed.kind == null && "message".equals(parsed.type)) {
            parsed.kind = "text";
        }
        body.transferTo(OutputStream.nullOutputStream());
        return parsed;
    }

    private static void walk(JsonParser parser, Parsed parsed) throws IOException {
        List<String> path = new ArrayList<>();
        String field = null;
        for (JsonToken token = parser.nextToken(); token != null; token = parser.nextToken()) {
            switch (token) {
                case FIELD_NAME -> field = parser.currentName();
                case START_OBJECT, START_ARRAY -> {
                    path.add(field == null ? "" : field);
                    field = null;
                }
                case END_OBJECT, END_ARRAY -> path.removeLast();
                default -> {
                    read(parser, parsed, String.join(".", path) + "." + field);
                    field = null;
                }
            }
        }
    }

    private static void read(JsonParser parser, Parsed parsed, String where) throws IOException {
        switch (where) {
            case ".type" -> parsed.type = parser.getValueAsString();
            case ".data.phone" -> parsed.phone = parser.getValueAsString();
            case ".data.attachment.kind" -> parsed.kind = parser.getValueAsString();
            case ".data.attachment.filename" -> parsed.filename = parser.getValueAsString();
            case ".data.attachment.size" -> parsed.size = parser.getValueAsLong();
            case ".data.attachment.sha256" -> parsed.declaredSha256 = parser.getValueAsString();
            case ".data.attachment.data_base64" -> parsed.actualSha256 = sha256OfBase64(parser);
            default -> {
                // not listed; Jackson skips an unread string without buffering it
            }
        }
    }

    private static String sha256OfBase64(JsonParser parser) throws IOException {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
        parser.readBinaryValue(new DigestOutputStream(OutputStream.nullOutputStream(), digest));
        return HexFormat.of().formatHex(digest.digest());
    }

    /** Feeds every byte read to the signature, so it is computed over exactly what arrived. */
    private static final class SigningStream extends FilterInputStream {
        private final Optional<Signer.Signing> signing;

        SigningStream(InputStream in, Optional<Signer.Signing> signing) {
            super(in);
            this.signing = signing;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                signing.ifPresent(s -> s.update(new byte[] {(byte) b}, 0, 1));
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                signing.ifPresent(s -> s.update(b, off, n));
            }
            return n;
        }

        /** Skipped bytes are read too: the signature covers every byte of the body. */
        @Override
        public long skip(long n) throws IOException {
            byte[] sink = new byte[(int) Math.min(8192, Math.max(n, 0))];
            int read = sink.length == 0 ? 0 : read(sink, 0, sink.length);
            return Math.max(read, 0);
        }
    }
}
