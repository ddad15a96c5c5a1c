package relay.config;

import java.net.URI;

/** Masks the secret parts of a webhook URL (path and query often carry tokens) for logs and status. */
public final class Masking {
    private Masking() {
    }

    /**
     * Keeps scheme, host and port, and of the path only its first segment's first four and last four characters:
     * {@code https://api.example.com/webhook/7730…66aa}. Credentials in the authority are dropped.
     */
    public static String maskUrl(URI url) {
        if (url == null) {
            return null;
        }
        String origin = url.getScheme() + "://" + url.getHost() + (url.getPort() == -1 ? "" : ":" + url.getPort());
        String path = url.getRawPath() == null ? "" : url.getRawPath();
        String rest = path + (url.getRawQuery() == null ? "" : "?" + url.getRawQuery());
        if (rest.isEmpty() || rest.equals("/")) {
            return origin + rest;
        }
        int secondSlash = rest.indexOf('/', 1);
        String first = secondSlash < 0 ? "" : rest.substring(0, secondSlash + 1);
        String hidden = secondSlash < 0 ? rest.substring(1) : rest.substring(secondSlash + 1);
        return origin + (first.isEmpty() ? "/" : first) + maskSegment(hidden);
    }

    private static String maskSegment(String hidden) {
        if (hidden.length() <= 8) {
            return "…";
        }
        return hidden.substring(0, 4) + "…" + hidden.substring(hidden.length() - 4);
    }
}
