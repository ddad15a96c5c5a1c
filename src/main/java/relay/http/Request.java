package relay.http;

import com.sun.net.httpserver.HttpExchange;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/** One exchange as a handler sees it: path parameters, query, bounded body reading and the JSON answer. */
public final class Request {
    /** JSON bodies above this are refused before they are parsed. */
    public static final int MAX_JSON_BYTES = 1024 * 1024;

    private final HttpExchange exchange;
    private final Map<String, String> pathParams;
    /** Parsed on first use: a malformed query is refused by the route, after access was checked. */
    private Map<String, String> query;

    Request(HttpExchange exchange, Map<String, String> pathParams) {
        this.exchange = exchange;
        this.pathParams = Map.copyOf(pathParams);
    }

    public HttpExchange exchange() {
        return exchange;
    }

    public String method() {
        return exchange.getRequestMethod();
    }

    public String pathParam(String name) {
        return pathParams.get(name);
    }

    public Optional<String> query(String name) {
        return Optional.ofNullable(query().get(name));
    }

    /** Whether the query names {@code name}; false for a query that cannot be decoded, which is never refused here. */
    boolean hasQueryParameter(String name) {
        try {
            return query().containsKey(name);
        } catch (ApiException e) {
            return false;
        }
    }

    private Map<String, String> query() {
        if (query == null) {
            query = parseQuery(exchange.getRequestURI().getRawQuery());
        }
        return query;
    }

    public Optional<String> header(String name) {
        return Optional.ofNullable(exchange.getRequestHeaders().getFirst(name));
    }

    /** The body's media type without parameters, lower case; empty when the client sent no Content-Type. */
    public String mediaType() {
        String type = header("Content-Type").orElse("");
        int semicolon = type.indexOf(';');
        return (semicolon < 0 ? type : type.substring(0, semicolon)).strip().toLowerCase(Locale.ROOT);
    }

    public boolean hasMediaType(String type) {
        return mediaType().equals(type);
    }

    /** A flag in the query: present as {@code true} (or bare, {@code ?wait}); anything but true/false is refused. */
    public boolean flag(String name) {
        return switch (query(name).map(v -> v.toLowerCase(Locale.ROOT)).orElse("false")) {
            case "true", "" -> true;
            case "false" -> false;
            default -> throw new ApiException(400, "invalid_query", name + " must be true or false", name);
        };
    }

    /** The body read whole, refused with 413 once it passes {@code limit} bytes (also by its declared length). */
    public byte[] body(int limit) throws IOException {
        long declared = declaredLength();
        if (declared > limit) {
            throw tooLarge(limit);
        }
        try (InputStream in = exchange.getRequestBody()) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] buffer = new byte[8192];
            for (int n; (n = in.read(buffer)) != -1; ) {
                if (out.size() + n > limit) {
                    throw tooLarge(limit);
                }
                out.write(buffer, 0, n);
            }
            return out.toByteArray();
        }
    }

    /** The {@code Content-Length} the client announced, or -1. */
    public long declaredLength() {
        String value = exchange.getRequestHeaders().getFirst("Content-Length");
        if (value == null) {
            return -1;
        }
        try {
            return Long.parseLong(value.strip());
        } catch (NumberFormatException e) {
            throw new ApiException(400, "invalid_content_length", "Content-Length is not a number");
        }
    }

    /** Strict UTF-8: malformed input is refused rather than silently replaced. */
    static String decodeUtf8(byte[] bytes) {
        return strictUtf8(bytes).orElseThrow(() -> new ApiException(400, "invalid_encoding",
                "The body is not valid UTF-8"));
    }

    /** The bytes as UTF-8, or empty when they are not well-formed UTF-8. */
    static Optional<String> strictUtf8(byte[] bytes) {
        try {
            return Optional.of(StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString());
        } catch (CharacterCodingException e) {
            return Optional.empty();
        }
    }

    /** An answer without a body, such as 204. */
    public void respondEmpty(int status) throws IOException {
        exchange.getResponseHeaders().set("Cache-Control", "no-store");
        exchange.sendResponseHeaders(status, -1);
    }

    public void respondJson(int status, Object body) throws IOException {
        byte[] bytes = Json.MAPPER.writeValueAsBytes(body);
        exchange.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
        exchange.getResponseHeaders().set("Cache-Control", "no-store");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    private static ApiException tooLarge(int limit) {
        return new ApiException(413, "body_too_large", "The request body is larger than " + limit + " bytes");
    }

    private static Map<String, String> parseQuery(String raw) {
        Map<String, String> params = new LinkedHashMap<>();
        if (raw == null || raw.isEmpty()) {
            return params;
        }
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            String name = decode(eq < 0 ? pair : pair.substring(0, eq));
            String value = eq < 0 ? "" : decode(pair.substring(eq + 1));
            params.putIfAbsent(name, value);
        }
        return params;
    }

    private static String decode(String part) {
        try {
            return URLDecoder.decode(part, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new ApiException(400, "invalid_query", "The query string is not valid percent-encoding");
        }
    }
}
