package relay.testing;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/** What the API tests upload: small PDFs, multipart forms as {@code curl -F} builds them, and content hashes. */
public final class Forms {
    /** A 3,000-byte document that the service detects as a PDF. */
    public static final byte[] PDF = pdf(3000);

    private Forms() {
    }

    /** {@code size} bytes that start like a PDF. */
    public static byte[] pdf(int size) {
        byte[] bytes = new byte[size];
        byte[] head = "%PDF-1.4\n%âãÏÓ\n".getBytes(StandardCharsets.ISO_8859_1);
        for (int i = 0; i < size; i++) {
            bytes[i] = i < head.length ? head[i] : (byte) ('a' + i % 26);
        }
        return bytes;
    }

    /** One field of a form; {@code filename} and {@code contentType} are null for a plain field. */
    public record Part(String name, String filename, String contentType, byte[] content) {
    }

    public static byte[] multipart(String boundary, List<Part> parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Part part : parts) {
            out.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + part.name() + "\""
                    + (part.filename() == null ? "" : "; filename=\"" + part.filename() + "\"") + "\r\n"
                    + (part.contentType() == null ? "" : "Content-Type: " + part.contentType() + "\r\n") + "\r\n")
                    .getBytes(StandardCharsets.UTF_8));
            out.writeBytes(part.content());
            out.writeBytes("\r\n".getBytes(StandardCharsets.UTF_8));
        }
        out.writeBytes(("--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        return out.toByteArray();
    }

    /** Lower-case hex, as the service names stored files. */
    public static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
