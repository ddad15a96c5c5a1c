package relay.store.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.SequenceInputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.time.InstantSource;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import relay.AppProcess;
import relay.store.AttachmentStore;
import relay.testing.InlineAttachment;
import relay.testing.Postgres;

/**
 * A 100 MiB attachment goes into PostgreSQL and back out through a JVM whose heap is far smaller than it: both ways
 * the bytes stream a chunk at a time. Run in a child JVM so that the heap limit is real. First the store alone, then
 * the whole service at -Xmx128m: uploaded over HTTP, kept in PostgreSQL, delivered inline to a webhook.
 */
class LargeAttachmentProcessTest {
    private static final long SIZE = 100L * 1024 * 1024;
    private static final String HEAP = "-Xmx48m";
    private static final String SERVICE_HEAP = "-Xmx128m";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path folder;

    @Test
    void shouldStoreAndReadBackAHundredMebibytesThroughASmallHeap() throws Exception {
        Postgres.Database database = Postgres.newDatabase();
        Path output = folder.resolve("child.out");
        ProcessBuilder child = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), HEAP, "-XX:+ExitOnOutOfMemoryError", "-cp", System.getProperty("java.class.path"),
                LargeAttachmentProcessTest.class.getName()))
                .redirectErrorStream(true).redirectOutput(output.toFile());
        // The password travels in the environment, never on a command line others can list.
        child.environment().put("RELAY_TEST_JDBC_URL", database.jdbcUrl());
        child.environment().put("RELAY_TEST_USER", database.user());
        child.environment().put("RELAY_TEST_PASSWORD", database.password());

        Process process = child.start();
        boolean finished = process.waitFor(5, TimeUnit.MINUTES);
        if (!finished) {
            process.destroyForcibly();
        }

        String said = Files.readString(output);
        assertTrue(finished, "the child did not finish: " + said);
        assertEquals(0, process.exitValue(), said);
        assertTrue(said.contains("stored and read back " + SIZE + " bytes"), said);
    }

    /**
     * The service in its own JVM at {@code -Xmx128m} on PostgreSQL: a 100 MiB PDF uploaded through the API, sent as a
     * message and delivered inline; the receiver decodes the base64 as it streams in and checks the SHA-256 of the
     * bytes against the sender's and the body's own.
     */
    @Test
    void shouldDeliverAHundredMebibytesInlineFromAServiceAt128MiBOnPostgres() throws Exception {
        Postgres.Database database = Postgres.newDatabase();
        CompletableFuture<InlineAttachment> received = new CompletableFuture<>();
        HttpServer receiver = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        receiver.createContext("/hook", exchange -> {
            try (exchange) {
                InlineAttachment attachment = InlineAttachment.read(exchange.getRequestBody());
                received.complete(attachment);
                exchange.sendResponseHeaders(attachment.intact() ? 200 : 422, -1);
            } catch (IOException | RuntimeException e) {
                received.completeExceptionally(e);
                throw e;
            }
        });
        receiver.start();
        Map<String, String> env = Map.of("PORT", "0", "DATA_DIR", folder.resolve("data").toString(),
                "DEMO_RECEIVER", "false", "DATABASE_URL", database.url(),
                "WEBHOOK_URL", "http://127.0.0.1:" + receiver.getAddress().getPort() + "/hook");
        try (AppProcess app = AppProcess.start(folder, env, SERVICE_HEAP, "-XX:+ExitOnOutOfMemoryError");
             HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
            int port = app.awaitStarted();
            MessageDigest sent = MessageDigest.getInstance("SHA-256");
            HttpResponse<String> upload = client.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + port + "/chat/attachments"))
                    .header("Content-Type", "application/pdf").header("X-Filename", "large.pdf")
                    .POST(HttpRequest.BodyPublishers.fromPublisher(HttpRequest.BodyPublishers.ofInputStream(
                            () -> new DigestInputStream(pdf(SIZE), sent)), SIZE)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(201, upload.statusCode(), upload.body());
            String attachmentId = JSON.readTree(upload.body()).path("id").asText();
            HttpResponse<String> message = client.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + port + "/chat/messages"))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
                            "{\"phone\":\"+5511999999999\",\"attachment_id\":\"" + attachmentId + "\"}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(202, message.statusCode(), message.body());

            InlineAttachment delivered = received.get(5, TimeUnit.MINUTES);
            assertEquals(SIZE, delivered.decodedBytes());
            assertEquals(HexFormat.of().formatHex(sent.digest()), delivered.decodedSha256(), "the bytes sent");
            assertTrue(delivered.intact(), "the bytes the body announces");
            app.terminate();
            assertEquals(0, app.awaitExit(), app.output());
            assertFalse(app.output().contains("OutOfMemoryError"), app.output());
        } finally {
            receiver.stop(0);
        }
    }

    /** The child: uploads {@link #SIZE} generated bytes and reads them back, comparing their SHA-256. */
    public static void main(String[] args) throws Exception {
        try (PostgresStore store = PostgresStore.open(System.getenv("RELAY_TEST_JDBC_URL"),
                System.getenv("RELAY_TEST_USER"), System.getenv("RELAY_TEST_PASSWORD"), "the test database", 2,
                InstantSource.system())) {
            MessageDigest sent = MessageDigest.getInstance("SHA-256");
            var stored = (AttachmentStore.Written.Stored) store.upload(
                    new DigestInputStream(counting(SIZE), sent), SIZE);
            MessageDigest received = MessageDigest.getInstance("SHA-256");
            try (InputStream in = new DigestInputStream(Channels.newInputStream(store.open(stored.sha256())),
                    received)) {
                in.transferTo(OutputStream.nullOutputStream());
            }
            String sentHex = HexFormat.of().formatHex(sent.digest());
            String receivedHex = HexFormat.of().formatHex(received.digest());
            if (!sentHex.equals(stored.sha256()) || !sentHex.equals(receivedHex) || stored.size() != SIZE) {
                System.out.println("different: sent " + sentHex + ", stored " + stored.sha256() + ", read back "
                        + receivedHex);
                System.exit(1);
            }
            System.out.println("stored and read back " + stored.size() + " bytes under " + HEAP);
        }
    }

    /** A PDF to the service (its kind comes from the first bytes) of {@code size} bytes counting up after that. */
    private static InputStream pdf(long size) {
        byte[] magic = "%PDF-1.4\n".getBytes(StandardCharsets.US_ASCII);
        return new SequenceInputStream(new ByteArrayInputStream(magic), counting(size - magic.length));
    }

    /** A stream of {@code size} bytes counting up, made as it is read. */
    private static InputStream counting(long size) {
        return new InputStream() {
            private long position;

            @Override
            public int read() {
                return position < size ? (int) (position++ & 0xFF) : -1;
            }

            @Override
            public int read(byte[] bytes, int offset, int length) {
                if (position >= size) {
                    return -1;
                }
                int count = (int) Math.min(length, size - position);
                for (int i = 0; i < count; i++) {
                    bytes[offset + i] = (byte) (position++ & 0xFF);
                }
                return count;
            }
        };
    }
}
