package relay.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static relay.testing.RunningApp.json;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import mockwebserver3.MockWebServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import relay.testing.Forms;
import relay.testing.RunningApp;
import relay.testing.Webhooks;

/**
 * Every malformed or unauthorised request gets a clear JSON error with the right status, the server keeps answering,
 * and nothing of the request is stored: no message, no attachment row, no file.
 */
class BadInputTest {
    private static final String TOKEN = "correct-horse-battery-staple";
    private static final String BOUNDARY = "XyZ123boundary";
    private static final String VALID_ID_UNKNOWN = "01m8evj50w2sqnbt17vswwbx52";

    @TempDir
    static Path dir;

    private static final MockWebServer webhook = new MockWebServer();
    private static RunningApp app;

    @BeforeAll
    static void start() throws IOException {
        Webhooks.answerOkUnlessScripted(webhook);
        webhook.start();
        app = RunningApp.start(dir, Map.of("APP_TOKEN", TOKEN, "MAX_ATTACHMENT_MB", "1", "DEMO_RECEIVER", "true",
                "WEBHOOK_URL", webhook.url("/hook").toString()));
    }

    @AfterAll
    static void stop() throws IOException {
        app.close();
        webhook.close();
    }

    /** One bad request: how to build it, and the status and error code it must get. */
    record Case(String name, UnaryOperator<HttpRequest.Builder> request, String path, int status, String code) {
        @Override
        public String toString() {
            return name;
        }
    }

    private static Case message(String name, String body, int status, String code) {
        return message(name, body.getBytes(StandardCharsets.UTF_8), status, code);
    }

    private static Case message(String name, byte[] body, int status, String code) {
        return new Case(name, r -> signedIn(r).header("Content-Type", "application/json")
                .POST(BodyPublishers.ofByteArray(body)), "/chat/messages", status, code);
    }

    private static Case get(String name, String path, int status, String code) {
        return new Case(name, r -> signedIn(r).GET(), path, status, code);
    }

    private static Case upload(String name, String filename, String type, byte[] body, int status, String code) {
        return new Case(name, r -> signedIn(r).header("Content-Type", type).header("X-Filename", filename)
                .POST(BodyPublishers.ofByteArray(body)), "/chat/attachments", status, code);
    }

    private static Case form(String name, String body, int status, String code) {
        return formBytes(name, body.getBytes(StandardCharsets.UTF_8), status, code);
    }

    private static Case formBytes(String name, byte[] body, int status, String code) {
        return new Case(name, r -> signedIn(r).header("Content-Type", "multipart/form-data; boundary=" + BOUNDARY)
                .POST(BodyPublishers.ofByteArray(body)), "/chat/messages", status, code);
    }

    private static HttpRequest.Builder signedIn(HttpRequest.Builder request) {
        return request.header("Authorization", "Bearer " + TOKEN);
    }

    private static String field(String name, String value) {
        return "--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" + value + "\r\n";
    }

    private static byte[] formWithPdf(String phone) {
        byte[] head = (field("phone", phone) + "--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"file\";"
                + " filename=\"r.pdf\"\r\nContent-Type: application/pdf\r\n\r\n").getBytes(StandardCharsets.UTF_8);
        byte[] tail = ("\r\n--" + BOUNDARY + "--\r\n").getBytes(StandardCharsets.UTF_8);
        return concat(head, Forms.PDF, tail);
    }

    private static byte[] concat(byte[]... parts) {
        int length = Arrays.stream(parts).mapToInt(p -> p.length).sum();
        byte[] all = new byte[length];
        int at = 0;
        for (byte[] part : parts) {
            System.arraycopy(part, 0, all, at, part.length);
            at += part.length;
        }
        return all;
    }

    static Stream<Case> cases() {
        String ok = "\"phone\":\"+5511999999999\"";
        byte[] oversizedJson = ("{\"phone\":\"+5511999999999\",\"text\":\"" + "a".repeat(Request.MAX_JSON_BYTES) + "\"}")
                .getBytes(StandardCharsets.UTF_8);
        byte[] invalidUtf8 = concat("{\"phone\":\"+5511999999999\",\"text\":\"".getBytes(StandardCharsets.UTF_8),
                new byte[] {(byte) 0xC3, (byte) 0x28}, "\"}".getBytes(StandardCharsets.UTF_8));
        List<Case> cases = new ArrayList<>(List.of(
                message("broken JSON", "{\"phone\":", 400, "invalid_json"),
                message("JSON array", "[]", 400, "invalid_json"),
                message("JSON string", "\"hello\"", 400, "invalid_json"),
                message("empty JSON body", "", 400, "invalid_json"),
                message("trailing garbage", "{" + ok + ",\"text\":\"x\"} trailing", 400, "invalid_json"),
                message("duplicate keys", "{" + ok + "," + ok + ",\"text\":\"x\"}", 400, "invalid_json"),
                message("unknown field", "{" + ok + ",\"txt\":\"x\"}", 400, "unknown_field"),
                message("phone as a number", "{\"phone\":5511999999999,\"text\":\"x\"}", 400, "invalid_type"),
                message("text as an array", "{" + ok + ",\"text\":[\"x\"]}", 400, "invalid_type"),
                message("attachment id as an object", "{" + ok + ",\"attachment_id\":{}}", 400, "invalid_type"),
                message("missing phone", "{\"text\":\"x\"}", 400, "phone_required"),
                message("blank phone", "{\"phone\":\"  \",\"text\":\"x\"}", 400, "phone_required"),
                message("too short a phone", "{\"phone\":\"12345\",\"text\":\"x\"}", 400, "invalid_phone"),
                message("phone with letters", "{\"phone\":\"call me maybe\",\"text\":\"x\"}", 400, "invalid_phone"),
                message("phone too long", "{\"phone\":\"+55 11 99999 9999 9999 9999 9999 9999\",\"text\":\"x\"}",
                        400, "invalid_phone"),
                message("invalid US number", "{\"phone\":\"+1 555 000 0000\",\"text\":\"x\"}", 400, "invalid_phone"),
                message("empty message", "{" + ok + "}", 400, "empty_message"),
                message("whitespace-only text", "{" + ok + ",\"text\":\"   \\n \"}", 400, "empty_message"),
                message("5,000-character text", "{" + ok + ",\"text\":\"" + "é".repeat(5000) + "\"}", 400,
                        "text_too_long"),
                message("NUL in text", "{" + ok + ",\"text\":\"a\\u0000b\"}", 400, "text_has_nul"),
                message("invalid UTF-8", invalidUtf8, 400, "invalid_encoding"),
                message("malformed attachment id", "{" + ok + ",\"attachment_id\":\"../../etc/passwd\"}", 400,
                        "invalid_attachment_id"),
                message("unknown attachment id", "{" + ok + ",\"attachment_id\":\"att_" + VALID_ID_UNKNOWN + "\"}", 400,
                        "unknown_attachment"),
                message("oversized JSON", oversizedJson, 413, "body_too_large"),
                new Case("text/plain message", r -> signedIn(r).header("Content-Type", "text/plain")
                        .POST(BodyPublishers.ofString("hi")), "/chat/messages", 415, "unsupported_media_type"),
                new Case("message without Content-Type", r -> signedIn(r).POST(BodyPublishers.ofString("{}")),
                        "/chat/messages", 415, "unsupported_media_type"),
                new Case("wait flag not a boolean", r -> signedIn(r).header("Content-Type", "application/json")
                        .POST(BodyPublishers.ofString("{" + ok + ",\"text\":\"x\"}")), "/chat/messages?wait=maybe",
                        400, "invalid_query"),
                get("unknown message id", "/chat/messages/msg_" + VALID_ID_UNKNOWN, 404, "message_not_found"),
                get("forged message id", "/chat/messages/msg_'%20OR%201=1--", 404, "message_not_found"),
                get("encoded traversal as message id", "/chat/messages/..%2F..%2Fchat.db", 400, "invalid_path"),
                new Case("re-send of an unknown message", r -> signedIn(r).POST(BodyPublishers.noBody()),
                        "/chat/messages/msg_" + VALID_ID_UNKNOWN + "/redeliver", 404, "message_not_found"),
                get("unknown attachment", "/chat/attachments/att_" + VALID_ID_UNKNOWN, 404, "attachment_not_found"),
                get("traversal as attachment id", "/chat/attachments/..%2F..%2Fchat.db", 400, "invalid_path"),
                new Case("forged attachment token", r -> r.GET(), "/chat/attachments/att_" + VALID_ID_UNKNOWN
                        + "?token=1700000000.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 403, "invalid_token"),
                new Case("garbage attachment token", r -> r.GET(), "/chat/attachments/att_" + VALID_ID_UNKNOWN
                        + "?token=../../etc", 403, "invalid_token"),
                get("thread without phone", "/chat/messages", 400, "phone_required"),
                get("thread with invalid phone", "/chat/messages?phone=abc", 400, "invalid_phone"),
                get("zero limit", "/chat/messages?phone=11999999999&limit=0", 400, "invalid_limit"),
                get("text limit", "/chat/messages?phone=11999999999&limit=ten", 400, "invalid_limit"),
                get("huge limit", "/chat/messages?phone=11999999999&limit=100000", 400, "invalid_limit"),
                get("before that is not an id", "/chat/messages?phone=11999999999&before=1%3B", 400,
                        "invalid_before"),
                get("phone check without a phone", "/chat/phone-check", 400, "phone_required"),
                upload("unsupported file kind", "notes.bin", "application/octet-stream",
                        "just some bytes".getBytes(StandardCharsets.UTF_8), 415, "unsupported_attachment_type"),
                upload("executable disguised as PDF", "invoice.pdf", "application/pdf",
                        concat(new byte[] {0x7F, 'E', 'L', 'F'}, new byte[200]), 415, "unsupported_attachment_type"),
                upload("empty file", "a.pdf", "application/pdf", new byte[0], 400, "empty_file"),
                upload("file over MAX_ATTACHMENT_MB", "big.pdf", "application/pdf",
                        Forms.pdf(1024 * 1024 + 1), 413, "attachment_too_large"),
                upload("bad percent-encoding in X-Filename", "%zz.pdf", "application/pdf", Forms.PDF, 400,
                        "invalid_filename"),
                upload("traversal file name with unsupported bytes", "..%2F..%2Fetc%2Fpasswd", "text/plain",
                        new byte[] {0, 1, 2, 3}, 415, "unsupported_attachment_type"),
                upload("header injection in file name with unsupported bytes", "a%0D%0ASet-Cookie%3A%20x%3D1",
                        "application/octet-stream", new byte[] {0, 1, 2, 3}, 415, "unsupported_attachment_type"),
                upload("form body to the raw upload route", "a.pdf", "multipart/form-data; boundary=x",
                        Forms.PDF, 415, "unsupported_media_type"),
                form("form without boundary end", field("phone", "+5511999999999"), 400, "invalid_multipart"),
                new Case("form without boundary parameter", r -> signedIn(r)
                        .header("Content-Type", "multipart/form-data").POST(BodyPublishers.ofString("x")),
                        "/chat/messages", 400, "invalid_multipart"),
                form("form with unknown field", field("phone", "+5511999999999") + field("colour", "red") + "--"
                        + BOUNDARY + "--\r\n", 400, "unknown_field"),
                formBytes("form with a file and an invalid phone", formWithPdf("123"), 400, "invalid_phone"),
                formBytes("form with a file and no phone", formWithPdf(""), 400, "phone_required"),
                new Case("no token", r -> r.GET(), "/chat/conversations", 401, "unauthorized"),
                new Case("wrong token", r -> r.header("Authorization", "Bearer " + TOKEN + "!").GET(),
                        "/chat/webhook-status", 401, "unauthorized"),
                new Case("token for a send", r -> r.header("Content-Type", "application/json")
                        .POST(BodyPublishers.ofString("{" + ok + ",\"text\":\"x\"}")), "/chat/messages", 401,
                        "unauthorized"),
                new Case("cross-origin send", r -> signedIn(r).header("Origin", "https://evil.example")
                        .header("Content-Type", "application/json")
                        .POST(BodyPublishers.ofString("{" + ok + ",\"text\":\"x\"}")), "/chat/messages", 403,
                        "cross_origin"),
                new Case("cross-site reset", r -> signedIn(r).header("Sec-Fetch-Site", "cross-site")
                        .POST(BodyPublishers.noBody()), "/chat/reset-webhook-circuit", 403, "cross_origin"),
                new Case("wrong method", r -> signedIn(r).PUT(BodyPublishers.ofString("{}")), "/chat/messages", 405,
                        "method_not_allowed"),
                new Case("unknown API path", r -> signedIn(r).POST(BodyPublishers.noBody()), "/chat/nothing-here",
                        404, "not_found"),
                new Case("unknown demo mode", r -> signedIn(r).header("Content-Type", "application/json")
                        .POST(BodyPublishers.ofString("{\"mode\":\"broken\"}")), "/demo/webhook/mode", 400,
                        "invalid_mode"),
                new Case("login token of the wrong type", r -> r.header("Content-Type", "application/json")
                        .POST(BodyPublishers.ofString("{\"token\":42}")), "/login", 400, "invalid_type")));
        return cases.stream();
    }

    @Test
    void shouldCoverAtLeastFortyBadRequests() {
        assertTrue(cases().count() >= 40);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void shouldRefuseWithAClearErrorAndStoreNothing(Case bad) throws Exception {
        HttpResponse<String> response = app.send(bad.request().apply(app.request(bad.path())).build());

        assertEquals(bad.status(), response.statusCode(), response.body());
        assertTrue(response.headers().firstValue("Content-Type").orElse("").startsWith("application/json"),
                "error bodies are JSON");
        JsonNode error = json(response).path("error");
        assertEquals(bad.code(), error.path("code").asText(), response.body());
        assertFalse(error.path("message").asText().isBlank(), "a human message comes with the code");
        assertTrue(error.has("field"), "the field is named, or null");
        assertEquals(200, app.get("/healthz").statusCode(), "the server still answers");
        assertNothingStored();
    }

    private static void assertNothingStored() throws IOException {
        assertEquals(0, app.count("SELECT COUNT(*) FROM messages"), "no message stored");
        assertEquals(0, app.count("SELECT COUNT(*) FROM attachments"), "no attachment stored");
        assertEquals(List.of(), app.storedAttachmentContents(), "no bytes stored, not even part of an upload");
    }
}
