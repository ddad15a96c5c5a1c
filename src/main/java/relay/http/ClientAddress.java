package relay.http;

import com.sun.net.httpserver.HttpExchange;
import java.net.InetSocketAddress;
import java.util.List;

/**
 * Who a request comes from, for the limits kept per client (failed sign-ins, event streams): the connection's peer
 * address, or — behind a reverse proxy, when {@code TRUST_FORWARDED_FOR=true} — the last {@code X-Forwarded-For}
 * entry, the one the proxy itself appended. Earlier entries are the client's own claims and are never believed.
 */
final class ClientAddress {
    private ClientAddress() {
    }

    static String of(HttpExchange exchange, boolean trustForwardedFor) {
        if (trustForwardedFor) {
            List<String> forwarded = exchange.getRequestHeaders().get("X-Forwarded-For");
            if (forwarded != null && !forwarded.isEmpty()) {
                String last = forwarded.getLast();
                String entry = last.substring(last.lastIndexOf(',') + 1).strip();
                if (!entry.isEmpty()) {
                    return entry;
                }
            }
        }
        return peer(exchange.getRemoteAddress());
    }

    private static String peer(InetSocketAddress remote) {
        if (remote == null) {
            return "unknown";
        }
        return remote.getAddress() != null ? remote.getAddress().getHostAddress() : remote.getHostString();
    }
}
