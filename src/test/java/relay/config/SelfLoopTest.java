package relay.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.URI;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A webhook URL that leads back to the service is refused; one that leads anywhere else is not. */
class SelfLoopTest {
    private static final int PORT = 8080;
    private static final InetSocketAddress LOOPBACK = new InetSocketAddress("127.0.0.1", PORT);
    private static final InetSocketAddress WILDCARD = new InetSocketAddress("0.0.0.0", PORT);

    @ParameterizedTest
    @ValueSource(strings = {"http://127.0.0.1:8080/chat/messages", "http://localhost:8080/chat/messages",
            "http://LOCALHOST:8080/chat/messages?wait=true", "http://0.0.0.0:8080/chat/messages",
            "http://127.0.0.1:8080", "http://127.0.0.1:8080/", "http://127.0.0.1:8080/demo/webhook/",
            "http://127.0.0.1:8080/demo//webhook", "http://127.0.0.1:8080/DEMO/webhook",
            "http://user:pw@127.0.0.1:8080/chat/redeliver-failed"})
    void shouldRefuseAWebhookThatLeadsBackToThisService(String url) {
        Optional<String> problem = SelfLoop.problem(URI.create(url), LOOPBACK, true);

        assertTrue(problem.orElseThrow().startsWith("WEBHOOK_URL leads back to this service (http://"),
                problem.get());
        assertTrue(problem.get().matches(".*:8080(/…|/)? is this service's own address.*"), problem.get());
        assertTrue(problem.get().contains("/demo/webhook"), "says what to use instead: " + problem.get());
    }

    @Test
    void shouldAcceptTheDemoReceiverWhileItIsOn() {
        assertEquals(Optional.empty(),
                SelfLoop.problem(URI.create("http://127.0.0.1:8080/demo/webhook"), LOOPBACK, true));
        assertEquals(Optional.empty(),
                SelfLoop.problem(URI.create("http://localhost:8080/demo/webhook"), WILDCARD, true));
    }

    @Test
    void shouldRefuseTheDemoReceiverWhenItIsOff() {
        Optional<String> problem = SelfLoop.problem(URI.create("http://127.0.0.1:8080/demo/webhook"), LOOPBACK, false);

        assertTrue(problem.orElseThrow().startsWith("WEBHOOK_URL is this service's demo receiver"), problem.get());
        assertTrue(problem.get().contains("DEMO_RECEIVER=false, so every delivery would get 404"), problem.get());
    }

    @ParameterizedTest
    @ValueSource(strings = {"http://127.0.0.1:8081/chat/messages", "http://127.0.0.2:8080/chat/messages",
            "https://127.0.0.1/chat/messages", "http://nowhere.invalid:8080/chat/messages",
            "https://api.example.com/chat/messages"})
    void shouldAcceptAWebhookElsewhere(String url) {
        assertEquals(Optional.empty(), SelfLoop.problem(URI.create(url), LOOPBACK, true));
    }

    @Test
    void shouldTakeTheSchemesDefaultPort() {
        assertTrue(SelfLoop.problem(URI.create("https://127.0.0.1/hook"), new InetSocketAddress("127.0.0.1", 443), true)
                .isPresent());
        assertTrue(SelfLoop.problem(URI.create("http://127.0.0.1/hook"), new InetSocketAddress("127.0.0.1", 80), true)
                .isPresent());
    }

    @Test
    void shouldCountEveryAddressOfThisMachineWhenBoundToAWildcard() throws SocketException {
        Optional<InetAddress> own = NetworkInterface.networkInterfaces()
                .flatMap(NetworkInterface::inetAddresses)
                .filter(a -> a instanceof Inet4Address && !a.isLoopbackAddress())
                .findFirst();
        assumeTrue(own.isPresent(), "this machine has a network address besides loopback");
        URI url = URI.create("http://" + own.get().getHostAddress() + ":8080/chat/messages");

        assertTrue(SelfLoop.problem(url, WILDCARD, true).isPresent());
        assertTrue(SelfLoop.problem(URI.create("http://127.0.0.1:8080/chat/messages"), WILDCARD, true).isPresent());
        assertEquals(Optional.empty(), SelfLoop.problem(url, LOOPBACK, true), "bound to loopback, it is not us");
    }
}
