package relay.http;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import relay.config.Config;
import relay.store.Sessions;

/**
 * Who may call what, checked by the {@link Router} before every route runs, also for unknown and malformed paths:
 * <ul>
 *   <li>Browser-borne forgery: a state-changing request whose {@code Origin} is another site (or that the browser
 *   marks {@code Sec-Fetch-Site: cross-site}) is refused with 403, so a web page the operator visits cannot send
 *   messages, reset the circuit or post to the demo receiver. Requests without those headers (curl, scripts, a
 *   webhook sender) are not browsers'.</li>
 *   <li>With {@code APP_TOKEN} set, every route that is not declared {@link Visibility#PUBLIC} needs it, as
 *   {@code Authorization: Bearer …} or as the session cookie {@code POST /login} hands to the pages.</li>
 *   <li>Failed sign-ins — a wrong token at {@code POST /login} or as a bearer token — are limited per client
 *   address ({@link LoginLimiter}); past the limit the client gets 429 with {@code Retry-After}, also with the right
 *   token, until the window passes.</li>
 * </ul>
 */
public final class Access implements Gate {
    static final String COOKIE = "relay_session";
    private static final String BEARER = "Bearer ";

    /** Empty when APP_TOKEN is unset: then nothing needs signing in. */
    private final Optional<Credentials> credentials;
    private final LoginLimiter limiter;
    private final boolean trustForwardedFor;
    private final boolean secureCookie;

    Access(Optional<Credentials> credentials, LoginLimiter limiter, boolean trustForwardedFor,
           boolean secureCookie) {
        this.credentials = credentials;
        this.limiter = limiter;
        this.trustForwardedFor = trustForwardedFor;
        this.secureCookie = secureCookie;
    }

    static Access create(Config config, Sessions sessions, SecureRandom random, InstantSource clock) {
        Config.Limits limits = config.limits();
        Optional<Credentials> credentials = config.appToken().map(token -> new Credentials(token, sessions, random,
                limits.sessionLifetime(), limits.maxSessions(), clock));
        boolean https = config.publicBaseUrl().map(URI::getScheme).filter("https"::equalsIgnoreCase).isPresent();
        return new Access(credentials, new LoginLimiter(limits.loginFailuresPerMinute(), clock),
                config.trustForwardedFor(), https);
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
                        "auth_required", credentials.isPresent(), "signed_in", isSignedIn(request))))
                .publicPost("/login", this::login)
                .publicPost("/logout", this::logout);
    }

    private void login(Request request) throws IOException {
        String client = client(request);
        refuseWhileLimited(request, client);
        String token = JsonBody.read(request, Set.of("token")).string("token");
        if (credentials.isEmpty()) {
            request.respondEmpty(204);
            return;
        }
        if (token == null || !credentials.get().isToken(token)) {
            limiter.recordFailure(client);
            throw new ApiException(401, "invalid_token", "The token is not this server's APP_TOKEN", "token");
        }
        setCookie(request, credentials.get().startSession(), credentials.get().lifetime());
        request.respondEmpty(204);
    }

    /** Ends the session the cookie names, so that cookie no longer works even if a copy of it survives. */
    private void logout(Request request) throws IOException {
        credentials.ifPresent(c -> sessionCookie(request).ifPresent(c::endSession));
        setCookie(request, "", Duration.ZERO);
        request.respondEmpty(204);
    }

    private void setCookie(Request request, String value, Duration maxAge) {
        request.exchange().getResponseHeaders().add("Set-Cookie", COOKIE + "=" + value + "; Path=/; Max-Age="
                + maxAge.toSeconds() + "; HttpOnly; SameSite=Strict" + (secureCookie ? "; Secure" : ""));
    }

    private void requireSignIn(Request request) {
        if (isSignedIn(request)) {
            return;
        }
        request.exchange().getResponseHeaders().set("WWW-Authenticate", "Bearer realm=\"chat-webhook-relay\"");
        throw new ApiException(401, "unauthorized",
                "Sign in first: send Authorization: Bearer <APP_TOKEN>, or sign in on the page");
    }

    /** A bearer token decides alone; without one, the session cookie does. */
    private boolean isSignedIn(Request request) {
        if (credentials.isEmpty()) {
            return true;
        }
        Optional<String> authorization = request.header("Authorization")
                .filter(value -> value.regionMatches(true, 0, BEARER, 0, BEARER.length()));
        if (authorization.isEmpty()) {
            return sessionCookie(request).map(credentials.get()::isSession).orElse(false);
        }
        String client = client(request);
        refuseWhileLimited(request, client);
        boolean valid = credentials.get().isToken(authorization.get().substring(BEARER.length()).strip());
        if (!valid) {
            limiter.recordFailure(client);
        }
        return valid;
    }

    private void refuseWhileLimited(Request request, String client) {
        Optional<Duration> wait = limiter.waitFor(client);
        if (wait.isEmpty()) {
            return;
        }
        long seconds = Math.max(1, (wait.get().toMillis() + 999) / 1000);
        request.exchange().getResponseHeaders().set("Retry-After", String.valueOf(seconds));
        throw new ApiException(429, "too_many_attempts", "Too many failed sign-ins from this address; try again in "
                + seconds + " s");
    }

    private String client(Request request) {
        return ClientAddress.of(request.exchange(), trustForwardedFor);
    }

    private static Optional<String> sessionCookie(Request request) {
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
}
