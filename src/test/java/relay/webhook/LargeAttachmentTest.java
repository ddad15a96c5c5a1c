package relay.webhook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A 30 MB attachment goes out inline from a JVM whose heap (32 MB) holds neither the file nor its 40 MB JSON body:
 * proof that the body is streamed from the file, base64-encoded and signed on the fly, never held in memory whole.
 * (64 MB would still admit an implementation that keeps the finished body as one array.)
 */
class LargeAttachmentTest {
    private static final int FILE_BYTES = 30 * 1024 * 1024;
    private static final String SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    private static final byte[] BASE64_SLOT = "\"data_base64\":\"".getBytes(StandardCharsets.US_ASCII);

    @TempDir
    Path dir;

    private final HttpServer receiver = startReceiver();
    private final CompletableFuture<Received> received = new CompletableFuture<>();

    /** What the receiver saw: the decoded attachment's hash, the JSON without it, and whether the signature held. */
    private record Received(String sha256, long decodedBytes, JsonNode jsonWithoutData, boolean signatureValid) {
    }

    @AfterEach
    void stopReceiver() {
        receiver.stop(0);
    }

    @Test
    void shouldStreamA30MbAttachmentInlineFromASmallHeap() throws Exception {
        Path file = dir.resolve("big.bin");
        String sha256 = writeRandomFile(file);
        Path output = dir.resolve("child.log");
        String url = "http://127.0.0.1:" + receiver.getAddress().getPort() + "/hook";

        Process child = new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx32m",
                "-cp", System.getProperty("java.class.path"),
                LargeAttachmentSend.class.getName(),
                file.toString(), sha256, url, SECRET)
                .redirectErrorStream(true)
                .redirectOutput(output.toFile())
                .start();
        boolean exited = child.waitFor(180, TimeUnit.SECONDS);
        if (!exited) {
            child.destroyForcibly();
        }

        String log = Files.readString(output);
        assertTrue(exited, "the sender did not finish:\n" + log);
        assertEquals(0, child.exitValue(), log);
        assertTrue(log.lines().anyMatch(l -> l.startsWith("max heap ")
                && Long.parseLong(l.substring("max heap ".length())) <= 32L * 1024 * 1024), log);
        Received r = received.get(10, TimeUnit.SECONDS);
        assertEquals(FILE_BYTES, r.decodedBytes());
        assertEquals(sha256, r.sha256());
        JsonNode attachment = r.jsonWithoutData().get("data").get("attachment");
        assertEquals(sha256, attachment.get("sha256").asText());
        assertEquals(FILE_BYTES, attachment.get("size").asLong());
        assertTrue(r.signatureValid(), "webhook-signature verifies over the streamed body");
    }

    private static String writeRandomFile(Path file) throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        Random random = new Random(30);
        byte[] chunk = new byte[1024 * 1024];
        try (OutputStream out = Files.newOutputStream(file)) {
            for (int written = 0; written < FILE_BYTES; written += chunk.length) {
                random.nextBytes(chunk);
                sha.update(chunk);
                out.write(chunk);
            }
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    private HttpServer startReceiver() {
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            server.createContext("/hook", this::receive);
            server.start();
            return server;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Reads the body once, as it arrives: the JSON around the base64 value is kept, the value is only hashed. */
    private void receive(HttpExchange exchange) throws IOException {
        try (exchange) {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(Base64.getDecoder().decode(SECRET.substring("whsec_".length())), "HmacSHA256"));
            String id = exchange.getRequestHeaders().getFirst("webhook-id");
            String timestamp = exchange.getRequestHeaders().getFirst("webhook-timestamp");
            mac.update((id + "." + timestamp + ".").getBytes(StandardCharsets.UTF_8));
            InputStream in = new BufferedInputStream(new MacInputStream(exchange.getRequestBody(), mac));

            byte[] head = readThrough(in, BASE64_SLOT);
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            long decodedBytes;
            try (InputStream decoded = new DigestInputStream(Base64.getDecoder().wrap(new UntilQuote(in)), sha)) {
                decodedBytes = decoded.transferTo(OutputStream.nullOutputStream());
            }
            byte[] tail = in.readAllBytes();

            ByteArrayOutputStream json = new ByteArrayOutputStream();
            json.writeBytes(head);
            json.write('"');
            json.writeBytes(tail);
            String expected = "v1," + Base64.getEncoder().encodeToString(mac.doFinal());
            String signature = exchange.getRequestHeaders().getFirst("webhook-signature");
            received.complete(new Received(HexFormat.of().formatHex(sha.digest()), decodedBytes,
                    new ObjectMapper().readTree(json.toByteArray()), expected.equals(signature)));
            exchange.sendResponseHeaders(200, -1);
        } catch (Exception | AssertionError e) {
            received.completeExceptionally(e);
            exchange.sendResponseHeaders(500, -1);
        }
    }

    /** The bytes up to and including {@code marker}, which must come within the first 64 KiB. */
    private static byte[] readThrough(InputStream in, byte[] marker) throws IOException {
        ByteArrayOutputStream seen = new ByteArrayOutputStream();
        for (int b; (b = in.read()) != -1 && seen.size() < 64 * 1024; ) {
            seen.write(b);
            byte[] bytes = seen.toByteArray();
            if (bytes.length >= marker.length
                    && Arrays.equals(bytes, bytes.length - marker.length, bytes.length, marker, 0, marker.length)) {
                return bytes;
            }
        }
        throw new AssertionError("no " + new String(marker, StandardCharsets.US_ASCII) + " in the body: " + seen);
    }

    /** Ends at the closing quote of a JSON string without escapes (base64 has none), consuming the quote. */
    private static final class UntilQuote extends InputStream {
        private final InputStream in;
        private boolean done;

        UntilQuote(InputStream in) {
            this.in = in;
        }

        @Override
        public int read() throws IOException {
            if (done) {
                return -1;
            }
            int b = in.read();
            if (b == '"' || b == -1) {
                done = true;
                return -1;
            }
            return b;
        }

        @Override
        public int read(byte[] buffer, int off, int len) throws IOException {
            int n = 0;
            for (int b; n < len && (b = read()) != -1; n++) {
                buffer[off + n] = (byte) b;
            }
            return n == 0 && len > 0 ? -1 : n;
        }
    }

    /** Feeds every byte read into a MAC, to check the signature without keeping the body. */
    private static final class MacInputStream extends FilterInputStream {
        private final Mac mac;

        MacInputStream(InputStream in, Mac mac) {
            super(in);
            this.mac = mac;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b != -1) {
                mac.update((byte) b);
            }
            return b;
        }

        @Override
        public int read(byte[] buffer, int off, int len) throws IOException {
            int n = super.read(buffer, off, len);
            if (n > 0) {
                mac.update(buffer, off, n);
            }
            return n;
        }
    }
}
