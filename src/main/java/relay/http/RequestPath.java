package relay.http;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The request target decoded and checked once, so that routing, access and the static files all see the same path.
 * A target has one spelling only: an absolute-form target ({@code http://host/path}) is reduced to its path, each
 * segment is percent-decoded as strict UTF-8, and anything that another component could read differently is
 * refused rather than repaired — empty segments ({@code //}, a trailing slash), {@code .} and {@code ..} (also
 * encoded), encoded {@code /} or {@code \}, control characters, and bytes a client should have percent-encoded.
 * The root {@code /} is the one path without segments.
 *
 * @param segments the decoded segments; none empty, none {@code .} or {@code ..}, none holding {@code /} or {@code \}
 */
record RequestPath(List<String> segments) {
    static final RequestPath ROOT = new RequestPath(List.of());
    /** RFC 3986 pchar without pct-encoded: what may appear raw in a segment. */
    private static final String RAW_ALLOWED = "-._~!$&'()*+,;=:@";

    RequestPath {
        segments = List.copyOf(segments);
    }

    /** @return empty when the target is not a canonical path (the caller answers 400 {@code invalid_path}) */
    static Optional<RequestPath> parse(URI target) {
        if (target.isOpaque()) {
            return Optional.empty();
        }
        String raw = target.getRawPath();
        if (target.getScheme() != null) {
            if (!isHttp(target.getScheme()) || target.getRawAuthority() == null) {
                return Optional.empty();
            }
            raw = raw == null || raw.isEmpty() ? "/" : raw;
        } else if (target.getRawSchemeSpecificPart().startsWith("//")) {
            // "//chat/messages" parses as authority "chat" and path "/messages", "///chat" as path "/chat".
            return Optional.empty();
        }
        if (raw == null || !raw.startsWith("/")) {
            return Optional.empty();
        }
        if (raw.equals("/")) {
            return Optional.of(ROOT);
        }
        List<String> segments = new ArrayList<>();
        for (String rawSegment : raw.substring(1).split("/", -1)) {
            Optional<String> segment = decodeSegment(rawSegment);
            if (segment.isEmpty()) {
                return Optional.empty();
            }
            segments.add(segment.get());
        }
        return Optional.of(new RequestPath(segments));
    }

    private static boolean isHttp(String scheme) {
        return scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https");
    }

    private static Optional<String> decodeSegment(String raw) {
        if (raw.isEmpty()) {
            return Optional.empty();
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(raw.length());
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c == '%') {
                int value = i + 2 < raw.length() ? hexByte(raw.charAt(i + 1), raw.charAt(i + 2)) : -1;
                if (value < 0) {
                    return Optional.empty();
                }
                bytes.write(value);
                i += 2;
            } else if (isRawAllowed(c)) {
                bytes.write(c);
            } else {
                return Optional.empty();
            }
        }
        return Request.strictUtf8(bytes.toByteArray()).filter(RequestPath::isPlainSegment);
    }

    private static boolean isRawAllowed(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                || RAW_ALLOWED.indexOf(c) >= 0;
    }

    private static int hexByte(char high, char low) {
        int h = Character.digit(high, 16);
        int l = Character.digit(low, 16);
        return h < 0 || l < 0 ? -1 : h * 16 + l;
    }

    private static boolean isPlainSegment(String segment) {
        return !segment.equals(".") && !segment.equals("..")
                && segment.chars().noneMatch(c -> c == '/' || c == '\\' || Character.isISOControl(c));
    }

    /** The path as one string, for logs: {@code /} and the decoded segments. */
    @Override
    public String toString() {
        return "/" + String.join("/", segments);
    }
}
