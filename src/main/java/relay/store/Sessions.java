package relay.store;

import java.time.Instant;

/** Signed-in sessions, kept so they survive a restart. Only a hash of each session id is ever stored. */
public interface Sessions {

    /**
     * Records a new session, forgets expired ones, and ends the oldest beyond {@code keep}, in one write.
     *
     * @param idHash the session id's hash, never the id itself
     */
    void add(String idHash, Instant createdAt, Instant expiresAt, int keep);

    /** Whether a session with this hash exists and has not expired at {@code now}. */
    boolean isActive(String idHash, Instant now);

    /** Ends the session; nothing happens when there is none. */
    void remove(String idHash);
}
