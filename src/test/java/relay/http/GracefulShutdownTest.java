package relay.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class GracefulShutdownTest {
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @Test
    void shouldFinishRequestsInFlightAndRefuseNewOnesWhenStopping() throws Exception {
        CountDownLatch inHandler = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Router router = new Router().get("/slow", request -> {
            inHandler.countDown();
            awaitQuietly(release);
            request.respondJson(200, Map.of("finished", true));
        });
        WebServer server = WebServer.start("127.0.0.1", 0, router);
        URI slow = URI.create("http://127.0.0.1:" + server.port() + "/slow");

        CompletableFuture<HttpResponse<String>> inFlight =
                client.sendAsync(HttpRequest.newBuilder(slow).build(), HttpResponse.BodyHandlers.ofString());
        assertTrue(inHandler.await(10, TimeUnit.SECONDS));
        CompletableFuture<Void> stopping = CompletableFuture.runAsync(() -> server.stop(Duration.ofSeconds(30)));
        awaitListenerClosed(slow);
        release.countDown();

        HttpResponse<String> response = inFlight.get(10, TimeUnit.SECONDS);
        assertEquals(200, response.statusCode());
        assertTrue(response.body().contains("\"finished\":true"));
        stopping.get(10, TimeUnit.SECONDS);
        assertThrows(ConnectException.class, () -> client.send(HttpRequest.newBuilder(slow).build(),
                HttpResponse.BodyHandlers.ofString()));
    }

    /** Polls until a fresh connection is refused: the server has stopped accepting. */
    private void awaitListenerClosed(URI uri) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            try {
                HttpClient fresh = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
                fresh.send(HttpRequest.newBuilder(uri.resolve("/other")).timeout(Duration.ofMillis(500)).build(),
                        HttpResponse.BodyHandlers.discarding());
            } catch (IOException e) {
                return;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("the server still accepts connections while stopping");
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
