package relay.testing;

import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import relay.App;
import relay.config.ConfigLoader;

/**
 * The whole service in this JVM on a free loopback port, with a real data folder, driven over real HTTP: what the
 * API and browser tests stand on.
 */
public final class RunningApp implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration DEADLINE = Duration.ofSeconds(20);
    /** Each poll is a request to the service under test; a busy poll would slow down what it watches. */
    private static final Duration POLL = Duration.ofMillis(20);

    private final App app;
    private final StoreReader reader;
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    /** @param database where the app keeps its data when the tests' backend gave it one; else in its data folder */
    private RunningApp(App app, Path dataDir, Optional<Postgres.Database> database) {
        this.app = app;
        this.reader = new StoreReader(dataDir, database);
    }

    /**
     * @param settings configuration keys beyond PORT=0 and DATA_DIR, which are set here, and DATABASE_URL, set here
     *                 when the tests run on PostgreSQL ({@link TestBackend}) unless {@code settings} names a database
     */
    public static RunningApp start(Path dataDir, Map<String, String> settings) throws IOException {
        return start(dataDir, settings, InstantSource.system());
    }

    public static RunningApp start(Path dataDir, Map<String, String> settings, InstantSource clock) throws IOException {
        Map<String, String> values = new HashMap<>(Map.of("PORT", "0", "DATA_DIR", dataDir.toString(),
                "DEMO_RECEIVER", "false"));
        values.putAll(settings);
        Optional<Postgres.Database> database = settings.containsKey("DATABASE_URL") ? Optional.empty()
                : TestBackend.current().databaseFor(dataDir);
        database.ifPresent(chosen -> values.put("DATABASE_URL", chosen.url()));
        return new RunningApp(App.start(ConfigLoader.fromValues(values), clock), dataDir, database);
    }

    public App app() {
        return app;
    }

    /** Runs {@code SELECT COUNT(*) …} straight on the app's store, as a second client would, read-only. */
    public long count(String sql) {
        return reader.count(sql);
    }

    /**
     * What the store keeps of attachments' bytes, whole or partly written: on SQLite the files under
     * {@code attachments/} and its {@code tmp/}; on PostgreSQL the contents, the uploads' staging rows and the
     * chunks of either.
     */
    public List<String> storedAttachmentContents() throws IOException {
        return reader.attachmentContents();
    }

    public int port() {
        return app.port();
    }

    public URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port() + path);
    }

    public HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(uri(path)).timeout(DEADLINE);
    }

    public HttpResponse<String> send(HttpRequest request) {
        try {
            return client.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public HttpResponse<byte[]> getBytes(String path) {
        try {
            return client.send(request(path).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public HttpResponse<String> get(String path) {
        return send(request(path).GET().build());
    }

    public HttpResponse<String> postJson(String path, String json) {
        return send(request(path).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json, StandardCharsets.UTF_8)).build());
    }

    public HttpResponse<String> post(String path) {
        return send(request(path).POST(HttpRequest.BodyPublishers.noBody()).build());
    }

    /** Uploads raw bytes as {@code POST /chat/attachments} does it. */
    public HttpResponse<String> upload(byte[] bytes, String contentType, String encodedFilename) {
        return send(request("/chat/attachments").header("Content-Type", contentType)
                .header("X-Filename", encodedFilename).POST(HttpRequest.BodyPublishers.ofByteArray(bytes)).build());
    }

    public static JsonNode json(HttpResponse<String> response) {
        try {
            return JSON.readTree(response.body());
        } catch (IOException e) {
            throw new AssertionError("not JSON (" + response.statusCode() + "): " + response.body(), e);
        }
    }

    /** Sends a text message and returns its id. */
    public String sendText(String phone, String text) {
        HttpResponse<String> response = postJson("/chat/messages",
                JSON.createObjectNode().put("phone", phone).put("text", text).toString());
        if (response.statusCode() != 202) {
            fail("send refused: " + response.statusCode() + " " + response.body());
        }
        return json(response).path("id").asText();
    }

    /** Polls the message until its view satisfies {@code condition}, failing after a deadline. */
    public JsonNode awaitMessage(String id, Predicate<JsonNode> condition) {
        return Await.until("message " + id + " in the expected state", DEADLINE, POLL,
                () -> json(get("/chat/messages/" + id)), condition);
    }

    public JsonNode awaitStatus(String id, String status) {
        return awaitMessage(id, view -> status.equals(view.path("status").asText()));
    }

    /** Polls {@code GET path} until its JSON satisfies {@code condition}. */
    public JsonNode await(String path, Predicate<JsonNode> condition) {
        return await(path, condition, DEADLINE);
    }

    public JsonNode await(String path, Predicate<JsonNode> condition, Duration within) {
        return Await.until(path + " in the expected state", within, POLL, () -> json(get(path)), condition);
    }

    /**
     * Stops the service before the client: a client hanging up while the server stops can leave the JDK server
     * counting a request that never comes, and waiting its whole grace period for it.
     */
    @Override
    public void close() {
        app.close();
        client.close();
        reader.close();
    }
}
