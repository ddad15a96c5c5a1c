package relay.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static relay.testing.RunningApp.json;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import relay.testing.Await;
import relay.testing.FakeClock;
import relay.testing.RunningApp;

/** Housekeeping as the operator meets it: an upload never sent goes away after ORPHAN_UPLOAD_HOURS, counted. */
class HousekeepingApiTest {
    private static final byte[] PDF = "%PDF-1.4\nthe contract that was never sent\n"
            .getBytes(StandardCharsets.US_ASCII);

    @TempDir
    Path dir;

    private final FakeClock clock = new FakeClock(Instant.parse("2026-01-05T09:00:00Z"));

    @Test
    void shouldDeleteAnUploadNeverSentOnceOlderThanTheOrphanAgeAndCountIt() throws Exception {
        Map<String, String> settings = Map.of("ORPHAN_UPLOAD_HOURS", "2", "INSTANCE_ID", "relay-a");
        String id;
        try (RunningApp app = RunningApp.start(dir, settings, clock)) {
            HttpResponse<String> upload = app.upload(PDF, "application/pdf", "contract.pdf");
            assertEquals(201, upload.statusCode(), upload.body());
            id = json(upload).path("id").asText();
            assertTrue(app.get("/metrics").body()
                    .contains("relay_housekeeping_deleted_total{instance=\"relay-a\",kind=\"orphan_upload\"} 0\n"));
        }
        clock.advance(Duration.ofHours(2).plusSeconds(1));

        try (RunningApp app = RunningApp.start(dir, settings, clock)) {
            // The row goes in one write and its file in the next, so the two counts may be seen one after the other.
            String metrics = Await.until("the run at start deleted the upload and its file",
                    () -> app.get("/metrics").body(),
                    body -> body.contains("relay_housekeeping_deleted_total{instance=\"relay-a\",kind=\"orphan_upload\"} 1\n")
                            && body.contains("relay_housekeeping_deleted_total{instance=\"relay-a\",kind=\"file\"} 1\n"));

            assertTrue(metrics.contains("relay_housekeeping_deleted_total{instance=\"relay-a\",kind=\"message\"} 0\n"), metrics);
            assertEquals(404, app.get("/chat/attachments/" + id).statusCode());
        }
    }
}
