package relay.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * {@code DATABASE_URL}: where the PostgreSQL store is, read once into what the driver needs. The credentials are
 * taken out of the URL (from its user info, or a {@code user}/{@code password} query parameter of the JDBC form), so
 * {@link #jdbcUrl()} carries none and the password only ever travels as a {@link Secret}.
 *
 * @param jdbcUrl  {@code jdbc:postgresql://host:port/database} with any other query parameters (e.g. sslmode)
 * @param user     empty when the URL names none (the driver then uses the OS account's name)
 * @param password empty when the URL gives none
 * @param masked   {@code scheme://user@host:port/database}: what logs and the settings page show
 */
public record DatabaseUrl(String jdbcUrl, String user, Secret password, String masked) {
    static final String EXPECTED = "expected postgres://user:password@host:5432/database, postgresql://… or"
            + " jdbc:postgresql://…";
    private static final List<String> SCHEMES = List.of("postgres://", "postgresql://", "jdbc:postgresql://");
    private static final int DEFAULT_PORT = 5432;

    public DatabaseUrl {
        Objects.requireNonNull(jdbcUrl, "jdbcUrl");
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(password, "password");
        Objects.requireNonNull(masked, "masked");
    }

    /** @throws IllegalArgumentException saying what is wrong, never quoting the value */
    public static DatabaseUrl parse(String value) {
        String scheme = SCHEMES.stream().filter(s -> value.regionMatches(true, 0, s, 0, s.length())).findFirst()
                .orElseThrow(() -> new IllegalArgumentException(EXPECTED));
        URI uri;
        try {
            uri = new URI("postgresql://" + value.substring(scheme.length()));
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException(EXPECTED + " (it is not a well-formed URL)", e);
        }
        if (uri.getHost() == null || uri.getRawFragment() != null) {
            throw new IllegalArgumentException(EXPECTED + " (a host is needed, one only)");
        }
        String path = uri.getRawPath() == null ? "" : uri.getRawPath();
        if (!path.matches("/[^/]+")) {
            throw new IllegalArgumentException(EXPECTED + " (the database name is missing)");
        }
        int port = uri.getPort() == -1 ? DEFAULT_PORT : uri.getPort();
        String hostPort = (uri.getHost().contains(":") && !uri.getHost().startsWith("[") ? "[" + uri.getHost() + "]"
                : uri.getHost()) + ":" + port;
        String user = "";
        String password = "";
        if (uri.getRawUserInfo() != null) {
            String[] parts = uri.getRawUserInfo().split(":", 2);
            user = decode(parts[0]);
            password = parts.length == 2 ? decode(parts[1]) : "";
        }
        List<String> kept = new ArrayList<>();
        if (uri.getRawQuery() != null) {
            for (String parameter : uri.getRawQuery().split("&")) {
                String[] pair = parameter.split("=", 2);
                String name = decode(pair[0]).toLowerCase(Locale.ROOT);
                String given = pair.length == 2 ? decode(pair[1]) : "";
                switch (name) {
                    case "user" -> user = given;
                    case "password" -> password = given;
                    case "" -> { }
                    default -> kept.add(parameter);
                }
            }
        }
        String jdbcUrl = "jdbc:postgresql://" + hostPort + path + (kept.isEmpty() ? "" : "?" + String.join("&", kept));
        String masked = scheme.toLowerCase(Locale.ROOT) + (user.isEmpty() ? "" : user + "@") + hostPort + path;
        return new DatabaseUrl(jdbcUrl, user, new Secret(password), masked);
    }

    /**
     * {@code text} (a library's log line, an error) with this database's JDBC URL shown as {@link #masked()} and its
     * password nowhere, however it got there.
     */
    public String maskIn(String text) {
        String shown = text.replace(jdbcUrl, masked);
        return password.reveal().isEmpty() ? shown : shown.replace(password.reveal(), "…");
    }

    /** Percent-decoding as URLs mean it: a {@code +} stays a plus. */
    private static String decode(String raw) {
        try {
            return URLDecoder.decode(raw.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(EXPECTED + " (a malformed %-escape)", e);
        }
    }

    @Override
    public String toString() {
        return masked;
    }
}
