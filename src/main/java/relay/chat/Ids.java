package relay.chat;

import java.time.InstantSource;
import java.util.Objects;
import java.util.random.RandomGenerator;
import java.util.regex.Pattern;

/**
 * Time-sortable ids: {@code msg_} / {@code att_} followed by 26 characters of lower-case Crockford base32 holding
 * 48 bits of epoch milliseconds and 80 random bits, laid out like a ULID. Ids made in later milliseconds sort after
 * earlier ones as plain strings; within one millisecond their order is random.
 */
public final class Ids {
    private static final char[] ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz".toCharArray();
    private static final int TIME_CHARS = 10;
    private static final int RANDOM_CHARS = 16;
    private static final long MAX_MILLIS = (1L << 48) - 1;
    private static final Pattern MESSAGE_ID = Pattern.compile("msg_[0-9a-hjkmnp-tv-z]{26}");
    private static final Pattern ATTACHMENT_ID = Pattern.compile("att_[0-9a-hjkmnp-tv-z]{26}");

    private final InstantSource clock;
    private final RandomGenerator random;

    public Ids(InstantSource clock, RandomGenerator random) {
        this.clock = Objects.requireNonNull(clock, "clock");
        this.random = Objects.requireNonNull(random, "random");
    }

    public String newMessageId() {
        return "msg_" + body();
    }

    public String newAttachmentId() {
        return "att_" + body();
    }

    /** For events that are not messages, such as the settings page's test event. */
    public String newEventId() {
        return "evt_" + body();
    }

    /** Checked before any lookup, so a hostile id never reaches a query or a file path. */
    public static boolean isMessageId(String s) {
        return s != null && MESSAGE_ID.matcher(s).matches();
    }

    public static boolean isAttachmentId(String s) {
        return s != null && ATTACHMENT_ID.matcher(s).matches();
    }

    private String body() {
        long millis = clock.millis();
        if (millis < 0 || millis > MAX_MILLIS) {
            throw new IllegalStateException("clock outside the 48-bit millisecond range: " + millis);
        }
        char[] out = new char[TIME_CHARS + RANDOM_CHARS];
        encodeTime(millis, out);
        encodeRandom(random.nextInt(1 << 16), random.nextLong(), out);
        return new String(out);
    }

    private static void encodeTime(long millis, char[] out) {
        long rest = millis;
        for (int i = TIME_CHARS - 1; i >= 0; i--) {
            out[i] = ALPHABET[(int) (rest & 31)];
            rest >>>= 5;
        }
    }

    /** Writes the 80-bit number {@code high16:low64} as 16 base32 digits, least significant last. */
    private static void encodeRandom(long high16, long low64, char[] out) {
        long high = high16;
        long low = low64;
        for (int i = out.length - 1; i >= TIME_CHARS; i--) {
            out[i] = ALPHABET[(int) (low & 31)];
            low = (low >>> 5) | (high << 59);
            high >>>= 5;
        }
    }
}
