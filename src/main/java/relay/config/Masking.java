package relay.config;

import java.net.URI;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Masks a webhook URL for logs, status, configuration and attempt errors. Only its origin is shown: path, query and
 * credentials often are the secret (a Telegram bot URL's first path segment is the bot's token, Slack and Discord
 * URLs end in one), so none of them is shown, not even in part.
 */
public final class Masking {
    private static final String HIDDEN = "…";
    private static final Pattern ORIGIN =
            Pattern.compile("^(?<scheme>[A-Za-z][A-Za-z0-9+.-]*://)?(?<authority>[^/?#\\\\]*)");
    /** A host (name, IPv4 or bracketed IPv6) and an optional port; anything else in its place is not shown. */
    private static final Pattern HOST_PORT = Pattern.compile("(\\[[0-9A-Za-z:.%]*]|[\\p{L}\\p{N}._~_-]*)(:\\d{0,5})?");
    /** Path segments and query values shorter than this are words ("api", "v2", "hook"), not tokens. */
    private static final int MIN_TOKEN_LENGTH = 8;

    private Masking() {
    }

    /**
     * {@code scheme://host:port/…}: {@code https://api.example.com:8443/…}, or the URL as it is when nothing but
     * "/" follows its origin. Credentials in the authority are dropped.
     */
    public static String maskUrl(URI url) {
        return url == null ? null : maskUrl(url.toString());
    }

    /** As {@link #maskUrl(URI)}, for a value that may not even be a URL (a configuration error shows it). */
    public static String maskUrl(String url) {
        if (url == null) {
            return null;
        }
        Matcher origin = ORIGIN.matcher(url);
        origin.lookingAt();
        String scheme = origin.group("scheme") == null ? "" : origin.group("scheme");
        String authority = origin.group("authority");
        String host = authority.substring(authority.lastIndexOf('@') + 1);
        String rest = url.substring(origin.end());
        return scheme + (HOST_PORT.matcher(host).matches() ? host : HIDDEN)
                + (rest.isEmpty() || rest.equals("/") ? rest : "/" + HIDDEN);
    }

    /**
     * {@code text} (an exception's message, a response body) with {@code url} masked wherever it appears, and its
     * path, query, credentials and any long path segment or query value hidden too: an error may quote the path
     * alone ("no route for POST /bot123:AAE…/sendMessage").
     */
    public static String maskIn(String text, URI url) {
        if (text == null || url == null) {
            return text;
        }
        String masked = text.replace(url.toString(), maskUrl(url));
        for (String secret : secretParts(url)) {
            masked = masked.replace(secret, HIDDEN);
        }
        return masked;
    }

    /** Longest first, so a part is hidden whole before any shorter part inside it. */
    private static List<String> secretParts(URI url) {
        Set<String> parts = new HashSet<>();
        addWithPieces(parts, "[/;]", url.getRawPath(), url.getPath());
        addWithPieces(parts, "[&;]", url.getRawQuery(), url.getQuery());
        addWithPieces(parts, ":", url.getRawUserInfo(), url.getUserInfo());
        return parts.stream().filter(part -> part.length() > 1)
                .sorted(Comparator.comparingInt(String::length).reversed()).toList();
    }

    /** The whole component, and its pieces (segments, parameters, their values, the halves of "a:b") that are long. */
    private static void addWithPieces(Set<String> parts, String separators, String... forms) {
        for (String form : forms) {
            if (form == null) {
                continue;
            }
            parts.add(form);
            for (String piece : form.split(separators)) {
                addIfLong(parts, piece);
                for (String inner : piece.split("[:=]")) {
                    addIfLong(parts, inner);
                }
            }
        }
    }

    private static void addIfLong(Set<String> parts, String piece) {
        if (piece.length() >= MIN_TOKEN_LENGTH) {
            parts.add(piece);
        }
    }
}
