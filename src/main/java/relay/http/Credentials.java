package relay.http;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Base64;
import java.util.HexFormat;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import relay.config.Secret;
import relay.store.Sessions;

/**
 * What proves a request is the operator's when {@code APP_TOKEN} is set: the token itself (scripts send it as a
 * bearer token), or a session the pages got by signing in with it.
 *
 * <p>Each sign-in draws a fresh random session id, so no two cookies are alike and ending one ends only that one.
 * The store keeps an HMAC of the id keyed with the token, never the id: a copy of the database gives no cookie
 * that works, and changing {@code APP_TOKEN} ends every session at once.
 */
final class Credentials {
    private static final int ID_BYTES = 32;
    /** 32 bytes in unpadded base64url. */
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9_-]{43}");

    private final Secret token;
    private final Sessions store;
    private final SecureRandom random;
    private final Duration lifetime;
    private final int maxSessions;
    private final InstantSource clock;

    Credentials(Secret token, Sessions store, SecureRandom random, Duration lifetime, int maxSessions,
                InstantSource clock) {
        this.token = token;
        this.store = store;
        this.random = random;
        this.lifetime = lifetime;
        this.maxSessions = maxSessions;
        this.clock = clock;
    }

    boolean isToken(String presented) {
        return token.matches(presented);
    }

    /**
     * Starts a session that lasts {@link #lifetime()}, ending the oldest beyond the most kept.
     *
     * @return its id, for the cookie
     */
    String startSession() {
        byte[] bytes = new byte[ID_BYTES];
        random.nextBytes(bytes);
        String id = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
        Instant now = clock.instant();
        store.add(hash(id), now, now.plus(lifetime), maxSessions);
        return id;
    }

    boolean isSession(String id) {
        return ID.matcher(id).matches() && store.isActive(hash(id), clock.instant());
    }

    void endSession(String id) {
        if (ID.matcher(id).matches()) {
            store.remove(hash(id));
        }
    }

    Duration lifetime() {
        return lifetime;
    }

    private String hash(String id) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(token.reveal().getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return HexFormat.of().formatHex(mac.doFinal(id.getBytes(StandardCharsets.US_ASCII)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        }
    }
}
