package relay.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static relay.testing.RunningApp.json;

import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import relay.testing.FakeClock;
import relay.testing.RunningApp;

/** Sign-in sessions: a fresh cookie per login, ended by logout, expiry and the session cap; failed logins limited. */
class SessionsTest {
    private static final String TOKEN = "correct-horse-battery-staple";

    @TempDir
    Path dir;

    private final FakeClock clock = new FakeClock(Instant.parse("2026-11-27T12:00:00Z"));
    private RunningApp app;

    private void start(Map<String, String> settings) throws IOException {
        Map<String, String> all = new HashMap<>(Map.of("APP_TOKEN", TOKEN));
        all.putAll(settings);
        app = RunningApp.start(dir, all, clock);
    }

    @AfterEach
    void stop() {
        if (app != null) {
            app.close();
        }
    }

    private HttpResponse<String> login(String token, String... headers) {
        HttpRequest.Builder request = app.request("/login").header("Content-Type", "application/json");
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        return app.send(request.POST(HttpRequest.BodyPublishers.ofString("{\"token\":\"" + token + "\"}")).build());
    }

    /** Signs in and returns the Set-Cookie header. */
    private String signIn() {
        HttpResponse<String> login = login(TOKEN);
        assertEquals(204, login.statusCode(), login.body());
        return login.headers().firstValue("Set-Cookie").orElseThrow();
    }

    private static String cookiePair(String setCookie) {
        return setCookie.substring(0, setCookie.indexOf(';'));
    }

    private static String value(String setCookie) {
        return cookiePair(setCookie).substring(Access.COOKIE.length() + 1);
    }

    private int statusWith(String setCookie) {
        return app.send(app.request("/chat/webhook-status").header("Cookie", cookiePair(setCookie)).build())
                .statusCode();
    }

    @Test
    void shouldHandOutAFreshRandomCookieOnEveryLogin() throws IOException {
        start(Map.of());
        List<String> values = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            values.add(value(signIn()));
        }

        assertEquals(5, values.stream().distinct().count(), values.toString());
        for (String value : values) {
            assertTrue(value.matches("[A-Za-z0-9_-]{43}"), "32 random bytes in base64url: " + value);
            assertEquals(200, statusWith(Access.COOKIE + "=" + value + ";"));
        }
    }

    @Test
    void shouldSetAStrictHttpOnlyCookieThatLastsTheSessionLifetime() throws IOException {
        start(Map.of("SESSION_DAYS", "7"));

        String cookie = signIn();

        assertTrue(cookie.contains("; Path=/;"), cookie);
        assertTrue(cookie.contains("; HttpOnly"), cookie);
        assertTrue(cookie.contains("; SameSite=Strict"), cookie);
        assertTrue(cookie.contains("; Max-Age=" + Duration.ofDays(7).toSeconds()), cookie);
        assertFalse(cookie.contains("Secure"), "plain http: a Secure cookie would never come back");
    }

    @Test
    void shouldMarkTheCookieSecureWhenThePublicAddressIsHttps() throws IOException {
        start(Map.of("PUBLIC_BASE_URL", "https://chat.example.com"));

        assertTrue(signIn().endsWith("; Secure"));
    }

    @Test
    void shouldEndTheSessionOnLogoutSoTheOldCookieNoLongerWorks() throws IOException {
        start(Map.of());
        String cookie = signIn();
        String other = signIn();
        assertEquals(200, statusWith(cookie));

        HttpResponse<String> logout = app.send(app.request("/logout").header("Cookie", cookiePair(cookie))
                .POST(HttpRequest.BodyPublishers.noBody()).build());

        assertEquals(204, logout.statusCode());
        assertTrue(logout.headers().firstValue("Set-Cookie").orElseThrow().contains("Max-Age=0"));
        assertEquals(401, statusWith(cookie), "the cookie kept by someone else no longer works");
        assertFalse(json(app.send(app.request("/chat/session").header("Cookie", cookiePair(cookie)).build()))
                .path("signed_in").asBoolean());
        assertEquals(200, statusWith(other), "other sessions go on");
    }

    @Test
    void shouldEndASessionWhenItsLifetimeIsOver() throws IOException {
        start(Map.of("SESSION_DAYS", "1"));
        String cookie = signIn();

        clock.advance(Duration.ofDays(1).minusSeconds(1));
        assertEquals(200, statusWith(cookie));
        clock.advance(Duration.ofSeconds(1));

        assertEquals(401, statusWith(cookie));
    }

    @Test
    void shouldEndTheOldestSessionsBeyondMaxSessions() throws IOException {
        start(Map.of("MAX_SESSIONS", "2"));
        String first = signIn();
        String second = signIn();
        String third = signIn();

        assertEquals(401, statusWith(first));
        assertEquals(200, statusWith(second));
        assertEquals(200, statusWith(third));
        assertEquals(2, app.count("SELECT COUNT(*) FROM sessions"));
    }

    @Test
    void shouldStoreNoUsableCookie() throws IOException {
        start(Map.of());
        String value = value(signIn());
        RunningApp stopped = app;
        app.close();
        app = null;

        assertEquals(1, stopped.count("SELECT COUNT(*) FROM sessions"));
        assertEquals(0, stopped.count("SELECT COUNT(*) FROM sessions WHERE id_hash = '" + value + "'"));
        try (Stream<Path> files = Files.list(dir)) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                assertFalse(new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1).contains(value),
                        file + " holds the cookie");
            }
        }
    }

    @Test
    void shouldKeepSessionsAcrossARestartButEndThemAllWhenTheTokenChanges() throws IOException {
        start(Map.of());
        String cookie = signIn();
        app.close();

        start(Map.of());
        assertEquals(200, statusWith(cookie), "a restart does not sign the operator out");
        app.close();

        start(Map.of("APP_TOKEN", TOKEN + "-rotated"));
        assertEquals(401, statusWith(cookie), "a new APP_TOKEN ends the sessions of the old one");
    }

    @Test
    void shouldRefuseLoginsWith429AfterTooManyFailuresEvenWithTheRightToken() throws IOException {
        start(Map.of("LOGIN_FAILURES_PER_MINUTE", "3"));
        for (int i = 0; i < 3; i++) {
            assertEquals(401, login("wrong-" + i).statusCode());
            clock.advance(Duration.ofSeconds(10));
        }

        HttpResponse<String> limited = login(TOKEN);

        assertEquals(429, limited.statusCode());
        assertEquals("too_many_attempts", json(limited).path("error").path("code").asText());
        assertEquals("30", limited.headers().firstValue("Retry-After").orElseThrow(),
                "failures at 0, 10 and 20 s; now 30 s");
        assertFalse(limited.headers().firstValue("Set-Cookie").isPresent());

        clock.advance(Duration.ofSeconds(29));
        assertEquals(429, login(TOKEN).statusCode());
        clock.advance(Duration.ofSeconds(1));
        assertEquals(204, login(TOKEN).statusCode(), "the first failure is a minute old");
    }

    @Test
    void shouldCountWrongBearerTokensAsFailedSignIns() throws IOException {
        start(Map.of("LOGIN_FAILURES_PER_MINUTE", "2"));
        for (int i = 0; i < 2; i++) {
            assertEquals(401, app.send(app.request("/chat/config").header("Authorization", "Bearer guess-" + i)
                    .build()).statusCode());
        }

        HttpResponse<String> limited = app.send(app.request("/chat/config").header("Authorization",
                "Bearer " + TOKEN).build());

        assertEquals(429, limited.statusCode());
        assertEquals("60", limited.headers().firstValue("Retry-After").orElseThrow());
    }

    @Test
    void shouldLimitEachClientAddressAlone() throws IOException {
        start(Map.of("LOGIN_FAILURES_PER_MINUTE", "1", "TRUST_FORWARDED_FOR", "true"));
        assertEquals(401, login("wrong", "X-Forwarded-For", "203.0.113.1").statusCode());

        assertEquals(429, login(TOKEN, "X-Forwarded-For", "203.0.113.1").statusCode());
        assertEquals(204, login(TOKEN, "X-Forwarded-For", "203.0.113.2").statusCode());
    }
}
