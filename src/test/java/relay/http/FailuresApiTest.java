package relay.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static relay.testing.RunningApp.json;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.QueueDispatcher;
import mockwebserver3.junit5.StartStop;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import relay.testing.Forms;
import relay.testing.RunningApp;
import relay.testing.Webhooks;

/** Failed attempts as the settings page lists them: who, what, which attempt and why, a page at a time. */
class FailuresApiTest {
    private static final String PHONE = "+5511999999999";

    @StartStop
    public final MockWebServer webhook = new MockWebServer();

    @TempDir
    Path dir;

    private QueueDispatcher responses;
    private RunningApp app;

    @BeforeEach
    void start() throws Exception {
        responses = Webhooks.answerOkUnlessScripted(webhook);
        // A high threshold: every failure here is a message's own, none opens the circuit.
        app = RunningApp.start(dir, Map.of("WEBHOOK_URL", webhook.url("/hook").toString(),
                "WEBHOOK_MAX_RETRIES", "0", "CIRCUIT_FAILURE_THRESHOLD", "100"));
    }

    @AfterEach
    void stop() {
        app.close();
    }

    @Test
    void shouldShowEachFailureWithThePhoneItsNameAndTheTextsStartOrTheFileName() {
        app.send(app.request("/chat/contacts/" + PHONE).header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString("{\"name\":\"Ana\"}")).build());
        String text = "Segue o resumo da reunião de hoje: ".repeat(4);
        responses.enqueue(new MockResponse.Builder().code(500).build());
        String textId = app.sendText(PHONE, text);
        app.awaitStatus(textId, "failed");
        String attachment = json(app.upload(Forms.PDF, "application/pdf", "ata.pdf")).path("id").asText();
        responses.enqueue(new MockResponse.Builder().code(422).build());
        String fileId = json(app.postJson("/chat/messages", "{\"phone\":\"+5511988887777\",\"attachment_id\":\""
                + attachment + "\"}")).path("id").asText();
        app.awaitStatus(fileId, "failed");

        JsonNode failures = json(app.get("/chat/webhook-status")).path("recent_failures");

        JsonNode file = failures.get(0);
        assertEquals(fileId, file.path("message_id").asText());
        assertEquals("+5511988887777", file.path("phone").asText());
        assertEquals("(11) 98888-7777", file.path("phone_display").asText());
        assertTrue(file.path("contact_name").isNull());
        assertEquals("pdf", file.path("kind").asText());
        assertEquals("ata.pdf", file.path("filename").asText());
        assertTrue(file.path("snippet").isNull());
        assertEquals(422, file.path("status_code").asInt());
        assertEquals(1, file.path("attempt").asInt());
        JsonNode message = failures.get(1);
        assertEquals(textId, message.path("message_id").asText());
        assertEquals("Ana", message.path("contact_name").asText());
        assertEquals(text.substring(0, 80) + "…", message.path("snippet").asText());
        assertTrue(message.path("filename").isNull());
        assertEquals("HTTP 500", message.path("error").asText());
        assertTrue(message.path("at").asText().endsWith("Z"));
    }

    @Test
    void shouldPageFailuresLatestFirst() {
        List<String> failed = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            responses.enqueue(new MockResponse.Builder().code(503).build());
            failed.add(app.sendText(PHONE, "fails " + i));
            app.awaitStatus(failed.getLast(), "failed");
        }
        app.awaitStatus(app.sendText(PHONE, "works"), "delivered");

        JsonNode first = json(app.get("/chat/failures?limit=2"));
        JsonNode rest = json(app.get("/chat/failures?limit=2&before=" + first.path("next_before").asText()));

        assertEquals(List.of(failed.get(2), failed.get(1)), ids(first));
        assertTrue(first.path("has_more").asBoolean());
        assertEquals(List.of(failed.get(0)), ids(rest));
        assertFalse(rest.path("has_more").asBoolean());
        assertTrue(rest.path("next_before").isNull());
        assertEquals(3, json(app.get("/chat/failures")).path("failures").size(), "50 by default");
    }

    @Test
    void shouldRefuseACursorOrLimitItDidNotGive() {
        for (String query : List.of("before=123", "before=abc.1", "limit=0", "limit=201")) {
            HttpResponse<String> refused = app.get("/chat/failures?" + query);

            assertEquals(400, refused.statusCode(), query);
            String field = query.substring(0, query.indexOf('='));
            assertEquals("invalid_" + field, json(refused).path("error").path("code").asText(), query);
            assertEquals(field, json(refused).path("error").path("field").asText(), query);
        }
    }

    private static List<String> ids(JsonNode page) {
        List<String> ids = new ArrayList<>();
        page.path("failures").forEach(failure -> ids.add(failure.path("message_id").asText()));
        return ids;
    }
}
