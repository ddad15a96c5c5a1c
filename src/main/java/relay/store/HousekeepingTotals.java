package relay.store;

import java.util.Arrays;

/**
 * How much housekeeping deleted, by one run or in all.
 *
 * @param orphanUploads uploads (attachment rows) that no message used
 * @param messages      messages past retention, with their delivery and attempts
 * @param files         attachment files no attachment row named any more
 */
public record HousekeepingTotals(long orphanUploads, long messages, long files) {
    public static final HousekeepingTotals NONE = new HousekeepingTotals(0, 0, 0);

    /** What housekeeping deletes, as /metrics labels it. */
    public enum Kind {
        ORPHAN_UPLOAD("orphan_upload"), MESSAGE("message"), FILE("file");

        private final String label;

        Kind(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }

        public static Kind fromLabel(String label) {
            return Arrays.stream(values()).filter(kind -> kind.label.equals(label)).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("unknown housekeeping kind " + label));
        }
    }

    public long of(Kind kind) {
        return switch (kind) {
            case ORPHAN_UPLOAD -> orphanUploads;
            case MESSAGE -> messages;
            case FILE -> files;
        };
    }

    public HousekeepingTotals plus(Kind kind, long count) {
        return new HousekeepingTotals(orphanUploads + (kind == Kind.ORPHAN_UPLOAD ? count : 0),
                messages + (kind == Kind.MESSAGE ? count : 0), files + (kind == Kind.FILE ? count : 0));
    }

    public HousekeepingTotals plus(HousekeepingTotals other) {
        return new HousekeepingTotals(orphanUploads + other.orphanUploads, messages + other.messages,
                files + other.files);
    }

    public boolean isEmpty() {
        return equals(NONE);
    }
}
