package relay.webhook;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Optional;
import java.util.random.RandomGenerator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import relay.domain.Attachment;

/**
 * Signed, expiring links to attachments, for {@code WEBHOOK_ATTACHMENTS=url}: the receiver fetches the file from
 * {@code PUBLIC_BASE_URL/chat/attachments/{id}?token=…} without the app token. The token is
 * {@code <expiry epoch seconds>.<base64url HMAC-SHA256 of "id.expiry">}, keyed by a random key kept in
 * {@code DATA_DIR/link.key} (on SQLite) or in the database every instance shares (on PostgreSQL), so links stay valid
 * across restarts and open on any instance.
 *
 * <p>A link expires {@link #LIFETIME} after the upload: derived from the attachment, not from the attempt, so every
 * attempt of a message sends byte-identical JSON.
 */
public final class AttachmentLinks {
    public static final Duration LIFETIME = Duration.ofHours(24);
    private static final String KEY_FILE = "link.key";
    public static final int KEY_BYTES = 32;
    private static final String ALGORITHM = "HmacSHA256";
    private static final Pattern TOKEN = Pattern.compile("(\\d{1,12})\\.([A-Za-z0-9_-]{43})");

    /** What a presented token proves. */
    public sealed interface Check {
        record Valid() implements Check {
        }

        record Expired(Instant at) implements Check {
        }

        record Forged() implements Check {
        }
    }

    private final SecretKeySpec key;
    private final URI base;

    private AttachmentLinks(byte[] key, URI base) {
        this.key = new SecretKeySpec(key, ALGORITHM);
        this.base = base;
    }

    /** Links signed with {@code key} ({@link #KEY_BYTES} bytes), kept by the caller where every checker reads it. */
    public static AttachmentLinks withKey(byte[] key, URI publicBaseUrl) {
        if (key.length != KEY_BYTES) {
            throw new IllegalArgumentException("the link key must be " + KEY_BYTES + " bytes, not " + key.length);
        }
        return new AttachmentLinks(key.clone(), publicBaseUrl);
    }

    /** A new random key, for a store that keeps the first one offered. */
    public static byte[] newKey(RandomGenerator random) {
        byte[] key = new byte[KEY_BYTES];
        random.nextBytes(key);
        return key;
    }

    /** Reads the link key from {@code dataDir}, creating it (readable by the owner only) on first use. */
    public static AttachmentLinks open(Path dataDir, URI publicBaseUrl, RandomGenerator random) throws IOException {
        Path file = dataDir.resolve(KEY_FILE);
        if (!Files.exists(file)) {
            create(file, random);
        }
        return new AttachmentLinks(storedKey(dataDir).orElseThrow(), publicBaseUrl);
    }

    /**
     * The key in {@code dataDir}, if one was made there: for a copy of the store to take along, so that links already
     * sent still open.
     *
     * @throws IOException when it cannot be read or is damaged
     */
    public static Optional<byte[]> storedKey(Path dataDir) throws IOException {
        Path file = dataDir.resolve(KEY_FILE);
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        byte[] key = Files.readAllBytes(file);
        if (key.length != KEY_BYTES) {
            throw new IOException(file + " is damaged: expected " + KEY_BYTES + " bytes; delete it to make a new one"
                    + " (links already sent stop working)");
        }
        return Optional.of(key);
    }

    private static void create(Path file, RandomGenerator random) throws IOException {
        byte[] key = newKey(random);
        Path temp = Files.createTempFile(file.getParent(), KEY_FILE, ".tmp",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try {
            Files.write(temp, key, StandardOpenOption.SYNC);
            Files.move(temp, file);
        } catch (FileAlreadyExistsException e) {
            // another process made it first; its key is the one to use
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    /** The absolute link the webhook receives for this attachment. */
    public String urlFor(Attachment attachment) {
        long expires = attachment.createdAt().plus(LIFETIME).getEpochSecond();
        return base.toString().replaceAll("/+$", "") + "/chat/attachments/" + attachment.id() + "?token="
                + expires + "." + signature(attachment.id(), expires);
    }

    public Check check(String attachmentId, String token, Instant now) {
        Matcher m = token == null ? null : TOKEN.matcher(token);
        if (m == null || !m.matches()) {
            return new Check.Forged();
        }
        long expires = Long.parseLong(m.group(1));
        byte[] expected = signature(attachmentId, expires).getBytes(StandardCharsets.US_ASCII);
        if (!MessageDigest.isEqual(expected, m.group(2).getBytes(StandardCharsets.US_ASCII))) {
            return new Check.Forged();
        }
        Instant expiry = Instant.ofEpochSecond(expires);
        return now.isBefore(expiry) ? new Check.Valid() : new Check.Expired(expiry);
    }

    private String signature(String attachmentId, long expires) {
        try {
            Mac mac = Mac.getInstance(ALGORITHM);
            mac.init(key);
            byte[] digest = mac.doFinal((attachmentId + "." + expires).getBytes(StandardCharsets.UTF_8));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(digest);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        }
    }
}
