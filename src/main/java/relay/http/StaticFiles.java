package relay.http;

import com.sun.net.httpserver.Headers;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Serves the pages under {@code web/} from the class path (inside the jar), for GET and HEAD of a path no route
 * knows. The {@link Router} hands over the canonical path, which has no dot segments or encoded slashes already;
 * each segment must still be a plain file name (no leading dot, backslash, colon or percent sign), so nothing
 * outside {@code web/} can be named.
 */
public final class StaticFiles {
    private static final Map<String, String> ALIASES = Map.of("/", "index.html", "/settings", "settings.html");
    /** The app's own "not found" page: it holds no data, so it is as public as the other pages. */
    private static final String NOT_FOUND_PAGE = "404.html";
    private static final Map<String, String> TYPES = Map.ofEntries(
            Map.entry("html", "text/html; charset=utf-8"),
            Map.entry("css", "text/css; charset=utf-8"),
            Map.entry("js", "text/javascript; charset=utf-8"),
            Map.entry("mjs", "text/javascript; charset=utf-8"),
            Map.entry("json", "application/json; charset=utf-8"),
            Map.entry("svg", "image/svg+xml"),
            Map.entry("png", "image/png"),
            Map.entry("ico", "image/x-icon"),
            Map.entry("webp", "image/webp"),
            Map.entry("txt", "text/plain; charset=utf-8"),
            Map.entry("woff2", "font/woff2"));
    /** Script only from this origin and no inline script: a strict policy the pages are written to satisfy. */
    static final String CONTENT_SECURITY_POLICY = "default-src 'self'; script-src 'self'; style-src 'self'; "
            + "img-src 'self' blob: data:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
            + "form-action 'self'; frame-ancestors 'none'";

    private record Asset(byte[] bytes, String type, String etag) {
    }

    private final String root;
    private final ClassLoader loader;
    /** Only found files are cached, so requests for made-up names cannot grow it. */
    private final Map<String, Asset> cache = new ConcurrentHashMap<>();

    /** @param root the class-path folder holding the pages, {@code web} in the jar */
    public StaticFiles(String root) {
        if (root.isBlank() || root.startsWith("/") || root.endsWith("/")) {
            throw new IllegalArgumentException("root must be a relative class-path folder without slashes at its ends");
        }
        this.root = root;
        this.loader = StaticFiles.class.getClassLoader();
    }

    /** The page or asset at {@code path}, as a handler serving it; empty when there is none. */
    Optional<Handler> find(RequestPath path) {
        return nameOf(path).flatMap(this::asset).map(asset -> request -> serve(request, asset));
    }

    /** The "not found" page, answering 404, for a browser that opens an address nothing answers; empty without one. */
    Optional<Handler> notFoundPage() {
        return asset(NOT_FOUND_PAGE).map(asset -> request -> serveNotFound(request, asset));
    }

    private static Optional<String> nameOf(RequestPath path) {
        String alias = ALIASES.get(path.toString());
        if (alias != null) {
            return Optional.of(alias);
        }
        List<String> segments = path.segments();
        return !segments.isEmpty() && segments.stream().allMatch(StaticFiles::isPlainName)
                ? Optional.of(String.join("/", segments))
                : Optional.empty();
    }

    private static boolean isPlainName(String segment) {
        return !segment.startsWith(".") && segment.length() <= 128
                && segment.chars().allMatch(c -> c > 32 && c < 127 && c != '\\' && c != ':' && c != '%');
    }

    private Optional<Asset> asset(String name) {
        Asset cached = cache.get(name);
        if (cached != null) {
            return Optional.of(cached);
        }
        Optional<Asset> loaded = load(name);
        loaded.ifPresent(asset -> cache.put(name, asset));
        return loaded;
    }

    private Optional<Asset> load(String name) {
        String extension = name.substring(name.lastIndexOf('.') + 1);
        if (!TYPES.containsKey(extension)) {
            return Optional.empty();
        }
        try (InputStream in = loader.getResourceAsStream(root + "/" + name)) {
            if (in == null) {
                return Optional.empty();
            }
            byte[] bytes = in.readAllBytes();
            return Optional.of(new Asset(bytes, TYPES.get(extension), etagOf(bytes)));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static void serve(Request request, Asset asset) throws IOException {
        Headers headers = pageHeaders(request, asset);
        headers.set("ETag", asset.etag());
        // Revalidate every time: the ETag makes that a cheap 304, and a new jar's pages are never stale.
        headers.set("Cache-Control", "no-cache");
        if (request.header("If-None-Match").filter(asset.etag()::equals).isPresent()) {
            request.exchange().sendResponseHeaders(304, -1);
            return;
        }
        send(request, 200, asset);
    }

    /** No ETag: a 404 is not cached, so the address works as soon as something answers it. */
    private static void serveNotFound(Request request, Asset asset) throws IOException {
        pageHeaders(request, asset).set("Cache-Control", "no-store");
        send(request, 404, asset);
    }

    private static Headers pageHeaders(Request request, Asset asset) {
        Headers headers = request.exchange().getResponseHeaders();
        headers.set("Content-Type", asset.type());
        headers.set("X-Content-Type-Options", "nosniff");
        headers.set("Referrer-Policy", "no-referrer");
        headers.set("X-Frame-Options", "DENY");
        headers.set("Content-Security-Policy", CONTENT_SECURITY_POLICY);
        return headers;
    }

    private static void send(Request request, int status, Asset asset) throws IOException {
        request.exchange().sendResponseHeaders(status, asset.bytes().length);
        try (OutputStream out = request.exchange().getResponseBody()) {
            out.write(asset.bytes());
        }
    }

    private static String etagOf(byte[] bytes) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(bytes);
            return "\"" + HexFormat.of().formatHex(digest, 0, 16) + "\"";
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}
