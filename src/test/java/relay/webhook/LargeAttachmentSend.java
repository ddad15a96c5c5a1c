package relay.webhook;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Optional;
import relay.domain.Attachment;
import relay.domain.Message;
import relay.domain.MessageKind;

/**
 * Sends one file inline to a receiver, for {@link LargeAttachmentTest} to run in a JVM with a small heap.
 * Arguments: the file, its SHA-256, the receiver URL, the webhook secret. Exits 0 when the receiver answered 2xx.
 */
public final class LargeAttachmentSend {
    private LargeAttachmentSend() {
    }

    public static void main(String[] args) throws IOException {
        WebhookSender.prepareJdkClient();
        Path file = Path.of(args[0]);
        Instant now = Instant.now();
        Attachment attachment = new Attachment("att_big", MessageKind.VIDEO, "big.mp4", "video/mp4", Files.size(file),
                args[1], now);
        Message message = new Message("msg_big", "+5511999999999", 1, "a big one", attachment, now);
        WebhookBody body = WebhookBody.forMessage(message, sha -> Files.newByteChannel(file), null);
        System.out.println("max heap " + Runtime.getRuntime().maxMemory());
        try (HttpClient client = WebhookSender.newHttpClient(Duration.ofSeconds(10))) {
            WebhookSender sender = new WebhookSender(client, URI.create(args[2]), "big-test",
                    Optional.of(new Signer(args[3])), Duration.ofSeconds(60), 1024, false, InstantSource.system());
            AttemptResult result = sender.send("msg_big", body);
            System.out.println(result);
            boolean delivered = result instanceof AttemptResult.Response r && r.statusCode() / 100 == 2;
            System.exit(delivered ? 0 : 1);
        }
    }
}
