package relay.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static relay.testing.RunningApp.json;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
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

/**
 * A message's text is sent exactly as the client gave it or refused with a field error: never a lone surrogate the
 * store would turn into {@code ?}, never text with nothing visible in it — whether it comes as JSON or as a form.
 */
class MessageTextTest {
    private static final String PHONE = "+5511999999999";
    private static final String BOUNDARY = "textBoundary42";

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

    /** {@code text} is the JSON string's content as sent on the wire, escapes and all. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "lone high surrogate            | \\ud800                 | invalid_text",
        "lone low surrogate after text  | hello \\udc00           | invalid_text",
        "reversed pair                  | \\ude00\\ud83d          | invalid_text",
        "zero-width space               | \\u200b                 | text_blank",
        "joiners and word joiner        | \\u200c\\u200d\\u2060   | text_blank",
        "byte order mark                | \\ufeff                 | text_blank",
        "invisible mixed with spaces    | ' \\u200b\\n\\u00a0\\t' | text_blank",
        "bidi overrides only            | \\u202e\\u2066\\u2069   | text_blank",
        "controls only                  | \\u001b\\u0007\\u007f   | text_blank",
        "Hangul filler                  | \\u3164                 | text_blank",
    })
    void shouldRefuseMalformedOrInvisibleJsonText(String name, String text, String code) {
        HttpResponse<String> refused = app.postJson("/chat/messages",
                "{\"phone\":\"" + PHONE + "\",\"text\":\"" + text + "\"}");

        assertTextRefused(refused, code);
    }

    @Test
    void shouldRefuseInvisibleTextBesideAnAttachmentAndKeepNothing() {
        String attachment = json(app.upload(Forms.PDF, "application/pdf", "a.pdf")).path("id").asText();

        HttpResponse<String> refused = app.postJson("/chat/messages",
                "{\"phone\":\"" + PHONE + "\",\"text\":\"\\u200b\",\"attachment_id\":\"" + attachment + "\"}");

        assertTextRefused(refused, "text_blank");
    }

    @Test
    void shouldAcceptAnAttachmentWithoutText() {
        String attachment = json(app.upload(Forms.PDF, "application/pdf", "a.pdf")).path("id").asText();

        HttpResponse<String> accepted = app.postJson("/chat/messages",
                "{\"phone\":\"" + PHONE + "\",\"attachment_id\":\"" + attachment + "\"}");

        assertEquals(202, accepted.statusCode(), accepted.body());
    }

    @Test
    void shouldRefuseInvisibleFormTextAndDiscardTheFileThatCameWithIt() throws Exception {
        HttpResponse<String> refused = postForm(List.of(
                new Forms.Part("phone", null, null, PHONE.getBytes(StandardCharsets.UTF_8)),
                new Forms.Part("text", null, null, "\u200B\u200D\uFEFF".getBytes(StandardCharsets.UTF_8)),
                new Forms.Part("file", "r.pdf", "application/pdf", Forms.PDF)));

        assertTextRefused(refused, "text_blank");
        assertEquals(0, json(app.get("/chat/conversations")).path("conversations").size());
    }

    /** UTF-8 has no encoding for a lone surrogate; the CESU-style bytes ED A0 80 are not UTF-8 at all. */
    @Test
    void shouldRefuseASurrogateEncodedInFormBytes() {
        HttpResponse<String> refused = postForm(List.of(
                new Forms.Part("phone", null, null, PHONE.getBytes(StandardCharsets.UTF_8)),
                new Forms.Part("text", null, null, new byte[] {'a', (byte) 0xED, (byte) 0xA0, (byte) 0x80})));

        assertEquals(400, refused.statusCode(), refused.body());
        assertEquals("invalid_encoding", json(refused).path("error").path("code").asText());
        assertEquals(0, json(app.get("/chat/conversations")).path("conversations").size());
    }

    @Test
    void shouldDeliverTextWithInvisibleCharactersAmongVisibleOnesUnchanged() throws Exception {
        String text = "👨\u200D👩\u200D👧 a\u200Bb \u202Eabc\u202C مرحبا 𝔸 é\u0301";
        List<String> sent = new ArrayList<>();
        sent.add(app.sendText(PHONE, text));
        HttpResponse<String> form = postForm(List.of(
                new Forms.Part("phone", null, null, PHONE.getBytes(StandardCharsets.UTF_8)),
                new Forms.Part("text", null, null, text.getBytes(StandardCharsets.UTF_8))));
        assertEquals(202, form.statusCode(), form.body());
        sent.add(json(form).path("id").asText());

        for (String id : sent) {
            assertEquals(text, app.awaitStatus(id, "delivered").path("text").asText());
            RecordedRequest request = webhook.takeRequest(5, TimeUnit.SECONDS);
            JsonNode payload = new ObjectMapper().readTree(request.getBody().utf8());
            assertArrayEquals(text.getBytes(StandardCharsets.UTF_8),
                    payload.path("data").path("text").asText().getBytes(StandardCharsets.UTF_8));
        }
    }

    private HttpResponse<String> postForm(List<Forms.Part> parts) {
        return app.send(app.request("/chat/messages")
                .header("Content-Type", "multipart/form-data; boundary=" + BOUNDARY)
                .POST(BodyPublishers.ofByteArray(Forms.multipart(BOUNDARY, parts))).build());
    }

    private void assertTextRefused(HttpResponse<String> response, String code) {
        assertEquals(400, response.statusCode(), response.body());
        JsonNode error = json(response).path("error");
        assertEquals(code, error.path("code").asText(), response.body());
        assertEquals("text", error.path("field").asText(), response.body());
        assertTrue(error.path("message").asText().startsWith("text must"), response.body());
        assertEquals(0, json(app.get("/chat/conversations")).path("conversations").size(), "nothing stored");
    }
}
