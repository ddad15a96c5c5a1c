package relay.store.sqlite;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import relay.domain.DeliveryState;
import relay.store.HousekeepingTotals.Kind;
import relay.store.HousekeepingTotals;

/**
 * Housekeeping's statements. Each step deletes at most {@code limit} rows in one write, so a large backlog goes out
 * in many short transactions between the API's writes; rows go first and their files only once that write is
 * committed, so a failed commit never leaves a row pointing at a deleted file.
 */
final class Pruning {
    private static final String FINISHED = "('" + DeliveryState.DELIVERED.wireName() + "', '"
            + DeliveryState.FAILED.wireName() + "')";

    private static final String ORPHAN_UPLOADS = "SELECT a.id, a.sha256 FROM attachments a WHERE a.created_at < ?"
            + " AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.attachment_id = a.id)"
            + " ORDER BY a.created_at, a.id LIMIT ?";
    // Finished before the cutoff, not only created before it: a message held for weeks and delivered today stays.
    private static final String EXPIRED_MESSAGES = "SELECT m.id, m.phone, m.sequence, m.attachment_id, a.sha256"
            + " FROM messages m JOIN deliveries d ON d.message_id = m.id"
            + " LEFT JOIN attachments a ON a.id = m.attachment_id"
            + " WHERE m.created_at < ? AND d.updated_at < ? AND d.state IN " + FINISHED
            + " ORDER BY m.created_at, m.id LIMIT ?";
    private static final String DELETE_ATTEMPTS = "DELETE FROM attempts WHERE message_id = ?";
    private static final String DELETE_DELIVERY = "DELETE FROM deliveries WHERE message_id = ?";
    private static final String DELETE_MESSAGE = "DELETE FROM messages WHERE id = ?";
    private static final String RETIRE_SEQUENCE = "INSERT INTO retired_sequences (phone, last_sequence) VALUES (?, ?)"
            + " ON CONFLICT (phone) DO UPDATE SET last_sequence = MAX(last_sequence, excluded.last_sequence)";
    private static final String COUNT = "INSERT INTO housekeeping_totals (kind, deleted) VALUES (?, ?)"
            + " ON CONFLICT (kind) DO UPDATE SET deleted = deleted + excluded.deleted";
    private static final String TOTALS = "SELECT kind, deleted FROM housekeeping_totals";

    /** What one step deleted: how many rows, and the contents whose last attachment row may have gone with them. */
    record Step(int rows, Set<String> sha256s) {
        Step {
            sha256s = Set.copyOf(sha256s);
        }
    }

    private Pruning() {
    }

    /** Uploads created before {@code cutoff} that no message uses. */
    static Step orphanUploads(SqlSession session, Instant cutoff, int limit) throws SQLException {
        PreparedStatement query = session.prepare(ORPHAN_UPLOADS);
        query.setLong(1, cutoff.toEpochMilli());
        query.setInt(2, limit);
        List<String[]> found = Rows.list(query, row -> new String[] {row.getString(1), row.getString(2)});
        Set<String> sha256s = new LinkedHashSet<>();
        for (String[] upload : found) {
            if (deleteUnusedAttachment(session, upload[0])) {
                sha256s.add(upload[1]);
            }
        }
        count(session, Kind.ORPHAN_UPLOAD, sha256s.size());
        return new Step(found.size(), sha256s);
    }

    /**
     * Delivered and failed messages that finished before {@code cutoff}, with their delivery, attempts and
     * attachment row when no other message uses it. Each phone's highest deleted sequence is kept, so numbering never
     * goes back.
     */
    static Step expiredMessages(SqlSession session, Instant cutoff, int limit) throws SQLException {
        PreparedStatement query = session.prepare(EXPIRED_MESSAGES);
        query.setLong(1, cutoff.toEpochMilli());
        query.setLong(2, cutoff.toEpochMilli());
        query.setInt(3, limit);
        List<Expired> found = Rows.list(query, row -> new Expired(row.getString(1), row.getString(2), row.getLong(3),
                row.getString(4), row.getString(5)));
        Set<String> sha256s = new LinkedHashSet<>();
        for (Expired message : found) {
            for (String delete : List.of(DELETE_ATTEMPTS, DELETE_DELIVERY, DELETE_MESSAGE)) {
                PreparedStatement statement = session.prepare(delete);
                statement.setString(1, message.id());
                statement.executeUpdate();
            }
            PreparedStatement retire = session.prepare(RETIRE_SEQUENCE);
            retire.setString(1, message.phone());
            retire.setLong(2, message.sequence());
            retire.executeUpdate();
            if (message.attachmentId() != null && deleteUnusedAttachment(session, message.attachmentId())) {
                sha256s.add(message.sha256());
            }
        }
        count(session, Kind.MESSAGE, found.size());
        return new Step(found.size(), sha256s);
    }

    private record Expired(String id, String phone, long sequence, String attachmentId, String sha256) {
    }

    private static boolean deleteUnusedAttachment(SqlSession session, String attachmentId) throws SQLException {
        PreparedStatement delete = session.prepare(Updates.DELETE_UNSENT_ATTACHMENT);
        delete.setString(1, attachmentId);
        return delete.executeUpdate() == 1;
    }

    static void count(SqlSession session, Kind kind, int deleted) throws SQLException {
        if (deleted == 0) {
            return;
        }
        PreparedStatement statement = session.prepare(COUNT);
        statement.setString(1, kind.label());
        statement.setLong(2, deleted);
        statement.executeUpdate();
    }

    static HousekeepingTotals totals(SqlSession session) throws SQLException {
        HousekeepingTotals totals = HousekeepingTotals.NONE;
        try (ResultSet rows = session.prepare(TOTALS).executeQuery()) {
            while (rows.next()) {
                totals = totals.plus(Kind.fromLabel(rows.getString(1)), rows.getLong(2));
            }
        }
        return totals;
    }
}
