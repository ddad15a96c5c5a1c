package relay.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;

/** The bench's own client for the relay's API and the receivers' control routes: HTTP/1.1, kept-alive. */
final class Http implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration TIMEOUT = Duration.ofSeconds(120);

    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    JsonNode getJson(URI uri) throws IOException, InterruptedException {
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(uri).timeout(TIMEOUT).build(),
                HttpResponse.BodyHandlers.ofString());
        return parse(uri, r, 200);
    }

    HttpResponse<String> post(URI uri, String json) throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(uri).timeout(TIMEOUT)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** POSTs {@code json} and returns the parsed answer, which must have status {@code expected}. */
    JsonNode postJson(URI uri, String json, int expected) throws IOException, InterruptedException {
        return parse(uri, post(uri, json), expected);
    }

    JsonNode postFile(URI uri, Path file, String contentType, String filename)
            throws IOException, InterruptedException {
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(uri).timeout(TIMEOUT)
                .header("Content-Type", contentType).header("X-Filename", filename)
                .POST(HttpRequest.BodyPublishers.ofFile(file)).build(), HttpResponse.BodyHandlers.ofString());
        return parse(uri, r, 201);
    }

    /** The phones {@link #textMessage(int)} spreads its messages over. */
    static final int CONVERSATIONS = 16;

    /** A text message for {@code POST /chat/messages}; {@code k} spreads the messages over 16 phones. */
    static String textMessage(int k) {
        return textMessage(k, CONVERSATIONS);
    }

    /** A text message to phone number {@code k % conversations} (at most 10,000 phones). */
    static String textMessage(int k, int conversations) {
        return "{\"phone\":\"" + phone(k % conversations) + "\",\"text\":\"bench message " + k
                + ": the quick brown fox jumps over the lazy dog\"}";
    }

    /** A valid São Paulo mobile number, the {@code p}-th of the bench's phones. */
    static String phone(int p) {
        return "+551199999" + String.format("%04d", p);
    }

    private static JsonNode parse(URI uri, HttpResponse<String> r, int expected) throws IOException {
        if (r.statusCode() != expected) {
            throw new IOException(uri + " answered " + r.statusCode() + ": " + r.body());
        }
        return JSON.readTree(r.body());
    }

    @Override
    public void close() {
        client.close();
    }
}
