package relay.testing;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.net.spi.InetAddressResolver;
import java.net.spi.InetAddressResolverProvider;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;

/**
 * The test JVM's name resolver: names under {@code .invalid} and the seed's {@code url-inexistente.com} fail as an
 * unknown host without any DNS query leaving the machine; every other name goes to the JDK's own resolver.
 */
public final class StubResolver extends InetAddressResolverProvider {
    private static final List<String> LOOKED_UP = new CopyOnWriteArrayList<>();

    /** The names the stub refused, in order. */
    public static List<String> refused() {
        return List.copyOf(LOOKED_UP);
    }

    @Override
    public InetAddressResolver get(Configuration configuration) {
        InetAddressResolver builtin = configuration.builtinResolver();
        return new InetAddressResolver() {
            @Override
            public Stream<InetAddress> lookupByName(String host, LookupPolicy policy) throws UnknownHostException {
                String name = host.toLowerCase(Locale.ROOT);
                if (name.endsWith(".invalid") || name.equals("url-inexistente.com")) {
                    LOOKED_UP.add(name);
                    throw new UnknownHostException(host + ": Name or service not known (test resolver)");
                }
                return builtin.lookupByName(host, policy);
            }

            @Override
            public String lookupByAddress(byte[] address) throws UnknownHostException {
                return builtin.lookupByAddress(address);
            }
        };
    }

    @Override
    public String name() {
        return "test stub resolver";
    }
}
