package relay.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.UnaryOperator;
import relay.log.EventLog;
import relay.store.StorageException;

/**
 * Matches method and path to a handler. Paths are literal segments or {@code {name}} parameters. A known path with
 * another method gets 405 with {@code Allow}; an unknown path gets the fallback (static files) for GET/HEAD and a
 * JSON 404 otherwise. Every {@link ApiException} becomes the JSON error body here, so handlers only throw.
 */
public final class Router implements HttpHandler {
    private static final EventLog LOG = EventLog.of(Router.class);

    private record Route(String method, List<String> segments, Handler handler) {
    }

    private final List<Route> routes = new ArrayList<>();
    private final UnaryOperator<Handler> wrapper;
    private Handler fallback = request -> {
        throw notFound();
    };

    /** @param wrapper applied to every handler: the shared concerns (auth, origin checks) live there once */
    public Router(UnaryOperator<Handler> wrapper) {
        this.wrapper = wrapper;
    }

    public Router() {
        this(UnaryOperator.identity());
    }

    public Router get(String pattern, Handler handler) {
        return route("GET", pattern, handler);
    }

    public Router post(String pattern, Handler handler) {
        return route("POST", pattern, handler);
    }

    public Router route(String method, String pattern, Handler handler) {
        routes.add(new Route(method, segments(pattern), wrapper.apply(handler)));
        return this;
    }

    /** What answers GET and HEAD for paths no route knows. */
    public Router fallback(Handler handler) {
        this.fallback = handler;
        return this;
    }

    @Override
    public void handle(HttpExchange exchange) {
        try (exchange) {
            dispatch(exchange);
        } catch (IOException e) {
            // the client went away mid-answer; nothing left to tell it
        }
    }

    private void dispatch(HttpExchange exchange) throws IOException {
        try {
            Resolved resolved = resolve(exchange);
            resolved.handler().handle(resolved.request());
        } catch (ApiException e) {
            respondError(exchange, e);
        } catch (StorageException e) {
            respondError(exchange, StoreErrors.answer(e, exchange.getResponseHeaders()));
        } catch (RuntimeException e) {
            LOG.error("http.error", "💥 " + exchange.getRequestMethod() + " " + exchange.getRequestURI().getPath()
                    + " failed", e);
            respondError(exchange, new ApiException(500, "internal_error", "The server failed to answer this request"));
        }
    }

    private record Resolved(Handler handler, Request request) {
    }

    private Resolved resolve(HttpExchange exchange) {
        String path = exchange.getRequestURI().getRawPath();
        List<String> parts = segments(path);
        Set<String> allowed = new TreeSet<>();
        for (Route route : routes) {
            Map<String, String> params = match(route.segments(), parts);
            if (params == null) {
                continue;
            }
            if (route.method().equals(exchange.getRequestMethod())) {
                return new Resolved(route.handler(), new Request(exchange, params));
            }
            allowed.add(route.method());
        }
        if (!allowed.isEmpty()) {
            exchange.getResponseHeaders().set("Allow", String.join(", ", allowed));
            throw new ApiException(405, "method_not_allowed", exchange.getRequestMethod() + " is not allowed here; use "
                    + String.join(" or ", allowed));
        }
        return new Resolved(wrapper.apply(fallback), new Request(exchange, Map.of()));
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

    private static List<String> segments(String path) {
        List<String> parts = new ArrayList<>();
        for (String part : path.split("/")) {
            if (!part.isEmpty()) {
                parts.add(part);
            }
        }
        return parts;
    }

    public static ApiException notFound() {
        return new ApiException(404, "not_found", "Nothing is here");
    }

    static void respondError(HttpExchange exchange, ApiException e) throws IOException {
        Map<String, Object> error = new LinkedHashMap<>();
        error.put("code", e.code());
        error.put("message", e.getMessage());
        error.put("field", e.field());
        byte[] bytes = Json.MAPPER.writeValueAsBytes(Map.of("error", error));
        exchange.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
        exchange.getResponseHeaders().set("Cache-Control", "no-store");
        if ("HEAD".equals(exchange.getRequestMethod())) {
            exchange.sendResponseHeaders(e.status(), -1);
            return;
        }
        exchange.sendResponseHeaders(e.status(), bytes.length);
        exchange.getResponseBody().write(bytes);
    }
}
