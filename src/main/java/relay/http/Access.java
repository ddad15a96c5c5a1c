package relay.http;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import relay.config.Secret;

/**
 * Who may call what, checked by the {@link Router} before every route runs, also for unknown and malformed paths:
 * <ul>
 *   <li>Browser-borne forgery: a state-changing request whose {@code Origin} is another site (or that the browser
 *   marks {@code Sec-Fetch-Site: cross-site}) is refused with 403, so a web page the operator visits cannot send
 *   messages, reset the circuit or post to the demo receiver. Requests without those headers (curl, scripts, a
 *   webhook sender) are not browsers'.</li>
 *   <li>With {@code APP_TOKEN} set, every route that is not declared {@link Visibility#PUBLIC} needs it, as
 *   {@code Authorization: Bearer …} or as the session cookie {@code POST /login} hands to the pages.</li>
 * </ul>
 */
public final class Access implements Gate {
    static final String COOKIE = "relay_session";
    private static final int COOKIE_MAX_AGE_SECONDS = 30 * 24 * 3600;

    private final Optional<Secret> appToken;
    private final Optional<String> sessionValue;

    public Access(Optional<Secret> appToken) {
        this.appToken = appToken;
        this.sessionValue = appToken.map(token -> sessionValue(token.reveal()));
    }

    @Override
    public void admit(Request request, Visibility visibility) {
        refuseCrossSite(request);
        if (!visibility.admitsWithoutSignIn(request)) {
            requireSignIn(request);
        }
    }

    /** Adds {@code GET /chat/session}, {@code POST /login} and {@code POST /logout}, all public. */
    public Router routes(Router router) {
        return router
                .publicGet("/chat/session", request -> request.respondJson(200, Map.of(
                        "auth_required", appToken.isPresent(), "signed_in", isSignedIn(request))))
                .publicPost("/login", this::login)
                .publicPost("/logout", request -> {
                    setCookie(request, "", 0);
                    request.respondEmpty(204);
                });
    }

    private void login(Request request) throws IOException {
        String token = JsonBody.read(request, Set.of("token")).string("token");
        if (appToken.isEmpty()) {
            request.respondEmpty(204);
            return;
        }
        if (token == null || !appToken.get().matches(token)) {
            throw new ApiException(401, "invalid_token", "The token is not this server's APP_TOKEN", "token");
        }
        setCookie(request, sessionValue.orElseThrow(), COOKIE_MAX_AGE_SECONDS);
        request.respondEmpty(204);
    }

    private static void setCookie(Request request, String value, int maxAge) {
        request.exchange().getResponseHeaders().add("Set-Cookie", COOKIE + "=" + value + "; Path=/; Max-Age="
                + maxAge + "; HttpOnly; SameSite=Strict");
    }

    private void requireSignIn(Request request) {
        if (isSignedIn(request)) {
            return;
        }
        request.exchange().getResponseHeaders().set("WWW-Authenticate", "Bearer realm=\"chat-webhook-relay\"");
        throw new ApiException(401, "unauthorized",
                "Sign in first: send Authorization: Bearer <APP_TOKEN>, or sign in on the page");
    }

    private boolean isSignedIn(Request request) {
        if (appToken.isEmpty()) {
            return true;
        }
        Optional<String> bearer = request.header("Authorization")
                .filter(value -> value.regionMatches(true, 0, "Bearer ", 0, 7))
                .map(value -> value.substring(7).strip());
        if (bearer.isPresent()) {
            return appToken.get().matches(bearer.get());
        }
        return cookie(request).map(value -> MessageDigest.isEqual(value.getBytes(StandardCharsets.US_ASCII),
                sessionValue.orElseThrow().getBytes(StandardCharsets.US_ASCII))).orElse(false);
    }

    private static Optional<String> cookie(Request request) {
        for (String header : request.exchange().getRequestHeaders().getOrDefault("Cookie", List.of())) {
            for (String pair : header.split(";")) {
                String[] nameValue = pair.strip().split("=", 2);
                if (nameValue.length == 2 && nameValue[0].equals(COOKIE)) {
                    return Optional.of(nameValue[1]);
                }
            }
        }
        return Optional.empty();
    }

    private static void refuseCrossSite(Request request) {
        String method = request.method();
        if (method.equals("GET") || method.equals("HEAD")) {
            return;
        }
        boolean crossSite = request.header("Sec-Fetch-Site")
                .map(site -> site.equalsIgnoreCase("cross-site")).orElse(false);
        Optional<String> origin = request.header("Origin");
        if (crossSite || origin.filter(o -> !isSameOrigin(o, request)).isPresent()) {
            throw new ApiException(403, "cross_origin",
                    "Requests from other web sites are refused; use this server's own pages or a script");
        }
    }

    /** Same origin as the address the browser used for this request (its Host header), default ports filled in. */
    private static boolean isSameOrigin(String origin, Request request) {
        Optional<String> host = request.header("Host");
        try {
            URI uri = new URI(origin.strip());
            String scheme = uri.getScheme();
            if (host.isEmpty() || uri.getHost() == null || !("http".equals(scheme) || "https".equals(scheme))) {
                return false;
            }
            int defaultPort = scheme.equals("https") ? 443 : 80;
            String originAuthority = uri.getHost() + ":" + (uri.getPort() == -1 ? defaultPort : uri.getPort());
            String hostAuthority = host.get().matches(".*:\\d+") ? host.get() : host.get() + ":" + defaultPort;
            return originAuthority.equalsIgnoreCase(hostAuthority);
        } catch (URISyntaxException e) {
            return false;
        }
    }

    /** What the session cookie holds: derived from the token, so the cookie never carries the token itself. */
    private static String sessionValue(String token) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(token.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            byte[] digest = mac.doFinal("chat-webhook-relay session".getBytes(StandardCharsets.UTF_8));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(digest);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        }
    }
}
