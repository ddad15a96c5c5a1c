package relay.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static relay.testing.RunningApp.json;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import mockwebserver3.junit5.StartStop;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import relay.testing.Forms;
import relay.testing.Postgres;
import relay.testing.RunningApp;
import relay.testing.Webhooks;

/**
 * Two instances on one PostgreSQL database, each with a folder of its own, as behind a load balancer: each names
 * itself on {@code /healthz} and in {@code /metrics}, and a signed attachment link one made opens on the other.
 */
class InstancesOnOneDatabaseTest {
    @StartStop
    public final MockWebServer webhook = new MockWebServer();

    @TempDir
    Path dir;

    private final Postgres.Database database = Postgres.newDatabase();
    private RunningApp a;
    private RunningApp b;

    @BeforeEach
    void startTwoInstances() throws Exception {
        Webhooks.answerOkUnlessScripted(webhook);
        a = start("relay-a");
        b = start("relay-b");
    }

    private RunningApp start(String instanceId) throws Exception {
        return RunningApp.start(dir.resolve(instanceId), Map.of("DATABASE_URL", database.url(),
                "INSTANCE_ID", instanceId, "WEBHOOK_URL", webhook.url("/hook").toString(),
                "WEBHOOK_ATTACHMENTS", "url"));
    }

    @AfterEach
    void stop() {
        for (RunningApp app : new RunningApp[] {a, b}) {
            if (app != null) {
                app.close();
            }
        }
    }

    @Test
    void shouldNameEachInstanceAndItsDatabaseOnHealthz() {
        for (Map.Entry<String, RunningApp> instance : Map.of("relay-a", a, "relay-b", b).entrySet()) {
            HttpResponse<String> health = instance.getValue().get("/healthz");

            assertEquals(200, health.statusCode(), health.body());
            JsonNode view = json(health);
            assertEquals(instance.getKey(), view.path("instance").asText());
            assertEquals("postgresql", view.path("database").path("backend").asText());
            assertTrue(view.path("database").path("reachable").asBoolean());
            assertTrue(view.path("database").path("latency_ms").isNumber(), health.body());
            assertTrue(!health.body().contains(database.password()), "the password never appears");
        }
    }

    @Test
    void shouldLabelEachInstancesMetricsWithItsId() {
        String phone = "+5511999999999";
        a.awaitStatus(a.sendText(phone, "counted by both"), "delivered");

        assertTrue(a.get("/metrics").body().contains("relay_messages_accepted_total{instance=\"relay-a\"} 1\n"));
        assertTrue(b.get("/metrics").body().contains("relay_messages_accepted_total{instance=\"relay-b\"} 1\n"));
    }

    @Test
    void shouldOpenAnAttachmentLinkThatOneInstanceSignedOnTheOther() throws Exception {
        HttpResponse<String> upload = a.upload(Forms.PDF, "application/pdf", "contract.pdf");
        assertEquals(201, upload.statusCode(), upload.body());
        a.postJson("/chat/messages", "{\"phone\":\"+5511999999999\",\"attachment_id\":\""
                + json(upload).path("id").asText() + "\"}");

        RecordedRequest sent = webhook.takeRequest(20, TimeUnit.SECONDS);
        URI link = URI.create(new ObjectMapper().readTree(sent.getBody().utf8()).path("data").path("attachment")
                .path("url").asText());
        RunningApp signer = link.getPort() == a.port() ? a : b;
        RunningApp other = signer == a ? b : a;
        HttpResponse<byte[]> download = other.getBytes(link.getRawPath() + "?" + link.getRawQuery());

        assertEquals(200, download.statusCode());
        assertArrayEquals(Forms.PDF, download.body());
    }
}
