package relay.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static relay.testing.RunningApp.json;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import mockwebserver3.MockWebServer;
import mockwebserver3.junit5.StartStop;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import relay.testing.RunningApp;
import relay.testing.Webhooks;

/** {@code /chat/contacts/{phone}}: a name for a phone, stored, shown beside the phone everywhere, told live. */
class ContactsApiTest {
    private static final String PHONE = "+5511999999999";
    /** The same number as an operator types it, percent-encoded for the path. */
    private static final String TYPED = "%2811%29%2099999-9999";

    @StartStop
    public final MockWebServer webhook = new MockWebServer();

    @TempDir
    Path dir;

    private RunningApp app;

    @BeforeEach
    void start() throws Exception {
        Webhooks.answerOkUnlessScripted(webhook);
        app = RunningApp.start(dir, Map.of("WEBHOOK_URL", webhook.url("/hook").toString()));
    }

    @AfterEach
    void stop() {
        app.close();
    }

    @Test
    void shouldNameAPhoneWrittenAnyWayAndShowTheNameWhereverThePhoneIsShown() throws Exception {
        String id = app.sendText(PHONE, "olá");

        HttpResponse<String> named = put(TYPED, "{\"name\":\"  Ana Souza 🌻  \"}");

        assertEquals(200, named.statusCode(), named.body());
        assertEquals(contact("Ana Souza 🌻"), json(named));
        assertEquals(contact("Ana Souza 🌻"), json(app.get("/chat/contacts/" + PHONE.replace("+", "%2B"))));
        assertEquals("Ana Souza 🌻", json(app.get("/chat/messages/" + id)).path("contact_name").asText());
        JsonNode thread = json(app.get("/chat/messages?phone=" + TYPED));
        assertEquals("Ana Souza 🌻", thread.path("contact_name").asText());
        assertEquals("Ana Souza 🌻", thread.path("messages").get(0).path("contact_name").asText());
        JsonNode row = json(app.get("/chat/conversations")).path("conversations").get(0);
        assertEquals("Ana Souza 🌻", row.path("contact_name").asText());
        assertEquals("Ana Souza 🌻", row.path("last_message").path("contact_name").asText());
        String other = app.sendText("+5511988887777", "no name");
        assertTrue(json(app.get("/chat/messages/" + other)).path("contact_name").isNull());

        app.close();
        app = RunningApp.start(dir, Map.of("WEBHOOK_URL", webhook.url("/hook").toString()));

        assertEquals(contact("Ana Souza 🌻"), json(app.get("/chat/contacts/" + TYPED)), "kept across a restart");
    }

    @Test
    void shouldRemoveANameWithNullOrDelete() {
        put(PHONE, "{\"name\":\"Ana\"}");

        HttpResponse<String> cleared = put(PHONE, "{\"name\":null}");

        assertEquals(200, cleared.statusCode());
        assertEquals(contact(null), json(cleared));
        put(PHONE, "{\"name\":\"Ana\"}");
        HttpResponse<String> deleted = app.send(app.request("/chat/contacts/" + TYPED).DELETE().build());
        assertEquals(200, deleted.statusCode());
        assertEquals(contact(null), json(deleted));
        assertEquals(contact(null), json(app.get("/chat/contacts/" + PHONE)));
        assertEquals(200, app.send(app.request("/chat/contacts/" + PHONE).DELETE().build()).statusCode(),
                "removing a name that is not there is no error");
    }

    @Test
    void shouldAcceptAHundredCharactersCountingEachEmojiAsOne() {
        String name = "🌻".repeat(100);

        assertEquals(contact(name), json(put(PHONE, "{\"name\":\"" + name + "\"}")));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "empty                      | {\"name\":\"\"}                   | name_blank    | name",
        "only spaces                | {\"name\":\"   \"}                | name_blank    | name",
        "only zero-width characters | {\"name\":\"\\u200b\\u200d\"}     | name_blank    | name",
        "two lines                  | {\"name\":\"Ana\\nSouza\"}        | invalid_name  | name",
        "a tab                      | {\"name\":\"Ana\\tSouza\"}        | invalid_name  | name",
        "an unpaired surrogate      | {\"name\":\"Ana \\ud800\"}        | invalid_name  | name",
        "no name field              | {}                                | name_required | name",
        "a number                   | {\"name\":5}                      | invalid_type  | name",
        "another field              | {\"name\":\"Ana\",\"nick\":\"A\"} | unknown_field | nick",
        "not JSON                   | name=Ana                          | invalid_json  | ",
    })
    void shouldRefuseANameThatIsNotOneVisibleLineAndKeepTheOldOne(String name, String body, String code,
                                                                   String field) {
        put(PHONE, "{\"name\":\"Ana\"}");

        HttpResponse<String> refused = put(PHONE, body);

        assertEquals(400, refused.statusCode(), refused.body());
        assertEquals(code, json(refused).path("error").path("code").asText());
        assertEquals(field == null ? "" : field, json(refused).path("error").path("field").asText(""));
        assertEquals(contact("Ana"), json(app.get("/chat/contacts/" + PHONE)));
    }

    @Test
    void shouldRefuseANameOverAHundredCharacters() {
        HttpResponse<String> refused = put(PHONE, "{\"name\":\"" + "a".repeat(101) + "\"}");

        assertEquals(400, refused.statusCode());
        assertEquals("name_too_long", json(refused).path("error").path("code").asText());
        assertEquals(contact(null), json(app.get("/chat/contacts/" + PHONE)));
    }

    @Test
    void shouldRefuseAPhoneThatIsNotANumber() {
        for (HttpResponse<String> refused : List.of(put("12345", "{\"name\":\"Ana\"}"),
                app.get("/chat/contacts/abc"), app.send(app.request("/chat/contacts/1").DELETE().build()))) {
            assertEquals(400, refused.statusCode(), refused.body());
            assertEquals("invalid_phone", json(refused).path("error").path("code").asText());
            assertEquals("phone", json(refused).path("error").path("field").asText());
        }
    }

    @Test
    void shouldTellEveryListenerOfEachChangeAndShowTheNameInLaterMessageEvents() throws Exception {
        try (EventStreamTest.Listener listener = new EventStreamTest.Listener(app.uri("/chat/events"))) {
            listener.next("circuit", c -> true);

            put(TYPED, "{\"name\":\"Ana\"}");
            assertEquals(contact("Ana"), listener.next("contact", c -> true));
            String id = app.sendText(PHONE, "hi");
            JsonNode event = listener.next("message", m -> m.path("id").asText().equals(id));
            assertEquals("Ana", event.path("conversation").path("contact_name").asText());
            app.send(app.request("/chat/contacts/" + PHONE).DELETE().build());
            assertEquals(contact(null), listener.next("contact", c -> true));
        }
    }

    private HttpResponse<String> put(String phone, String body) {
        return app.send(app.request("/chat/contacts/" + phone).header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8)).build());
    }

    private static JsonNode contact(String name) {
        return parse("{\"phone\":\"" + PHONE + "\",\"phone_display\":\"(11) 99999-9999\",\"contact_name\":"
                + (name == null ? "null" : "\"" + name + "\"") + "}");
    }

    private static JsonNode parse(String text) {
        try {
            return Json.MAPPER.readTree(text);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
