package relay.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.sun.net.httpserver.Headers;
import java.io.IOException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import relay.store.StorageException;
import relay.store.StorageFault;

/** Every known storage failure has its status and code; none is a bare 500. */
class StoreErrorsTest {
    @ParameterizedTest(name = "{0} → {1} {2}")
    @CsvSource(nullValues = "none", value = {
            "FULL,        507, insufficient_storage, none",
            "UNWRITABLE,  507, insufficient_storage, none",
            "BUSY,        503, store_busy,           1",
            "UNREACHABLE, 503, store_unavailable,    30",
            "CORRUPT,     503, store_unavailable,    30"})
    void shouldAnswerEachStorageFaultWithItsStatus(StorageFault fault, int status, String code, String retryAfter) {
        Headers headers = new Headers();

        ApiException answer = StoreErrors.answer(new StorageException(fault, "chat.db", "Input/output error",
                new IOException("Input/output error")), headers);

        assertEquals(status, answer.status());
        assertEquals(code, answer.code());
        assertNull(answer.field());
        assertEquals(retryAfter, headers.getFirst("Retry-After"));
    }
}
