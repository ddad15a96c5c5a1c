package relay.webhook;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import mockwebserver3.MockResponse;
import mockwebserver3.RecordedRequest;
import relay.testing.Await;

/**
 * The webhook as a test scripts it, for a MockWebServer: it answers with the enqueued responses in arrival order,
 * then 200, and while {@link #hold() holding} keeps each request waiting until the test releases it. It remembers
 * the {@code webhook-id}s in arrival order and the most requests it had at once.
 */
final class ScriptedWebhook extends mockwebserver3.Dispatcher {
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    // Everything below is guarded by lock.
    private final Deque<MockResponse> script = new ArrayDeque<>();
    private final List<String> arrived = new ArrayList<>();
    private final Set<String> held = new LinkedHashSet<>();
    private final Set<String> released = new HashSet<>();
    private Runnable onArrival = () -> { };
    private boolean holding;
    private boolean closed;
    private int inFlight;
    private int maxInFlight;

    void enqueue(MockResponse... responses) {
        locked(() -> script.addAll(List.of(responses)));
    }

    /** {@code times} plain responses of {@code status}. */
    void enqueue(int status, int times) {
        for (int i = 0; i < times; i++) {
            enqueue(response(status));
        }
    }

    /** Runs for every request as it arrives, e.g. to move a fake clock as a slow webhook would. */
    void onArrival(Runnable action) {
        locked(() -> onArrival = action);
    }

    /** From now on requests wait until {@link #release} or {@link #releaseAll}. */
    void hold() {
        locked(() -> holding = true);
    }

    void release(String webhookId) {
        locked(() -> released.add(webhookId));
    }

    /** Lets every waiting request go and stops holding new ones. */
    void releaseAll() {
        locked(() -> holding = false);
    }

    /** Waits until exactly {@code count} requests are held, and returns their ids in arrival order. */
    List<String> awaitHeld(int count) {
        return Await.until(count + " requests held", () -> copy(held), ids -> ids.size() == count);
    }

    /** Waits until the requests held are exactly those of {@code webhookIds}, in whatever order they arrived. */
    void awaitHeld(Set<String> webhookIds) {
        Await.until("requests held: " + webhookIds, () -> copy(held), ids -> Set.copyOf(ids).equals(webhookIds));
    }

    /** How many requests it keeps waiting right now. */
    int heldCount() {
        lock.lock();
        try {
            return held.size();
        } finally {
            lock.unlock();
        }
    }

    List<String> ids() {
        return copy(arrived);
    }

    int maxInFlight() {
        lock.lock();
        try {
            return maxInFlight;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public MockResponse dispatch(RecordedRequest request) throws InterruptedException {
        String id = request.getHeaders().get("webhook-id");
        lock.lock();
        try {
            onArrival.run();
            arrived.add(id);
            maxInFlight = Math.max(maxInFlight, ++inFlight);
            MockResponse response = script.isEmpty() ? response(200) : script.poll();
            held.add(id);
            changed.signalAll();
            while (holding && !closed && !released.remove(id)) {
                changed.await();
            }
            held.remove(id);
            inFlight--;
            return response;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void close() {
        locked(() -> closed = true);
    }

    private static MockResponse response(int status) {
        return new MockResponse.Builder().code(status).body("status " + status).build();
    }

    private void locked(Runnable change) {
        lock.lock();
        try {
            change.run();
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private <T> List<T> copy(Collection<T> items) {
        lock.lock();
        try {
            return List.copyOf(items);
        } finally {
            lock.unlock();
        }
    }
}
