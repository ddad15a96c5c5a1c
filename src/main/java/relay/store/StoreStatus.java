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

    /** What housekeeping has deleted since the store was created. */
    HousekeepingTotals deletedByHousekeeping();
}
