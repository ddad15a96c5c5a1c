package relay.webhook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.GZIPOutputStream;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import mockwebserver3.SocketEffect;
import mockwebserver3.junit5.StartStop;
import okio.Buffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import relay.domain.Attachment;
import relay.domain.Message;
import relay.domain.MessageKind;
import relay.testing.FakeClock;

class WebhookSenderTest {
    private static final String SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    private static final Instant NOW = Instant.parse("2025-01-01T12:00:00Z");
    private static final String USER_AGENT = "WhatsApp-Chat-Viewer-Webhook/1.0";

    @StartStop
    public final MockWebServer server = new MockWebServer();

    @TempDir
    Path dir;

    private final FakeClock clock = new FakeClock(NOW);
    private final HttpClient client = WebhookSender.newHttpClient(Duration.ofSeconds(5));

    @AfterEach
    void closeClient() {
        client.close();
    }

    @Test
    void shouldSendTheStandardWebhooksHeadersAndASignatureThatVerifies() throws Exception {
        server.enqueue(new MockResponse.Builder().code(200).body("{\"ok\":true}").build());
        WebhookBody body = WebhookBody.testEvent(NOW, "evt_1");

        AttemptResult result = sender(Optional.of(new Signer(SECRET)), Duration.ofSeconds(5)).send("msg_1", body);

        AttemptResult.Response response = assertInstanceOf(AttemptResult.Response.class, result);
        assertEquals(200, response.statusCode());
        assertEquals("{\"ok\":true}", response.bodySnippet());
        RecordedRequest request = server.takeRequest();
        assertEquals("POST", request.getMethod());
        assertEquals("application/json", request.getHeaders().get("Content-Type"));
        assertEquals("application/json", request.getHeaders().get("Accept"));
        assertEquals("gzip, deflate", request.getHeaders().get("Accept-Encoding"));
        assertEquals(USER_AGENT, request.getHeaders().get("User-Agent"));
        assertEquals("close", request.getHeaders().get("Connection"));
        assertEquals(Long.toString(body.length()), request.getHeaders().get("Content-Length"));
        assertEquals("msg_1", request.getHeaders().get("webhook-id"));
        assertEquals(Long.toString(NOW.getEpochSecond()), request.getHeaders().get("webhook-timestamp"));
        byte[] sent = request.getBody().toByteArray();
        assertEquals(expectedSignature("msg_1", NOW.getEpochSecond(), sent), request.getHeaders().get("webhook-signature"));
        assertEquals("webhook.test", new ObjectMapper().readTree(sent).get("type").asText());
    }

    @Test
    void shouldSendAMessageWithItsAttachmentAsJson() throws Exception {
        server.enqueue(new MockResponse.Builder().code(204).build());
        byte[] file = "%PDF-1.7 pretend".getBytes(StandardCharsets.UTF_8);
        Files.write(dir.resolve("cafe"), file);
        Attachment a = new Attachment("att_1", MessageKind.PDF, "invoice.pdf", "application/pdf", file.length, "cafe",
                NOW);
        Message m = new Message("msg_9", "+5511999999999", 3, "the invoice", a, NOW);

        AttemptResult result = sender(Optional.empty(), Duration.ofSeconds(5))
                .send("msg_9", WebhookBody.forMessage(m, sha -> Files.newByteChannel(dir.resolve(sha)), null));

        assertEquals(204, assertInstanceOf(AttemptResult.Response.class, result).statusCode());
        RecordedRequest request = server.takeRequest();
        assertNull(request.getHeaders().get("webhook-signature"));
        JsonNode data = new ObjectMapper().readTree(request.getBody().toByteArray()).get("data");
        assertEquals("msg_9", data.get("id").asText());
        assertEquals("+5511999999999", data.get("phone").asText());
        assertEquals(3, data.get("sequence").asInt());
        assertEquals("the invoice", data.get("text").asText());
        assertEquals("pdf", data.get("attachment").get("kind").asText());
        assertEquals(Base64.getEncoder().encodeToString(file), data.get("attachment").get("data_base64").asText());
    }

    @Test
    void shouldNotFollowRedirects() {
        server.enqueue(new MockResponse.Builder().code(302).addHeader("Location", server.url("/elsewhere")).build());
        server.enqueue(new MockResponse.Builder().code(200).build());

        AttemptResult result = sender(Optional.empty(), Duration.ofSeconds(5)).send("msg_1", testBody());

        AttemptResult.Response response = assertInstanceOf(AttemptResult.Response.class, result);
        assertEquals(302, response.statusCode());
        assertEquals(server.url("/elsewhere").toString(), response.headers().get("location").getFirst());
        assertEquals(1, server.getRequestCount(), "no request to the redirect target");
    }

    /**
     * The JDK client pools a connection unless the response says {@code Connection: close}, whatever the request
     * said; a receiver that closes without saying so leaves a dead connection for the next attempt to pick up.
     */
    @Test
    void shouldSucceedAgainstAReceiverThatClosesAfterAnsweringWithoutSayingSo() throws Exception {
        try (ServerSocket receiver = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread.ofVirtual().start(() -> answerThenCloseLate(receiver));
            WebhookSender sender = new WebhookSender(client, URI.create("http://127.0.0.1:" + receiver.getLocalPort()
                    + "/hook"), USER_AGENT, Optional.empty(), Duration.ofSeconds(5), 1024, false, clock);

            for (int i = 1; i <= 3; i++) {
                AttemptResult result = sender.send("msg_" + i, testBody());

                assertEquals(200, assertInstanceOf(AttemptResult.Response.class, result, result.toString())
                        .statusCode());
            }
        }
    }

    /** Answers each connection's first request with a bare 200, then closes it a little later without a word. */
    private static void answerThenCloseLate(ServerSocket receiver) {
        while (!receiver.isClosed()) {
            try {
                Socket socket = receiver.accept();
                Thread.ofVirtual().start(() -> {
                    try (socket) {
                        InputStream in = socket.getInputStream();
                        String head = readHead(in);
                        long length = Long.parseLong(head.replaceAll("(?is).*content-length:\\s*(\\d+).*", "$1"));
                        in.readNBytes((int) length);
                        socket.getOutputStream().write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
                                .getBytes(StandardCharsets.US_ASCII));
                        Thread.sleep(300);
                    } catch (IOException | InterruptedException e) {
                        // the test is over
                    }
                });
            } catch (IOException e) {
                return;
            }
        }
    }

    /** One request as a raw receiver read it: on which of its connections, and with which headers. */
    private record RawRequest(int connection, String webhookId, boolean connectionClose) {
    }

    /**
     * With keep-alive the requests share a connection, and a request whose reused connection dies before a byte of
     * answer is sent again at once on a fresh one, inside the same attempt.
     */
    @Test
    void shouldReuseTheConnectionWithKeepAliveAndResendOnceWhenItDiesBeforeAnswering() throws Exception {
        List<RawRequest> seen = new CopyOnWriteArrayList<>();
        try (ServerSocket receiver = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread.ofVirtual().start(() -> answerOnceThenDropTheNextRequest(receiver, seen));
            WebhookSender sender = new WebhookSender(client, URI.create("http://127.0.0.1:" + receiver.getLocalPort()
                    + "/hook"), USER_AGENT, Optional.empty(), Duration.ofSeconds(5), 1024, true, clock);

            AttemptResult first = sender.send("msg_1", testBody());
            AttemptResult second = sender.send("msg_2", testBody());

            assertEquals(200, assertInstanceOf(AttemptResult.Response.class, first, first.toString()).statusCode());
            assertEquals(200, assertInstanceOf(AttemptResult.Response.class, second, second.toString()).statusCode());
            assertEquals(List.of(new RawRequest(1, "msg_1", false), new RawRequest(1, "msg_2", false),
                    new RawRequest(2, "msg_2", false)), seen);
        }
    }

    /**
     * The first connection: its first request answered with a bare 200 that keeps it open, its second read and then
     * dropped unanswered. Later connections: every request answered.
     */
    private static void answerOnceThenDropTheNextRequest(ServerSocket receiver, List<RawRequest> seen) {
        for (int connection = 1; !receiver.isClosed(); connection++) {
            try (Socket socket = receiver.accept()) {
                InputStream in = socket.getInputStream();
                for (int request = 1; ; request++) {
                    String head = readHead(in);
                    long length = Long.parseLong(head.replaceAll("(?is).*content-length:\\s*(\\d+).*", "$1"));
                    in.readNBytes((int) length);
                    seen.add(new RawRequest(connection, head.replaceAll("(?is).*webhook-id:\\s*(\\S+).*", "$1"),
                            head.toLowerCase(Locale.ROOT).contains("connection: close")));
                    if (connection == 1 && request == 2) {
                        break;
                    }
                    socket.getOutputStream().write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
                            .getBytes(StandardCharsets.US_ASCII));
                }
            } catch (IOException e) {
                // the client hung up, or the test is over
            }
        }
    }

    private static String readHead(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new EOFException();
            }
            head.append((char) b);
        }
        return head.toString();
    }

    @Test
    void shouldReportHeadersByLowerCaseName() {
        server.enqueue(new MockResponse.Builder().code(429).addHeader("Retry-After", "30").build());

        AttemptResult result = sender(Optional.empty(), Duration.ofSeconds(5)).send("msg_1", testBody());

        assertEquals("30", assertInstanceOf(AttemptResult.Response.class, result).headers().get("retry-after")
                .getFirst());
    }

    @Test
    void shouldDecodeAGzipBodyAndKeepItsFirst512Bytes() throws IOException {
        String text = "é".repeat(100) + "x".repeat(2000);
        ByteArrayOutputStream gz = new ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(gz)) {
            out.write(text.getBytes(StandardCharsets.UTF_8));
        }
        server.enqueue(new MockResponse.Builder().code(500).addHeader("Content-Encoding", "gzip")
                .body(new Buffer().write(gz.toByteArray())).build());

        AttemptResult result = sender(Optional.empty(), Duration.ofSeconds(5)).send("msg_1", testBody());

        String snippet = assertInstanceOf(AttemptResult.Response.class, result).bodySnippet();
        assertEquals("é".repeat(100) + "x".repeat(312), snippet);
    }

    @Test
    void shouldDecodeADeflateBody() throws IOException {
        ByteArrayOutputStream zlib = new ByteArrayOutputStream();
        try (DeflaterOutputStream out = new DeflaterOutputStream(zlib)) {
            out.write("{\"error\":\"signature mismatch\"}".getBytes(StandardCharsets.UTF_8));
        }
        server.enqueue(new MockResponse.Builder().code(401).addHeader("Content-Encoding", "deflate")
                .body(new Buffer().write(zlib.toByteArray())).build());

        AttemptResult result = sender(Optional.empty(), Duration.ofSeconds(5)).send("msg_1", testBody());

        assertEquals("{\"error\":\"signature mismatch\"}",
                assertInstanceOf(AttemptResult.Response.class, result).bodySnippet());
    }

    @Test
    void shouldKeepOnlyTheFirst512BytesOfALargePlainBody() {
        server.enqueue(new MockResponse.Builder().code(400).body("a".repeat(100_000)).build());

        AttemptResult result = sender(Optional.empty(), Duration.ofSeconds(5)).send("msg_1", testBody());

        assertEquals("a".repeat(512), assertInstanceOf(AttemptResult.Response.class, result).bodySnippet());
    }

    @Test
    void shouldTimeOutWhenTheResponseBodyStalls() {
        server.enqueue(new MockResponse.Builder().code(200).body("never arrives")
                .onResponseBody(SocketEffect.Stall.INSTANCE).build());

        WebhookSender sender = sender(Optional.empty(), Duration.ofSeconds(1));
        WebhookBody body = testBody();

        AttemptResult result = sender.send("msg_1", body);

        // One second of base timeout and one for the (small) body.
        assertEquals("timed out after 2s", assertInstanceOf(AttemptResult.Failure.class, result).error());
        assertEquals(Duration.ofSeconds(2), sender.timeoutFor(body.length()));
    }

    @Test
    void shouldReportConnectionRefusedOnAClosedPort() throws IOException {
        int port;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        }
        URI url = URI.create("http://127.0.0.1:" + port + "/hooks/secret-token-123456");
        WebhookSender sender = new WebhookSender(client, url, USER_AGENT, Optional.empty(), Duration.ofSeconds(5),
                1024, false, clock);

        AttemptResult result = sender.send("msg_1", testBody());

        AttemptResult.Failure failure = assertInstanceOf(AttemptResult.Failure.class, result);
        assertEquals("connection refused by 127.0.0.1:" + port, failure.error());
        assertEquals(NOW, failure.startedAt());
    }

    @Test
    void shouldReportAnAttachmentGoneFromTheDiskAsUnavailableWithoutSendingOrNamingItsPath() throws Exception {
        Message m = messageWithAttachment("beef", 1000);

        AttemptResult unsigned = sender(Optional.empty(), Duration.ofSeconds(5))
                .send("msg_9", WebhookBody.forMessage(m, sha -> Files.newByteChannel(dir.resolve(sha)), null));
        AttemptResult signed = sender(Optional.of(new Signer(SECRET)), Duration.ofSeconds(5))
                .send("msg_9", WebhookBody.forMessage(m, sha -> Files.newByteChannel(dir.resolve(sha)), null));

        for (AttemptResult result : List.of(unsigned, signed)) {
            var unavailable = assertInstanceOf(AttemptResult.AttachmentUnavailable.class, result);
            assertEquals("attachment unavailable: storage error", unavailable.error());
            assertFalse(result.toString().contains(dir.toString()), result.toString());
        }
        assertEquals(0, server.getRequestCount(), "nothing reached the webhook");
    }

    @Test
    void shouldReportAnAttachmentThatEndsEarlyWhileStreamingAsUnavailable() throws Exception {
        Files.write(dir.resolve("f00d"), new byte[1000]);
        Message m = messageWithAttachment("f00d", 1000);
        WebhookBody body = WebhookBody.forMessage(m, sha -> Files.newByteChannel(dir.resolve(sha)), null);
        InputStream stream = body.open();
        Files.write(dir.resolve("f00d"), new byte[10]);

        assertThrows(WebhookBody.UnreadableAttachment.class, stream::readAllBytes);
    }

    private static Message messageWithAttachment(String sha256, long size) {
        Attachment a = new Attachment("att_1", MessageKind.PDF, "invoice.pdf", "application/pdf", size, sha256, NOW);
        return new Message("msg_9", "+5511999999999", 3, "the invoice", a, NOW);
    }

    @Test
    void shouldAllowOneExtraSecondPerUploadRateOfBody() {
        WebhookSender sender = new WebhookSender(client, URI.create("http://127.0.0.1:9/"), USER_AGENT,
                Optional.empty(), Duration.ofSeconds(5), 1024, false, clock);

        assertEquals(Duration.ofSeconds(5), sender.timeoutFor(0));
        assertEquals(Duration.ofSeconds(6), sender.timeoutFor(1));
        assertEquals(Duration.ofSeconds(6), sender.timeoutFor(1024 * 1024));
        assertEquals(Duration.ofSeconds(7), sender.timeoutFor(1024 * 1024 + 1));
        assertEquals(Duration.ofSeconds(20), sender.timeoutFor(15L * 1024 * 1024));
    }

    @Test
    void shouldMaskTheWebhookPathWhereTheReceiverEchoesItBack() {
        String path = "/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/sendMessage";
        server.enqueue(new MockResponse.Builder().code(404).body("Cannot POST " + path + " (see "
                + server.url(path) + ")").build());
        WebhookSender sender = new WebhookSender(client, server.url(path).uri(), USER_AGENT, Optional.empty(),
                Duration.ofSeconds(5), 1024, false, clock);

        AttemptResult result = sender.send("msg_1", WebhookBody.testEvent(NOW, "evt_1"));

        AttemptResult.Response response = assertInstanceOf(AttemptResult.Response.class, result);
        assertEquals("Cannot POST … (see http://" + server.getHostName() + ":" + server.getPort() + "/…)",
                response.bodySnippet());
    }

    private WebhookSender sender(Optional<Signer> signer, Duration baseTimeout) {
        return new WebhookSender(client, server.url("/hooks/abc").uri(), USER_AGENT, signer, baseTimeout, 1024, false,
                clock);
    }

    private static WebhookBody testBody() {
        return WebhookBody.testEvent(NOW, "evt_1");
    }

    /** Computed here, independently of {@link Signer}, as a receiver would. */
    private static String expectedSignature(String id, long timestamp, byte[] body) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(Base64.getDecoder().decode(SECRET.substring("whsec_".length())), "HmacSHA256"));
        mac.update((id + "." + timestamp + ".").getBytes(StandardCharsets.UTF_8));
        return "v1," + Base64.getEncoder().encodeToString(mac.doFinal(body));
    }
}
