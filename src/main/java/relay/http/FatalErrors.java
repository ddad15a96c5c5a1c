package relay.http;

import com.sun.management.HotSpotDiagnosticMXBean;
import com.sun.management.VMOption;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;

/**
 * Stops the JVM at once on an error it cannot be trusted to survive, rather than limping on: after an
 * {@link OutOfMemoryError} the JDK server's single dispatcher thread may have died, leaving a process that holds its
 * port and answers nothing, which no service manager would ever restart. Halting instead makes the failure visible
 * and lets {@code Restart=on-failure} bring back a working service; the outbox is crash-safe, so nothing accepted
 * is lost. This is the in-process equivalent of {@code -XX:+ExitOnOutOfMemoryError}, for a plain
 * {@code java -jar} without it.
 */
public final class FatalErrors {
    /** The status {@code -XX:+ExitOnOutOfMemoryError} exits with, so a service manager sees the same either way. */
    public static final int EXIT_STATUS = 3;

    private FatalErrors() {
    }

    /**
     * Makes every thread that dies of a {@link VirtualMachineError} (out of memory, stack overflow, an internal
     * error) halt the JVM; other uncaught exceptions are printed as the JDK would print them.
     */
    public static void haltOnVirtualMachineErrors() {
        Thread.setDefaultUncaughtExceptionHandler((thread, error) -> {
            if (error instanceof VirtualMachineError) {
                halt(thread, error);
            }
            PrintStream err = System.err;
            err.print("Exception in thread \"" + thread.getName() + "\" ");
            error.printStackTrace(err);
        });
    }

    /**
     * Halts without running shutdown hooks: with memory exhausted, a graceful stop could itself hang. Saying why
     * is attempted, but must not stand in the way.
     */
    static void halt(Thread thread, Throwable error) {
        try {
            System.err.println("fatal: " + error + " in thread \"" + thread.getName() + "\": stopping at once (exit "
                    + EXIT_STATUS + ") so that the service manager starts a fresh process");
        } finally {
            Runtime.getRuntime().halt(EXIT_STATUS);
        }
    }

    /** Whether the JVM was started to stop by itself on running out of memory; true when that cannot be told. */
    public static boolean jvmStopsOnOutOfMemory() {
        HotSpotDiagnosticMXBean hotSpot = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
        if (hotSpot == null) {
            return true;
        }
        return isOn(hotSpot, "ExitOnOutOfMemoryError") || isOn(hotSpot, "CrashOnOutOfMemoryError");
    }

    private static boolean isOn(HotSpotDiagnosticMXBean hotSpot, String flag) {
        try {
            VMOption option = hotSpot.getVMOption(flag);
            return Boolean.parseBoolean(option.getValue());
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
