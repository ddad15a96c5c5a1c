package relay.webhook;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.function.Function;
import relay.domain.Attachment;
import relay.domain.Message;
import relay.store.StorageException;

/**
 * The JSON request body in the Standard Webhooks shape ({@code type}, {@code timestamp}, {@code data}): the same
 * bytes on every {@link #open()}, streamed so a large attachment is never held in memory whole.
 *
 * <p>A message's {@code data} holds {@code id}, {@code phone}, {@code sequence}, {@code created_at}, {@code text}
 * (omitted when the message has none, as {@code attachment} is for a text-only message) and {@code attachment}
 * with {@code kind}, {@code filename}, {@code mime_type}, {@code size}, {@code sha256} and either the file as
 * {@code data_base64} or a signed {@code url} to fetch it from.
 *
 * <p>The JSON is written by Jackson once, with the base64 value left empty; the body is then the bytes before that
 * value, the file encoded on the fly, and the bytes after it.
 */
public final class WebhookBody {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final String BASE64_FIELD = "data_base64";
    /** Only the key can contain this: inside a JSON string every quote is escaped. */
    private static final byte[] BASE64_SLOT = ("\"" + BASE64_FIELD + "\":\"\"").getBytes(StandardCharsets.UTF_8);

    private final byte[] head;
    /** Null when no file is sent inline. */
    private final AttachmentSource files;
    private final String sha256;
    private final long fileSize;
    private final byte[] tail;

    private WebhookBody(byte[] head, AttachmentSource files, String sha256, long fileSize, byte[] tail) {
        this.head = head;
        this.files = files;
        this.sha256 = sha256;
        this.fileSize = fileSize;
        this.tail = tail;
    }

    /**
     * @param files   where the attachment's bytes are, for inline mode
     * @param urlMode null to send the attachment inline as base64; otherwise gives the signed URL to send instead
     */
    public static WebhookBody forMessage(Message m, AttachmentSource files, Function<Attachment, String> urlMode) {
        ObjectNode data = MAPPER.createObjectNode()
                .put("id", m.id())
                .put("phone", m.phone())
                .put("sequence", m.sequence());
        if (m.text() != null) {
            data.put("text", m.text());
        }
        data.put("created_at", m.createdAt().toString());
        ObjectNode root = envelope("message", m.createdAt(), data);
        Attachment a = m.attachment();
        if (a == null) {
            return whole(root);
        }
        ObjectNode attachment = data.putObject("attachment")
                .put("kind", a.kind().wireName())
                .put("filename", a.filename())
                .put("mime_type", a.mimeType())
                .put("size", a.size())
                .put("sha256", a.sha256());
        if (urlMode != null) {
            attachment.put("url", urlMode.apply(a));
            return whole(root);
        }
        attachment.put(BASE64_FIELD, "");
        return inline(bytes(root), files, a.sha256(), a.size());
    }

    /** The body of the settings page's "send a test event". */
    public static WebhookBody testEvent(Instant at, String id) {
        ObjectNode data = MAPPER.createObjectNode()
                .put("id", id)
                .put("message", "Test event from Chat Webhook Relay");
        return whole(envelope("webhook.test", at, data));
    }

    /** The exact byte length, known before sending so the request carries a Content-Length. */
    public long length() {
        return head.length + Base64Stream.encodedLength(fileSize) + tail.length;
    }

    /**
     * A fresh stream of the body's bytes; the caller closes it.
     *
     * @throws UnreadableAttachment when the attachment's file cannot be read, now or while the stream is read
     */
    public InputStream open() throws IOException {
        if (files == null) {
            return new ByteArrayInputStream(head);
        }
        List<InputStream> parts = List.of(new ByteArrayInputStream(head),
                new Base64Stream(new FileBytes(openFile(), fileSize)), new ByteArrayInputStream(tail));
        return new SequenceInputStream(Collections.enumeration(parts));
    }

    /**
     * Fails now, before anything is sent, when the attachment's file is gone, unreadable or not the size announced;
     * a body without a file always passes.
     */
    public void checkReadable() throws UnreadableAttachment {
        if (files == null) {
            return;
        }
        InputStream bytes = openFile();
        try {
            bytes.close();
        } catch (IOException e) {
            throw new UnreadableAttachment(e);
        }
    }

    private InputStream openFile() throws UnreadableAttachment {
        SeekableByteChannel channel;
        try {
            channel = files.open(sha256);
        } catch (IOException | StorageException e) {
            throw new UnreadableAttachment(e);
        }
        try {
            long actual = channel.size();
            if (actual != fileSize) {
                // The announced Content-Length would be wrong; fail the attempt rather than send a broken body.
                throw new IOException("attachment file has " + actual + " bytes, expected " + fileSize);
            }
            return Channels.newInputStream(channel);
        } catch (IOException e) {
            UnreadableAttachment unreadable = new UnreadableAttachment(e);
            try {
                channel.close();
            } catch (IOException closing) {
                unreadable.addSuppressed(closing);
            }
            throw unreadable;
        }
    }

    /**
     * The attachment's file could not be read: the store's trouble, not the webhook's. Its message names no path
     * (the cause keeps the details), so it can be shown and logged as it is.
     */
    public static final class UnreadableAttachment extends IOException {
        UnreadableAttachment(Exception cause) {
            super(AttemptResult.AttachmentUnavailable.ERROR, cause);
        }
    }

    /** The file's bytes; every failure to read them, and a file shorter than announced, is an UnreadableAttachment. */
    private static final class FileBytes extends FilterInputStream {
        private final long expected;
        private long read;

        FileBytes(InputStream in, long expected) {
            super(in);
            this.expected = expected;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) == -1 ? -1 : one[0] & 0xFF;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n;
            try {
                n = in.read(b, off, len);
            } catch (IOException e) {
                throw new UnreadableAttachment(e);
            }
            if (n == -1 && read < expected) {
                throw new UnreadableAttachment(new IOException("attachment file ended after " + read + " bytes"));
            }
            read += Math.max(n, 0);
            return n;
        }
    }

    private static ObjectNode envelope(String type, Instant timestamp, ObjectNode data) {
        ObjectNode root = MAPPER.createObjectNode()
                .put("type", type)
                .put("timestamp", timestamp.toString());
        root.set("data", data);
        return root;
    }

    private static WebhookBody whole(ObjectNode root) {
        return new WebhookBody(bytes(root), null, null, 0, new byte[0]);
    }

    private static WebhookBody inline(byte[] json, AttachmentSource files, String sha256, long fileSize) {
        int slot = lastIndexOf(json, BASE64_SLOT);
        int valueStart = slot + BASE64_SLOT.length - 1;
        byte[] head = Arrays.copyOfRange(json, 0, valueStart);
        byte[] tail = Arrays.copyOfRange(json, valueStart, json.length);
        return new WebhookBody(head, files, sha256, fileSize, tail);
    }

    private static byte[] bytes(ObjectNode root) {
        try {
            return MAPPER.writeValueAsBytes(root);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static int lastIndexOf(byte[] haystack, byte[] needle) {
        for (int i = haystack.length - needle.length; i >= 0; i--) {
            if (Arrays.equals(haystack, i, i + needle.length, needle, 0, needle.length)) {
                return i;
            }
        }
        throw new IllegalStateException("no " + BASE64_FIELD + " slot in the JSON");
    }
}
