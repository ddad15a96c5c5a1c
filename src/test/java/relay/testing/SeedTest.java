package relay.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;
import org.opentest4j.TestAbortedException;

class SeedTest {
    private final String before = System.getProperty(Seed.PROPERTY);

    @AfterEach
    void restoreProperty() {
        if (before == null) {
            System.clearProperty(Seed.PROPERTY);
        } else {
            System.setProperty(Seed.PROPERTY, before);
        }
    }

    @Test
    void shouldRepeatTheDrawsOfTheSeedGivenAsAProperty() {
        System.setProperty(Seed.PROPERTY, " -4242 ");

        Seed seed = Seed.fromSystemProperty();

        assertEquals(-4242, seed.value());
        Random first = seed.random();
        Random again = Seed.fromSystemProperty().random();
        for (int i = 0; i < 100; i++) {
            assertEquals(first.nextLong(), again.nextLong());
        }
    }

    @Test
    void shouldDrawAFreshSeedWithoutTheProperty() {
        System.clearProperty(Seed.PROPERTY);

        assertNotEquals(Seed.fromSystemProperty().value(), Seed.fromSystemProperty().value());
    }

    @Test
    void shouldNameTheSeedInAFailedAssertion() {
        System.setProperty(Seed.PROPERTY, "77");
        AssertionFailedError failure = new AssertionFailedError("3 messages lost");

        AssertionError thrown = assertThrows(AssertionError.class,
                () -> Seed.fromSystemProperty().handleTestExecutionException(null, failure));

        assertEquals("3 messages lost (random seed 77; repeat with -Dtest.seed=77)", thrown.getMessage());
        assertSame(failure, thrown.getCause());
    }

    @Test
    void shouldAttachTheSeedToAnErrorKeepingItsType() {
        System.setProperty(Seed.PROPERTY, "78");
        IllegalStateException error = new IllegalStateException("boom");

        IllegalStateException thrown = assertThrows(IllegalStateException.class,
                () -> Seed.fromSystemProperty().handleTestExecutionException(null, error));

        assertSame(error, thrown);
        assertEquals("random seed 78; repeat with -Dtest.seed=78", thrown.getSuppressed()[0].getMessage());
    }

    @Test
    void shouldLeaveASkippedTestAlone() {
        TestAbortedException skipped = new TestAbortedException("no network");

        TestAbortedException thrown = assertThrows(TestAbortedException.class,
                () -> Seed.fromSystemProperty().handleTestExecutionException(null, skipped));

        assertSame(skipped, thrown);
        assertEquals(0, thrown.getSuppressed().length);
    }
}
