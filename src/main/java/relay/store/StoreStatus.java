package relay.store;

import java.util.Optional;

/** How the store is doing, for the operator: its health for {@code /healthz}, housekeeping's totals for /metrics. */
public interface StoreStatus {

    /**
     * What is wrong with the store: the open incident (the last write failed and none has succeeded since), or
     * {@code unreachable} when it cannot be read; empty when all is well. Recovery shows here without waiting for a
     * client's write.
     */
    Optional<StorageFault> fault();

    /** Which backend this is, as {@code /healthz} names it: {@code sqlite} or {@code postgresql}. */
    String backend();

    /** Whether a trivial query answers now: false instead of an exception. */
    boolean isReachable();

    /** What housekeeping has deleted since the store was created. */
    HousekeepingTotals deletedByHousekeeping();
}
