package relay.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static relay.testing.RunningApp.json;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import relay.testing.Forms;
import relay.testing.RunningApp;

/**
 * A file comes back under a name whose extension is what its bytes are, shown by the browser only when it is a
 * picture, sound, video or PDF and saved otherwise, never sniffed, and sandboxed when a browser renders it. Players
 * get the part they ask for.
 */
class AttachmentDownloadTest {
    @TempDir
    static Path dir;

    private static RunningApp app;

    @BeforeAll
    static void start() throws IOException {
        app = RunningApp.start(dir, Map.of());
    }

    @AfterAll
    static void stop() {
        app.close();
    }

    static Stream<Arguments> files() {
        return Stream.of(
                file("photo", "image/jpeg", bytes(0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, 'J', 'F', 'I', 'F', 0), "image",
                        "photo.jpg", "inline"),
                file("Relatório.html", "text/html", Forms.PDF, "pdf", "Relatório.pdf", "inline"),
                file("setup.exe", "application/octet-stream", docx(), "document", "setup.docx", "attachment"),
                file("minutes.docx", "application/octet-stream", docx(), "document", "minutes.docx", "attachment"),
                file("notes.txt", "text/plain", "<script>alert(1)</script>".getBytes(StandardCharsets.UTF_8),
                        "document", "notes.txt", "attachment"),
                file("song.html", "audio/mpeg", concat(ascii("ID3"), bytes(3, 0, 0, 0, 0, 0x0A)), "audio",
                        "song.mp3", "inline"),
                file("clip.exe", "video/mp4", concat(bytes(0, 0, 0, 24), ascii("ftypisom"), bytes(0, 0, 2, 0),
                        ascii("isomiso2avc1mp41")), "video", "clip.mp4", "inline"));
    }

    @ParameterizedTest(name = "{0} as {3}")
    @MethodSource("files")
    void shouldServeEachKindUnderAFittingNameWithSafeHeaders(String name, String contentType, byte[] bytes,
                                                               String kind, String storedName, String disposition) {
        HttpResponse<String> uploaded = app.upload(bytes, contentType,
                URLEncoder.encode(name, StandardCharsets.UTF_8).replace("+", "%20"));
        assertEquals(201, uploaded.statusCode(), uploaded.body());
        JsonNode attachment = json(uploaded);
        assertEquals(kind, attachment.path("kind").asText());
        assertEquals(storedName, attachment.path("filename").asText());

        HttpResponse<byte[]> download = app.getBytes(attachment.path("url").asText());

        assertEquals(200, download.statusCode());
        assertArrayEquals(bytes, download.body());
        assertEquals(attachment.path("mime_type").asText(), download.headers().firstValue("Content-Type")
                .orElseThrow());
        assertEquals(disposition + "; filename=\"" + storedName.replace('ó', '_') + "\"; filename*=UTF-8''"
                + URLEncoder.encode(storedName, StandardCharsets.UTF_8), download.headers()
                .firstValue("Content-Disposition").orElseThrow());
        assertEquals("nosniff", download.headers().firstValue("X-Content-Type-Options").orElseThrow());
        assertEquals("default-src 'none'; sandbox", download.headers().firstValue("Content-Security-Policy")
                .orElseThrow());
        assertEquals("bytes", download.headers().firstValue("Accept-Ranges").orElseThrow());
    }

    @Test
    void shouldServeThePartOfAFileThatAPlayerAsksFor() {
        // All ASCII, so each part compares as text.
        String content = "ID3\u0003\u0000\u0000\u0000\u0000\n" + "0123456789".repeat(10);
        int size = content.length();
        JsonNode attachment = json(app.upload(ascii(content), "audio/mpeg", "voice.mp3"));
        String url = attachment.path("url").asText();
        String etag = "\"" + attachment.path("sha256").asText() + "\"";

        HttpResponse<String> middle = get(url, "Range", "bytes=9-18");
        assertEquals(206, middle.statusCode());
        assertEquals("0123456789", middle.body());
        assertEquals("bytes 9-18/" + size, middle.headers().firstValue("Content-Range").orElseThrow());
        assertEquals("10", middle.headers().firstValue("Content-Length").orElseThrow());
        assertEquals("default-src 'none'; sandbox", middle.headers().firstValue("Content-Security-Policy")
                .orElseThrow());
        assertEquals(content.substring(size - 4), get(url, "Range", "bytes=-4").body());
        assertEquals(content.substring(size - 3), get(url, "Range", "bytes=" + (size - 3) + "-").body());
        assertEquals(content.substring(size - 2), get(url, "Range", "bytes=" + (size - 2) + "-99999").body());
        assertEquals(206, get(url, "Range", "bytes=0-1", "If-Range", etag).statusCode());

        HttpResponse<String> pastTheEnd = get(url, "Range", "bytes=" + size + "-");
        assertEquals(416, pastTheEnd.statusCode());
        assertEquals("range_not_satisfiable", json(pastTheEnd).at("/error/code").asText());
        assertEquals("bytes */" + size, pastTheEnd.headers().firstValue("Content-Range").orElseThrow());
        for (String[] whole : new String[][] {{"Range", "bytes=0-1,5-6"}, {"Range", "bytes=9-2"},
                {"Range", "lines=1-2"}, {"Range", "bytes=0-1", "If-Range", "\"another version\""}}) {
            HttpResponse<String> answer = get(url, whole);
            assertEquals(200, answer.statusCode(), String.join(" ", whole));
            assertEquals(content, answer.body());
        }
    }

    private static HttpResponse<String> get(String url, String... headers) {
        return app.send(app.request(url).headers(headers).GET().build());
    }

    private static Arguments file(String name, String contentType, byte[] bytes, String kind, String storedName,
                                  String disposition) {
        return Arguments.of(name, contentType, bytes, kind, storedName, disposition);
    }

    private static byte[] bytes(int... values) {
        byte[] out = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = (byte) values[i];
        }
        return out;
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    private static byte[] docx() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(out)) {
            zip.putNextEntry(new ZipEntry("[Content_Types].xml"));
            zip.write(ascii("<Types/>"));
            zip.putNextEntry(new ZipEntry("word/document.xml"));
            zip.write(ascii("<w:document/>"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
