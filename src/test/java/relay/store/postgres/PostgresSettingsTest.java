package relay.store.postgres;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import relay.store.SettingsStore;
import relay.store.SettingsStoreContract;
import relay.testing.Postgres;

class PostgresSettingsTest extends SettingsStoreContract {
    private final Postgres.Database database = Postgres.newDatabase();
    private PostgresStore store;

    @Override
    protected Backend open(InstantSource clock) throws IOException {
        store = TestDatabases.open(database, clock);
        return Backend.of(store);
    }

    @Override
    protected SettingsStore settings() {
        return new PostgresSettings(store);
    }

    private static byte[] key(int fill) {
        byte[] key = new byte[32];
        Arrays.fill(key, (byte) fill);
        return key;
    }

    @Test
    void shouldKeepTheFirstLinkKeyOfferedWhateverTheConfigurationSaves() throws Exception {
        PostgresSettings settings = new PostgresSettings(store);

        assertArrayEquals(key(1), settings.linkKey(key(1)));
        settings.replace(Map.of("WEBHOOK_TIMEOUT", "12"));
        settings.replace(Map.of());
        reopen();

        assertArrayEquals(key(1), new PostgresSettings(store).linkKey(key(2)));
        assertEquals(Map.of(), new PostgresSettings(store).all(), "the key is not part of the configuration");
    }

    @Test
    void shouldAgreeOnOneLinkKeyWhenInstancesStartTogether() throws Exception {
        int instances = TestDatabases.POOL_SIZE;
        CountDownLatch start = new CountDownLatch(1);
        List<Future<byte[]>> keys = new ArrayList<>();
        try (ExecutorService threads = Executors.newFixedThreadPool(instances)) {
            for (int i = 0; i < instances; i++) {
                byte[] offered = key(i + 1);
                keys.add(threads.submit(() -> {
                    start.await();
                    return new PostgresSettings(store).linkKey(offered);
                }));
            }
            start.countDown();
            byte[] first = keys.getFirst().get();
            for (Future<byte[]> key : keys) {
                assertArrayEquals(first, key.get());
            }
        }
    }
}
