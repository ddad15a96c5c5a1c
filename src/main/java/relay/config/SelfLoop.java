package relay.config;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/**
 * Refuses a webhook URL that leads back to this service: every message it delivered to its own {@code /chat/...}
 * routes would come back as a new message to deliver, without end. Only the demo receiver may be the webhook, and
 * only while it is on. Checked once the port is bound, since PORT=0 only then says which port is ours.
 */
public final class SelfLoop {
    /** The one route of ours a webhook may point at. */
    public static final String DEMO_RECEIVER_PATH = "/demo/webhook";

    private SelfLoop() {
    }

    /**
     * Why {@code webhook} cannot be used by a service listening on {@code bound}, or empty. The URL leads here when
     * its port is the bound one and its host resolves to the bound address or — when bound to a wildcard address —
     * to any address of this machine. A host that does not resolve is not ours (and is reported when delivering).
     */
    public static Optional<String> problem(URI webhook, InetSocketAddress bound, boolean demoReceiver) {
        if (portOf(webhook) != bound.getPort() || !resolvesTo(webhook.getHost(), bound.getAddress())) {
            return Optional.empty();
        }
        String where = Masking.maskUrl(webhook) + " is this service's own address";
        if (!DEMO_RECEIVER_PATH.equals(webhook.getRawPath())) {
            return Optional.of("WEBHOOK_URL leads back to this service (" + where + "): every message would come "
                    + "back to it as a new one to deliver, in a loop. Set WEBHOOK_URL to your real endpoint, or to "
                    + DEMO_RECEIVER_PATH + " on this address for the built-in demo receiver.");
        }
        if (!demoReceiver) {
            return Optional.of("WEBHOOK_URL is this service's demo receiver (" + where + "), but "
                    + "DEMO_RECEIVER=false, so every delivery would get 404. Set DEMO_RECEIVER=true, or set "
                    + "WEBHOOK_URL to your real endpoint.");
        }
        return Optional.empty();
    }

    private static int portOf(URI url) {
        if (url.getPort() != -1) {
            return url.getPort();
        }
        return "https".equals(url.getScheme().toLowerCase(Locale.ROOT)) ? 443 : 80;
    }

    private static boolean resolvesTo(String host, InetAddress bound) {
        try {
            return Arrays.stream(InetAddress.getAllByName(host)).anyMatch(target -> isOurs(target, bound));
        } catch (UnknownHostException e) {
            return false;
        }
    }

    /** Connecting to a wildcard address ("0.0.0.0") reaches this machine's loopback: ours unless bound elsewhere. */
    private static boolean isOurs(InetAddress target, InetAddress bound) {
        if (bound.isAnyLocalAddress()) {
            return target.isAnyLocalAddress() || target.isLoopbackAddress() || isInterfaceAddress(target);
        }
        return target.equals(bound) || (target.isAnyLocalAddress() && bound.isLoopbackAddress());
    }

    private static boolean isInterfaceAddress(InetAddress address) {
        try {
            return NetworkInterface.getByInetAddress(address) != null;
        } catch (SocketException e) {
            return false;
        }
    }
}
