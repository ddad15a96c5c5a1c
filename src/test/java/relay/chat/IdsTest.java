package relay.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

class IdsTest {
    /** The ULID specification's example: 1469918176385 ms encodes as 01ARYZ6S41. */
    private static final Instant ULID_EXAMPLE_TIME = Instant.ofEpochMilli(1_469_918_176_385L);

    @Test
    void shouldEncodeTheTimeInTheFirstTenCharactersLikeAUlid() {
        Ids ids = new Ids(InstantSource.fixed(ULID_EXAMPLE_TIME), new SplittableRandom(1));

        assertTrue(ids.newMessageId().startsWith("msg_01aryz6s41"));
        assertTrue(ids.newAttachmentId().startsWith("att_01aryz6s41"));
    }

    @Test
    void shouldEncodeAllEightyRandomBitsAcrossTheLastSixteenCharacters() {
        assertEquals("msg_01aryz6s41" + "0000000000000000", idWithRandomBits(0, 0));
        assertEquals("msg_01aryz6s41" + "zzzzzzzzzzzzzzzz", idWithRandomBits(0xFFFF, -1L));
        // 2^64: the lowest bit of the upper part lands in the fourth character (16 = 'g'), carried across the parts.
        assertEquals("msg_01aryz6s41" + "000g000000000000", idWithRandomBits(1, 0));
    }

    @Test
    void shouldSortIdsMadeInLaterMillisecondsAfterEarlierOnes() {
        MutableClock clock = new MutableClock(Instant.parse("2025-01-01T00:00:00Z"));
        Ids ids = new Ids(clock, new SplittableRandom(7));
        List<String> made = new ArrayList<>();

        for (int i = 0; i < 200; i++) {
            made.add(ids.newMessageId());
            clock.advanceMillis(1 + i % 3);
        }

        assertEquals(made, made.stream().sorted().toList());
    }

    @Test
    void shouldMakeDistinctWellFormedIdsWithinOneMillisecond() {
        Ids ids = new Ids(InstantSource.fixed(ULID_EXAMPLE_TIME), new SplittableRandom(3));
        HashSet<String> seen = new HashSet<>();

        for (int i = 0; i < 1000; i++) {
            String message = ids.newMessageId();
            String attachment = ids.newAttachmentId();
            assertTrue(Ids.isMessageId(message), message);
            assertTrue(Ids.isAttachmentId(attachment), attachment);
            assertFalse(Ids.isAttachmentId(message), message);
            assertFalse(Ids.isMessageId(attachment), attachment);
            assertTrue(seen.add(message));
            assertTrue(seen.add(attachment));
        }
    }

    @ParameterizedTest
    @NullAndEmptySource
    @ValueSource(strings = {
            "msg_01ARYZ6S41TSV4RRFFQ69G5FAV",   // upper case
            "msg_01aryz6s41tsv4rrffq69g5fa",    // 25 characters
            "msg_01aryz6s41tsv4rrffq69g5favx",  // 27 characters
            "msg_01aryz6s41tsv4rrffq69g5fai",   // i is not Crockford
            "msg_01aryz6s41tsv4rrffq69g5fal",   // l is not Crockford
            "msg_01aryz6s41tsv4rrffq69g5fao",   // o is not Crockford
            "msg_01aryz6s41tsv4rrffq69g5fau",   // u is not Crockford
            "msg_01aryz6s41tsv4rrffq69g5fav\n", // trailing newline
            " msg_01aryz6s41tsv4rrffq69g5fav",
            "att_01aryz6s41tsv4rrffq69g5fav",   // the other prefix
            "msg-01aryz6s41tsv4rrffq69g5fav",
            "msg_../../../../etc/passwd/xxxx",
            "01aryz6s41tsv4rrffq69g5fav"})
    void shouldRejectAnythingButAStrictMessageId(String candidate) {
        assertFalse(Ids.isMessageId(candidate));
    }

    @ParameterizedTest
    @NullAndEmptySource
    @ValueSource(strings = {
            "att_01ARYZ6S41TSV4RRFFQ69G5FAV",
            "att_01aryz6s41tsv4rrffq69g5fa",
            "att_01aryz6s41tsv4rrffq69g5fa%00",
            "att_01aryz6s41tsv4rrffq69g5f/v",
            "msg_01aryz6s41tsv4rrffq69g5fav"})
    void shouldRejectAnythingButAStrictAttachmentId(String candidate) {
        assertFalse(Ids.isAttachmentId(candidate));
    }

    @Test
    void shouldAcceptTheUlidSpecificationExampleWithEitherPrefix() {
        assertTrue(Ids.isMessageId("msg_01aryz6s41tsv4rrffq69g5fav"));
        assertTrue(Ids.isAttachmentId("att_01aryz6s41tsv4rrffq69g5fav"));
    }

    @Test
    void shouldRefuseAClockBeforeTheEpoch() {
        Ids ids = new Ids(InstantSource.fixed(Instant.parse("1969-12-31T23:59:59Z")), new SplittableRandom(1));

        assertThrows(IllegalStateException.class, ids::newMessageId);
    }

    private static String idWithRandomBits(int high16, long low64) {
        return new Ids(InstantSource.fixed(ULID_EXAMPLE_TIME), new FixedBits(high16, low64)).newMessageId();
    }

    private record FixedBits(int high16, long low64) implements RandomGenerator {
        @Override
        public long nextLong() {
            return low64;
        }

        @Override
        public int nextInt(int bound) {
            return high16;
        }
    }

    private static final class MutableClock implements InstantSource {
        private Instant now;

        MutableClock(Instant start) {
            now = start;
        }

        void advanceMillis(long millis) {
            now = now.plusMillis(millis);
        }

        @Override
        public Instant instant() {
            return now;
        }
    }
}
