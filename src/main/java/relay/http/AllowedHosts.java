package relay.http;

import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import relay.config.Config;

/**
 * The {@code Host} allow-list, checked on every request before anything else (also {@code /healthz}). It stops DNS
 * rebinding: a web page on another site points its own host name at this machine, and the browser then talks to
 * the service as that site, with that site's script reading the answers. Such a request names the other site in
 * {@code Host}, and gets 421.
 *
 * <p>Accepted hosts: {@code localhost}, loopback literals ({@code 127.x.x.x}, {@code [::1]}), the bound host,
 * {@code PUBLIC_BASE_URL}'s host, {@code ALLOWED_HOSTS}, and — when bound to every interface ({@code 0.0.0.0} or
 * {@code ::}) — this machine's own interface addresses. The wildcard address itself is no name to visit, and is
 * refused. The port is not compared: a rebinding page cannot choose the address it reaches, only the name it sends.
 * An absolute-form request target ({@code GET http://host/path}) must name an accepted host too.
 */
final class AllowedHosts implements Gate {
    /** A host and optional port as RFC 9110 allows in {@code Host}: a name, an IPv4 literal or a bracketed IPv6. */
    private static final Pattern HOST_AND_PORT = Pattern.compile("(\\[[0-9A-Fa-f:.]+]|[A-Za-z0-9._-]+)(:\\d{0,5})?");
    private static final Pattern IPV4 = Pattern.compile(
            "(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}");
    private static final Pattern IPV6 = Pattern.compile("\\[[0-9a-f:.]+]");

    private final Set<String> names;
    private final Set<InetAddress> addresses;
    private final boolean everyInterface;
    private final Predicate<InetAddress> isOwnInterface;

    /**
     * @param boundHost      HOST as configured
     * @param extraHosts     PUBLIC_BASE_URL's host and ALLOWED_HOSTS
     * @param isOwnInterface whether an address belongs to one of this machine's interfaces
     */
    AllowedHosts(String boundHost, List<String> extraHosts, Predicate<InetAddress> isOwnInterface) {
        String bound = normalise(boundHost.contains(":") && !boundHost.startsWith("[") ? "[" + boundHost + "]"
                : boundHost);
        this.everyInterface = literal(bound).map(InetAddress::isAnyLocalAddress).orElse(false);
        Set<String> accepted = new HashSet<>();
        accepted.add("localhost");
        if (!everyInterface) {
            accepted.add(bound);
        }
        extraHosts.stream().map(AllowedHosts::normalise).forEach(accepted::add);
        this.names = Set.copyOf(accepted);
        this.addresses = Set.copyOf(accepted.stream().flatMap(name -> literal(name).stream()).toList());
        this.isOwnInterface = isOwnInterface;
    }

    static AllowedHosts of(Config config) {
        List<String> extra = new ArrayList<>(config.allowedHosts());
        config.publicBaseUrl().map(URI::getHost).ifPresent(extra::add);
        return new AllowedHosts(config.host(), extra, AllowedHosts::isOwnInterface);
    }

    private static boolean isOwnInterface(InetAddress address) {
        try {
            return NetworkInterface.getByInetAddress(address) != null;
        } catch (SocketException e) {
            return false;
        }
    }

    @Override
    public void admit(Request request, Visibility visibility) {
        List<String> values = request.exchange().getRequestHeaders().get("Host");
        if (values == null || values.isEmpty()) {
            throw new ApiException(400, "host_required", "Send a Host header naming this server");
        }
        if (values.size() > 1) {
            throw new ApiException(400, "invalid_host", "Send one Host header");
        }
        requireAccepted(hostOf(values.getFirst()));
        URI target = request.exchange().getRequestURI();
        if (target.getScheme() != null) {
            requireAccepted(hostOf(target.getRawAuthority()));
        }
    }

    private void requireAccepted(String host) {
        if (!accepts(host)) {
            throw new ApiException(421, "misdirected_request", "This server does not answer for the host " + host
                    + "; if that is one of its names, add it to ALLOWED_HOSTS");
        }
    }

    /** @param name a host name or IP literal (IPv6 in brackets), without port */
    boolean accepts(String name) {
        String host = normalise(name);
        if (names.contains(host)) {
            return true;
        }
        return literal(host).map(address -> address.isLoopbackAddress() || addresses.contains(address)
                || (everyInterface && !address.isAnyLocalAddress() && isOwnInterface.test(address))).orElse(false);
    }

    /** The host part of a {@code host[:port]} value; refused when it is no such value. */
    private static String hostOf(String value) {
        Matcher matcher = HOST_AND_PORT.matcher(value == null ? "" : value.strip());
        if (!matcher.matches()) {
            throw new ApiException(400, "invalid_host", "The Host header is not a host name with an optional port");
        }
        return matcher.group(1);
    }

    /** Lower case, without the trailing dot of a fully qualified name. */
    private static String normalise(String host) {
        String lower = host.toLowerCase(Locale.ROOT);
        return lower.endsWith(".") ? lower.substring(0, lower.length() - 1) : lower;
    }

    /** The address an IP literal names; empty for a host name, which is never looked up. */
    private static Optional<InetAddress> literal(String host) {
        if (!IPV4.matcher(host).matches() && !IPV6.matcher(host).matches()) {
            return Optional.empty();
        }
        try {
            return Optional.of(InetAddress.getByName(host));
        } catch (UnknownHostException e) {
            return Optional.empty();
        }
    }
}
