package relay.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.function.Supplier;
import relay.log.EventLog;
import relay.store.StorageException;

/**
 * Matches method and path to a handler, on the one canonical {@link RequestPath}. Patterns are literal segments or
 * {@code {name}} parameters. Every request passes the {@link Gate} first — also one for an unknown or malformed
 * path, which counts as {@link Visibility#PROTECTED} — so without the token such a request gets 401, and only
 * with it 400 {@code invalid_path}, 404 or 405. A GET route also answers HEAD; a known path with another method
 * gets 405 with {@code Allow}; GET and HEAD for a path no route knows may be a page or asset ({@link StaticFiles}).
 * A browser opening a path that nothing answers (GET or HEAD asking for {@code text/html}) gets the public "not
 * found" page instead of a JSON 404 or 401: nothing is behind that path, so there is nothing to protect; any other
 * client still gets 401 first, then the JSON 404.
 * Every {@link ApiException} becomes the JSON error body here, so handlers only throw.
 */
public final class Router implements HttpHandler {
    private static final EventLog LOG = EventLog.of(Router.class);
    private static final Set<String> READS = Set.of("GET", "HEAD");

    /** A declared route: for listings, and for tests that must cover every route, also those added later. */
    public record Route(String method, String pattern, Visibility visibility) {
    }

    private record Entry(Route route, List<String> segments, Handler handler) {
    }

    /** What answers a request — a route, a file, or a handler that only refuses — and who may call it. */
    private record Match(Handler handler, Visibility visibility, Map<String, String> params) {
        static Match refusal(Handler refuse) {
            return new Match(refuse, Visibility.PROTECTED, Map.of());
        }
    }

    private final List<Entry> entries = new ArrayList<>();
    private final Gate gate;
    private Function<RequestPath, Optional<Handler>> files = path -> Optional.empty();
    private Supplier<Optional<Handler>> notFoundPage = Optional::empty;

    /** @param gate what every request passes before its route: the Host check and access */
    Router(Gate gate) {
        this.gate = gate;
    }

    public Router() {
        this(Gate.OPEN);
    }

    /** A protected GET route, also answering HEAD. */
    public Router get(String pattern, Handler handler) {
        return route("GET", pattern, Visibility.PROTECTED, handler);
    }

    /** A protected POST route. */
    public Router post(String pattern, Handler handler) {
        return route("POST", pattern, Visibility.PROTECTED, handler);
    }

    /** A GET route open to anyone, also answering HEAD. */
    public Router publicGet(String pattern, Handler handler) {
        return route("GET", pattern, Visibility.PUBLIC, handler);
    }

    /** A POST route open to anyone. */
    public Router publicPost(String pattern, Handler handler) {
        return route("POST", pattern, Visibility.PUBLIC, handler);
    }

    /** A route for {@code method}; HEAD cannot be declared, it is answered by the GET route of the same path. */
    public Router route(String method, String pattern, Visibility visibility, Handler handler) {
        if (method.equals("HEAD")) {
            throw new IllegalArgumentException("HEAD is answered by the GET route of the same path");
        }
        entries.add(new Entry(new Route(method, pattern, visibility), patternSegments(pattern), handler));
        return this;
    }

    private static List<String> patternSegments(String pattern) {
        if (pattern.equals("/")) {
            return List.of();
        }
        List<String> segments = List.of(pattern.substring(1).split("/", -1));
        if (!pattern.startsWith("/") || segments.contains("")) {
            throw new IllegalArgumentException("not a canonical path pattern: " + pattern);
        }
        return segments;
    }

    /**
     * The pages and assets, served publicly for GET and HEAD of a path that no route knows, and the "not found" page
     * for browsers.
     */
    public Router files(StaticFiles staticFiles) {
        this.files = staticFiles::find;
        this.notFoundPage = staticFiles::notFoundPage;
        return this;
    }

    /** Every declared route, in the order declared. */
    public List<Route> routes() {
        return entries.stream().map(Entry::route).toList();
    }

    @Override
    public void handle(HttpExchange raw) {
        try (ManagedExchange exchange = new ManagedExchange(raw)) {
            try {
                dispatch(exchange);
            } catch (IOException e) {
                answerFailure(exchange, e);
            }
        }
    }

    private void dispatch(ManagedExchange exchange) throws IOException {
        try {
            Match match = match(exchange);
            Request request = new Request(exchange, match.params());
            gate.admit(request, match.visibility());
            match.handler().handle(request);
        } catch (ApiException e) {
            respondError(exchange, e);
        } catch (StorageException e) {
            respondError(exchange, StoreErrors.answer(e, exchange.getResponseHeaders()));
        } catch (RuntimeException e) {
            if (exchange.bodyReadFailed()) {
                respondError(exchange, unreadableBody());
                return;
            }
            LOG.error("http.error", "💥 " + exchange.getRequestMethod() + " " + exchange.getRequestURI().getPath()
                    + " failed", e);
            respondError(exchange, internalError());
        }
    }

    /**
     * A handler failed to read or write. When the answer has already started, or the client is gone, nobody is left
     * to tell. Otherwise a body that could not be read is the client's fault (400); anything else was ours (500).
     */
    private static void answerFailure(ManagedExchange exchange, IOException failure) {
        if (exchange.getResponseCode() != -1) {
            return;
        }
        boolean clients = exchange.bodyReadFailed();
        try {
            respondError(exchange, clients ? unreadableBody() : internalError());
        } catch (IOException gone) {
            return;
        }
        if (!clients) {
            LOG.warn("http.io_failed", "💥 " + exchange.getRequestMethod() + " " + exchange.getRequestURI()
                    .getPath() + " failed: " + failure.getMessage(), "error", String.valueOf(failure.getMessage()));
        }
    }

    private Match match(HttpExchange exchange) {
        Optional<RequestPath> parsed = RequestPath.parse(exchange.getRequestURI());
        if (parsed.isEmpty()) {
            return Match.refusal(request -> {
                throw invalidPath();
            });
        }
        List<String> path = parsed.get().segments();
        String method = exchange.getRequestMethod();
        String routeMethod = method.equals("HEAD") ? "GET" : method;
        Set<String> allowed = new TreeSet<>();
        for (Entry entry : entries) {
            Map<String, String> params = match(entry.segments(), path);
            if (params == null) {
                continue;
            }
            if (entry.route().method().equals(routeMethod)) {
                return new Match(entry.handler(), entry.route().visibility(), params);
            }
            allowed.addAll(entry.route().method().equals("GET") ? READS : Set.of(entry.route().method()));
        }
        if (allowed.isEmpty()) {
            Optional<Handler> file = files.apply(parsed.get());
            if (file.isPresent()) {
                if (READS.contains(method)) {
                    return new Match(file.get(), Visibility.PUBLIC, Map.of());
                }
                allowed.addAll(READS);
            }
        }
        if (allowed.isEmpty()) {
            Optional<Handler> page = READS.contains(method) && asksForHtml(exchange) ? notFoundPage.get()
                    : Optional.empty();
            return page.map(handler -> new Match(handler, Visibility.PUBLIC, Map.of())).orElseGet(() ->
                    Match.refusal(request -> {
                        throw notFound();
                    }));
        }
        return Match.refusal(request -> {
            request.exchange().getResponseHeaders().set("Allow", String.join(", ", allowed));
            throw new ApiException(405, "method_not_allowed", method + " is not allowed here; use "
                    + String.join(" or ", allowed));
        });
    }

    /** A browser's navigation asks for HTML; the pages' own fetches and API clients do not. */
    private static boolean asksForHtml(HttpExchange exchange) {
        return exchange.getRequestHeaders().getOrDefault("Accept", List.of()).stream()
                .anyMatch(accept -> accept.toLowerCase(Locale.ROOT).contains("text/html"));
    }

    private static Map<String, String> match(List<String> pattern, List<String> path) {
        if (pattern.size() != path.size()) {
            return null;
        }
        Map<String, String> params = new HashMap<>();
        for (int i = 0; i < pattern.size(); i++) {
            String expected = pattern.get(i);
            if (expected.startsWith("{") && expected.endsWith("}")) {
                params.put(expected.substring(1, expected.length() - 1), path.get(i));
            } else if (!expected.equals(path.get(i))) {
                return null;
            }
        }
        return params;
    }

    public static ApiException notFound() {
        return new ApiException(404, "not_found", "Nothing is here");
    }

    private static ApiException invalidPath() {
        return new ApiException(400, "invalid_path", "The request path must be canonical: no empty, '.' or '..'"
                + " segments, no trailing slash, no encoded '/' or '\\', no control characters, and valid"
                + " percent-encoded UTF-8");
    }

    private static ApiException unreadableBody() {
        return new ApiException(400, "unreadable_body", "The request body could not be read to its end");
    }

    private static ApiException internalError() {
        return new ApiException(500, "internal_error", "The server failed to answer this request");
    }

    /** Closing the body sends the answer at once, before the exchange's close reads what is left of the request. */
    private static void respondError(HttpExchange exchange, ApiException e) throws IOException {
        Map<String, Object> error = new LinkedHashMap<>();
        error.put("code", e.code());
        error.put("message", e.getMessage());
        error.put("field", e.field());
        byte[] bytes = Json.MAPPER.writeValueAsBytes(Map.of("error", error));
        exchange.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
        exchange.getResponseHeaders().set("Cache-Control", "no-store");
        exchange.sendResponseHeaders(e.status(), bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            if (!exchange.getRequestMethod().equals("HEAD")) {
                out.write(bytes);
            }
        }
    }
}
