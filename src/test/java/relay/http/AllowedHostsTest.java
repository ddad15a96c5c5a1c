package relay.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import relay.testing.RawHttp;
import relay.testing.RunningApp;

/** The Host allow-list: what stops a DNS-rebinding page from talking to the service under its own name. */
class AllowedHostsTest {
    private static final InetAddress OWN = address("192.0.2.10");

    private static InetAddress address(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private final AllowedHosts loopback = new AllowedHosts("127.0.0.1", List.of("chat.example.com",
            "relay.internal", "[2001:db8::1]"), OWN::equals);
    private final AllowedHosts everyInterface = new AllowedHosts("0.0.0.0", List.of(), OWN::equals);

    @ParameterizedTest
    @ValueSource(strings = {"localhost", "LOCALHOST", "localhost.", "127.0.0.1", "127.8.9.10", "[::1]",
        "[0:0:0:0:0:0:0:1]", "[::ffff:127.0.0.1]", "chat.example.com", "Chat.Example.COM", "relay.internal",
        "[2001:db8:0::1]"})
    void shouldAcceptItsOwnNames(String host) {
        assertTrue(loopback.accepts(host), host);
    }

    @ParameterizedTest
    @ValueSource(strings = {"evil.example", "localhost.evil.example", "127.0.0.1.nip.io", "example.com",
        "192.0.2.10", "0.0.0.0", "[::]", "127.1", "2130706433", "0x7f.0.0.1", "127.000.000.001", "[2001:db8::2]",
        ""})
    void shouldRefuseAnyOtherName(String host) {
        assertFalse(loopback.accepts(host), host);
    }

    @Test
    void shouldAcceptThisMachinesInterfacesWhenBoundToAll() {
        assertTrue(everyInterface.accepts("192.0.2.10"));
        assertTrue(everyInterface.accepts("localhost"));
        assertTrue(everyInterface.accepts("127.0.0.1"));
        assertFalse(everyInterface.accepts("192.0.2.11"), "not one of this machine's addresses");
        assertFalse(everyInterface.accepts("0.0.0.0"), "the wildcard is no address to visit");
        assertFalse(everyInterface.accepts("evil.example"));
    }

    @Test
    void shouldAcceptTheBoundHostByName() {
        AllowedHosts named = new AllowedHosts("relay.lan", List.of(), address -> false);

        assertTrue(named.accepts("relay.lan"));
        assertFalse(named.accepts("other.lan"));
    }

    @Test
    void shouldAcceptABoundIpv6LiteralInAnySpelling() {
        AllowedHosts v6 = new AllowedHosts("2001:db8::7", List.of(), address -> false);

        assertTrue(v6.accepts("[2001:db8::7]"));
        assertTrue(v6.accepts("[2001:DB8:0:0::7]"));
    }

    // ---- over HTTP

    @TempDir
    Path dir;

    private RunningApp start(Map<String, String> settings) throws IOException {
        return RunningApp.start(dir, settings);
    }

    @Test
    void shouldRefuseOtherHostsWith421BeforeAnythingElseAlsoForHealth() throws Exception {
        try (RunningApp app = start(Map.of("APP_TOKEN", "correct-horse-battery-staple"))) {
            for (String path : List.of("/healthz", "/chat/session", "/", "/chat/conversations", "/nothing")) {
                RawHttp.Response response = RawHttp.send(app.port(), List.of("GET " + path + " HTTP/1.1",
                        "Host: rebound.evil.example:" + app.port()));

                assertEquals(421, response.status(), path);
                assertTrue(response.isJson());
                assertEquals("misdirected_request", Json.MAPPER.readTree(response.body()).path("error").path("code")
                        .asText());
            }
        }
    }

    @Test
    void shouldAnswerItsOwnNames() throws Exception {
        try (RunningApp app = start(Map.of("PUBLIC_BASE_URL", "https://chat.example.com",
                "ALLOWED_HOSTS", "relay.internal, Other.Example"))) {
            for (String host : List.of("127.0.0.1:" + app.port(), "localhost:" + app.port(), "localhost", "127.0.0.2",
                    "[::1]:80", "chat.example.com", "CHAT.EXAMPLE.COM:443", "relay.internal", "other.example")) {
                assertEquals(200, RawHttp.send(app.port(), List.of("GET /healthz HTTP/1.1", "Host: " + host)).status(),
                        host);
            }
            assertEquals(421, RawHttp.send(app.port(), List.of("GET /healthz HTTP/1.1", "Host: example.com"))
                    .status());
        }
    }

    @Test
    void shouldRefuseAMissingDoubledOrMalformedHostWith400() throws Exception {
        try (RunningApp app = start(Map.of())) {
            assertError(RawHttp.send(app.port(), List.of("GET /healthz HTTP/1.1")), 400, "host_required");
            assertError(RawHttp.send(app.port(), List.of("GET /healthz HTTP/1.0")), 400, "host_required");
            assertError(RawHttp.send(app.port(), List.of("GET /healthz HTTP/1.1", "Host: localhost",
                    "Host: evil.example")), 400, "invalid_host");
            assertError(RawHttp.send(app.port(), List.of("GET /healthz HTTP/1.1", "Host: user@localhost")), 400,
                    "invalid_host");
            assertError(RawHttp.send(app.port(), List.of("GET /healthz HTTP/1.1", "Host: localhost:80:80")), 400,
                    "invalid_host");
        }
    }

    @Test
    void shouldCheckTheHostOfAnAbsoluteFormTarget() throws Exception {
        try (RunningApp app = start(Map.of())) {
            RawHttp.Response foreign = RawHttp.send(app.port(), List.of("GET http://evil.example/healthz HTTP/1.1",
                    "Host: 127.0.0.1:" + app.port()));
            RawHttp.Response own = RawHttp.send(app.port(), List.of("GET http://localhost/healthz HTTP/1.1",
                    "Host: 127.0.0.1:" + app.port()));

            assertError(foreign, 421, "misdirected_request");
            assertEquals(200, own.status());
        }
    }

    @Test
    void shouldAnswerThisMachinesOwnAddressWhenBoundToEveryInterface() throws Exception {
        Optional<InetAddress> own = nonLoopbackAddress();
        Assumptions.assumeTrue(own.isPresent(), "this machine has no non-loopback IPv4 address");
        try (RunningApp app = start(Map.of("HOST", "0.0.0.0"))) {
            String literal = own.get().getHostAddress();

            assertEquals(200, RawHttp.send(app.port(), List.of("GET /healthz HTTP/1.1", "Host: " + literal + ":"
                    + app.port())).status());
            assertEquals(421, RawHttp.send(app.port(), List.of("GET /healthz HTTP/1.1", "Host: 203.0.113.9"))
                    .status());
            assertEquals(421, RawHttp.send(app.port(), List.of("GET /healthz HTTP/1.1", "Host: 0.0.0.0:"
                    + app.port())).status());
        }
    }

    private static Optional<InetAddress> nonLoopbackAddress() throws SocketException {
        return NetworkInterface.networkInterfaces().filter(AllowedHostsTest::isUp)
                .flatMap(NetworkInterface::inetAddresses)
                .filter(address -> address instanceof Inet4Address && !address.isLoopbackAddress())
                .findFirst();
    }

    private static boolean isUp(NetworkInterface networkInterface) {
        try {
            return networkInterface.isUp();
        } catch (SocketException e) {
            return false;
        }
    }

    private static void assertError(RawHttp.Response response, int status, String code) throws IOException {
        assertEquals(status, response.status(), response.body());
        assertEquals(code, Json.MAPPER.readTree(response.body()).path("error").path("code").asText());
    }
}
