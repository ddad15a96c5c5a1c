package relay.testing;

import java.util.Random;
import java.util.SplittableRandom;
import org.junit.jupiter.api.extension.BeforeTestExecutionCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;
import org.opentest4j.TestAbortedException;

/**
 * The seed of a test's randomness, named when the test fails so the run can be repeated: {@code mvn test
 * -Dtest=ChaosTest -Dtest.seed=N}. Without the property each test draws a fresh seed. A test whose random choices
 * are made on several threads repeats the same choices in the order the threads ask for them, which timing decides.
 *
 * <pre>{@code
 * @RegisterExtension
 * final Seed seed = Seed.fromSystemProperty();
 * private final Random random = seed.random();
 * }</pre>
 */
public final class Seed implements BeforeTestExecutionCallback, TestExecutionExceptionHandler {
    public static final String PROPERTY = "test.seed";

    private final long value;

    private Seed(long value) {
        this.value = value;
    }

    /** The seed {@code -Dtest.seed} gives, or a fresh one. */
    public static Seed fromSystemProperty() {
        String given = System.getProperty(PROPERTY, "").strip();
        return new Seed(given.isEmpty() ? new SplittableRandom().nextLong() : Long.parseLong(given));
    }

    public long value() {
        return value;
    }

    /** A generator drawing from this seed; thread-safe. */
    public Random random() {
        return new Random(value);
    }

    /** How to repeat this run. */
    public String note() {
        return "random seed " + value + "; repeat with -D" + PROPERTY + "=" + value;
    }

    /** Also in the test's output, for a run that never gets to fail (a fork killed on a timeout). */
    @Override
    public void beforeTestExecution(ExtensionContext context) {
        System.out.println(context.getDisplayName() + ": " + note());
    }

    /**
     * A failed assertion is re-thrown with the seed in its message, so the build's summary line names it; any other
     * error keeps its type and carries the seed as a suppressed note. A skipped test is left alone.
     */
    @Override
    public void handleTestExecutionException(ExtensionContext context, Throwable thrown) throws Throwable {
        if (thrown instanceof TestAbortedException) {
            throw thrown;
        }
        if (thrown instanceof AssertionError) {
            throw new AssertionError(thrown.getMessage() + " (" + note() + ")", thrown);
        }
        thrown.addSuppressed(new SeedNote(note()));
        throw thrown;
    }

    /** The seed in a failure's report, without a stack trace of its own. */
    private static final class SeedNote extends Exception {
        private static final long serialVersionUID = 1L;

        SeedNote(String note) {
            super(note, null, false, false);
        }
    }
}
