package relay.store;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Everything one store holds, copied as it is into another, empty one — from SQLite to PostgreSQL when an
 * installation grows to several instances. "As it is": message ids, sequences and times, each delivery's state, its
 * place in its conversation, attempt count, next attempt time and last error, every attempt, contacts, saved
 * settings, sign-in sessions, retired sequence numbers, housekeeping totals, and the attachments with their bytes.
 * The store interfaces cannot do this (accepting a message gives it a new sequence and a fresh delivery), so the
 * backends trade rows: a {@link Source} hands out each {@link Table}'s rows, a {@link Target} writes them.
 */
public final class StoreCopy {

    private StoreCopy() {
    }

    /**
     * The tables copied, in an order in which every row's references are copied before it, each with the columns both
     * backends keep under the same name and meaning. Rows that a backend derives (the conversation list, the search
     * index, row numbers) are derived again by the target.
     */
    public enum Table {
        ATTACHMENTS("attachment", "id", "sha256", "kind", "filename", "mime_type", "size", "created_at"),
        MESSAGES("message", "id", "phone", "sequence", "text", "attachment_id", "created_at"),
        DELIVERIES("delivery", "message_id", "state", "attempts", "next_attempt_at", "last_error", "updated_at",
                "phone", "position", "claimed_by", "claim_token", "lease_until", "skipped_at"),
        ATTEMPTS("attempt", "message_id", "number", "started_at", "duration_ms", "status_code", "error",
                "response_snippet", "succeeded"),
        CONTACTS("contact", "phone", "name", "name_key"),
        SETTINGS("setting", "key", "value"),
        SESSIONS("session", "id_hash", "created_at", "expires_at"),
        RETIRED_SEQUENCES("retired sequence", "phone", "last_sequence"),
        HOUSEKEEPING_TOTALS("housekeeping total", "kind", "deleted");

        private final String noun;
        private final List<String> columns;

        Table(String noun, String... columns) {
            this.noun = noun;
            this.columns = List.of(columns);
        }

        /** The table's name in both backends. */
        public String sqlName() {
            return name().toLowerCase(Locale.ROOT);
        }

        public List<String> columns() {
            return columns;
        }

        /** What one row is, for the counts printed: "message", "attempt". */
        public String noun() {
            return noun;
        }
    }

    /** One row's values in {@link Table#columns()} order: {@link Long}, {@link Integer}, {@link String} or null. */
    public record Row(List<Object> values) {
        public Row {
            values = Collections.unmodifiableList(new ArrayList<>(values));
        }

        public Object get(int column) {
            return values.get(column);
        }
    }

    /** Takes rows one at a time, so that no table is ever whole in memory. */
    @FunctionalInterface
    public interface RowSink {
        void accept(Row row) throws IOException;
    }

    /** The store copied from; nothing writes to it meanwhile. */
    public interface Source {
        /** Hands {@code sink} every row of {@code table} in the order they were written. */
        void rows(Table table, RowSink sink) throws IOException;

        /** The bytes of the attachment content named by its SHA-256, as a stream. */
        InputStream content(String sha256) throws IOException;
    }

    /** The store copied into. */
    public interface Target {
        /**
         * Copies everything {@code source} holds, all or nothing: when it fails or is refused, this store is as it
         * was, so the copy can simply be run again.
         *
         * @param linkKey the key that signed the source's attachment links, kept so that links already sent open
         * @throws NotEmpty when this store holds anything already (two copies at once: the second is refused)
         * @throws IOException when the source cannot be read, or an attachment's bytes are not what they should be
         */
        Counts copyFrom(Source source, Optional<byte[]> linkKey) throws IOException;
    }

    /**
     * What was copied.
     *
     * @param rows     rows by table
     * @param contents distinct attachment contents (files), which attachments with the same bytes share
     * @param bytes    their bytes in all
     */
    public record Counts(Map<Table, Long> rows, long contents, long bytes) {
        public Counts {
            rows = Map.copyOf(new EnumMap<>(rows));
        }

        public long of(Table table) {
            return rows.getOrDefault(table, 0L);
        }
    }

    /** The target holds data already: a copy would mix two histories (or repeat one). Nothing was written. */
    public static final class NotEmpty extends IllegalStateException {
        public NotEmpty(String what) {
            super(what);
        }
    }
}
