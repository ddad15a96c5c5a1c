package relay.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static relay.testing.RunningApp.json;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
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
import relay.testing.Forms;
import relay.testing.RunningApp;
import relay.testing.Webhooks;

/** {@code GET /chat/search}: conversations by name and phone, messages by text, each newest first and paged. */
class SearchApiTest {
    private static final String ANA = "+5511999990000";
    private static final String BRUNO = "+5521988887777";

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
    void shouldFindConversationsByNameAndMessagesByTextInOneAnswer() {
        app.sendText(ANA, "o boleto vence amanhã");
        String later = app.sendText(BRUNO, "Mandei o BOLETO da Ana ontem");
        name(ANA, "Ana Souza");

        JsonNode found = search("ana");

        assertEquals("ana", found.path("query").asText());
        assertTrue(found.path("text_searched").asBoolean());
        JsonNode conversations = found.path("conversations");
        assertEquals(1, conversations.path("items").size());
        JsonNode row = conversations.path("items").get(0);
        assertEquals(ANA, row.path("phone").asText());
        assertEquals("Ana Souza", row.path("contact_name").asText());
        assertEquals("(11) 99999-0000", row.path("phone_display").asText());
        assertFalse(conversations.path("has_more").asBoolean());
        assertTrue(conversations.path("next_before").isNull());
        JsonNode messages = found.path("messages");
        assertEquals(List.of(later), ids(messages));
        JsonNode hit = messages.path("items").get(0);
        assertEquals(BRUNO, hit.path("phone").asText());
        assertTrue(hit.path("contact_name").isNull());
        assertEquals("text", hit.path("kind").asText());
        assertEquals("Mandei o BOLETO da Ana ontem", hit.path("snippet").asText());
        assertEquals("Ana", highlighted(hit));
        assertTrue(hit.path("created_at").asText().endsWith("Z"));
    }

    @Test
    void shouldFindAPhoneByItsDigitsWhateverTheWayTheyAreTyped() {
        app.sendText(ANA, "hi");
        app.sendText(BRUNO, "hi");

        for (String typed : List.of("99999", "(11) 99999", "+55 11 99999-0000", "1199999")) {
            JsonNode items = search(typed).path("conversations").path("items");
            assertEquals(1, items.size(), typed);
            assertEquals(ANA, items.get(0).path("phone").asText(), typed);
        }
    }

    @Test
    void shouldShowTheTextAroundTheMatchWithWhereItIs() {
        String text = "Começo da conversa. ".repeat(8) + "O número do Pedido é 4471, confirme por favor. "
                + "Fim da conversa. ".repeat(8);
        app.sendText(ANA, text);

        JsonNode hit = search("pedido é 4471").path("messages").path("items").get(0);

        String snippet = hit.path("snippet").asText();
        assertTrue(snippet.startsWith("…") && snippet.endsWith("…"), snippet);
        assertTrue(snippet.codePointCount(0, snippet.length()) <= 82, snippet);
        assertEquals("Pedido é 4471", highlighted(hit));
        assertTrue(text.contains(snippet.substring(1, snippet.length() - 1)));
    }

    @Test
    void shouldFindAFileByItsName() {
        HttpResponse<String> uploaded = app.upload(Forms.PDF, "application/pdf", "relatorio-marco.pdf");
        String attachment = json(uploaded).path("id").asText();
        String sent = json(app.postJson("/chat/messages", "{\"phone\":\"" + ANA + "\",\"attachment_id\":\""
                + attachment + "\"}")).path("id").asText();

        JsonNode hit = search("relatorio").path("messages").path("items").get(0);

        assertEquals(sent, hit.path("id").asText());
        assertEquals("pdf", hit.path("kind").asText());
        assertEquals("relatorio-marco.pdf", hit.path("filename").asText());
        assertTrue(hit.path("snippet").isNull());
        assertTrue(hit.path("highlight").isNull());
    }

    @Test
    void shouldPageEachKindOfResultOnItsOwnNewestFirst() {
        List<String> sent = new ArrayList<>();
        for (int i = 1; i <= 5; i++) {
            sent.add(app.sendText(i % 2 == 0 ? ANA : BRUNO, "fatura " + i));
        }

        JsonNode first = search("fatura", "&limit=2");
        String arrived = app.sendText(ANA, "fatura 6");
        JsonNode second = search("fatura", "&limit=2&in=messages&before=" + next(first.path("messages")));
        JsonNode third = search("fatura", "&limit=2&in=messages&before=" + next(second.path("messages")));

        assertEquals(List.of(sent.get(4), sent.get(3)), ids(first.path("messages")));
        assertEquals(List.of(sent.get(2), sent.get(1)), ids(second.path("messages")));
        assertTrue(second.path("conversations").isNull(), "only the kind asked for");
        assertEquals(List.of(sent.get(0)), ids(third.path("messages")));
        assertFalse(third.path("messages").path("has_more").asBoolean());
        assertTrue(third.path("messages").path("next_before").isNull());
        assertEquals(List.of(arrived), ids(search("fatura", "&limit=1&in=messages").path("messages")));
    }

    @Test
    void shouldPageMatchingConversationsNewestFirst() {
        for (int i = 1; i <= 3; i++) {
            String phone = "+55119876500" + i + "0";
            app.sendText(phone, "hi");
            name(phone, "Cliente " + i);
        }

        JsonNode first = search("cliente", "&limit=2");
        JsonNode rest = search("cliente", "&limit=2&in=conversations&before=" + next(first.path("conversations")));

        assertEquals(List.of("Cliente 3", "Cliente 2"), names(first.path("conversations")));
        assertEquals(List.of("Cliente 1"), names(rest.path("conversations")));
        assertTrue(rest.path("messages").isNull());
    }

    @Test
    void shouldSearchOnlyNamesAndPhonesForOneOrTwoCharacters() {
        app.sendText(ANA, "ok");
        name(ANA, "Oksana");

        JsonNode found = search("ok");

        assertFalse(found.path("text_searched").asBoolean());
        assertEquals(0, found.path("messages").path("items").size());
        assertEquals(1, found.path("conversations").path("items").size());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "no q                     | /chat/search                                | invalid_query  | q",
        "empty q                  | /chat/search?q=                             | invalid_query  | q",
        "only spaces              | /chat/search?q=%20%20                       | invalid_query  | q",
        "a zero limit             | /chat/search?q=ana&limit=0                  | invalid_limit  | limit",
        "before without in        | /chat/search?q=ana&before=12                | invalid_before | before",
        "in that is no kind       | /chat/search?q=ana&in=everything            | invalid_query  | in",
        "a message cursor garbled | /chat/search?q=ana&in=messages&before=x1    | invalid_before | before",
        "a sidebar cursor garbled | /chat/search?q=ana&in=conversations&before=1 | invalid_before | before",
    })
    void shouldRefuseARequestItCannotAnswer(String name, String path, String code, String field) {
        HttpResponse<String> refused = app.get(path);

        assertEquals(400, refused.statusCode(), refused.body());
        assertEquals(code, json(refused).path("error").path("code").asText());
        assertEquals(field, json(refused).path("error").path("field").asText());
    }

    @Test
    void shouldRefuseAQueryOverTwoHundredCharacters() {
        assertEquals(200, app.get("/chat/search?q=" + "a".repeat(200)).statusCode());

        HttpResponse<String> refused = app.get("/chat/search?q=" + "a".repeat(201));

        assertEquals(400, refused.statusCode());
        assertEquals("invalid_query", json(refused).path("error").path("code").asText());
    }

    private JsonNode search(String query) {
        return search(query, "");
    }

    private JsonNode search(String query, String more) {
        HttpResponse<String> response = app.get("/chat/search?q=" + URLEncoder.encode(query, StandardCharsets.UTF_8)
                .replace("+", "%20") + more);
        assertEquals(200, response.statusCode(), response.body());
        return json(response);
    }

    private void name(String phone, String name) {
        HttpResponse<String> named = app.send(app.request("/chat/contacts/" + phone)
                .header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString("{\"name\":\"" + name + "\"}")).build());
        assertEquals(200, named.statusCode(), named.body());
    }

    private static String next(JsonNode section) {
        assertTrue(section.path("has_more").asBoolean(), section.toString());
        return section.path("next_before").asText();
    }

    private static List<String> ids(JsonNode section) {
        List<String> ids = new ArrayList<>();
        section.path("items").forEach(item -> ids.add(item.path("id").asText()));
        return ids;
    }

    private static List<String> names(JsonNode section) {
        List<String> names = new ArrayList<>();
        section.path("items").forEach(item -> names.add(item.path("contact_name").asText()));
        return names;
    }

    private static String highlighted(JsonNode hit) {
        JsonNode highlight = hit.path("highlight");
        return hit.path("snippet").asText().substring(highlight.path("start").asInt(), highlight.path("end").asInt());
    }
}
