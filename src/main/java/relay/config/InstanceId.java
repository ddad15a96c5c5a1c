package relay.config;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * {@code INSTANCE_ID}: the name this instance writes into the claims it makes, and shows on {@code /healthz} and
 * {@code /metrics}. Restricted to characters that need no quoting in a Prometheus label, a log line or a URL.
 */
final class InstanceId {
    static final int MAX_LENGTH = 64;
    private static final Pattern VALID = Pattern.compile("[A-Za-z0-9._-]{1," + MAX_LENGTH + "}");
    private static final Pattern INVALID_CHARACTERS = Pattern.compile("[^A-Za-z0-9._-]+");

    private InstanceId() {
    }

    static boolean isValid(String value) {
        return VALID.matcher(value).matches();
    }

    /**
     * The default: the host name, a dash and the pid, so instances on one machine differ and a restart is told apart
     * from the process before it. Characters not allowed become dashes; a long host name is cut so the pid stays.
     */
    static String ofThisProcess() {
        String pid = "-" + ProcessHandle.current().pid();
        String host = INVALID_CHARACTERS.matcher(hostName()).replaceAll("-");
        if (host.isEmpty()) {
            host = "relay";
        }
        return host.substring(0, Math.min(host.length(), MAX_LENGTH - pid.length())) + pid;
    }

    /** The kernel's name for the machine, without a DNS lookup that could stall the start. */
    private static String hostName() {
        try {
            return Files.readString(Path.of("/proc/sys/kernel/hostname")).strip();
        } catch (IOException | RuntimeException e) {
            try {
                return InetAddress.getLocalHost().getHostName();
            } catch (UnknownHostException unknown) {
                return "relay";
            }
        }
    }
}
