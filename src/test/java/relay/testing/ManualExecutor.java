package relay.testing;

import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingDeque;

/** Runs tasks on the test's thread, only when told and in the order told: for interleavings that would be races. */
public final class ManualExecutor implements Executor {
    private final LinkedBlockingDeque<Runnable> tasks = new LinkedBlockingDeque<>();

    @Override
    public void execute(Runnable task) {
        tasks.add(task);
    }

    public int pending() {
        return tasks.size();
    }

    public void runOldest() {
        tasks.removeFirst().run();
    }

    public void runNewest() {
        tasks.removeLast().run();
    }

    /** Runs tasks, oldest first, until none is left, including the ones they submit. */
    public void runAll() {
        while (!tasks.isEmpty()) {
            runOldest();
        }
    }
}
