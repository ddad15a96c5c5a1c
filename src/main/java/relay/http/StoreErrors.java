package relay.http;

import com.sun.net.httpserver.Headers;
import relay.store.StorageException;

/**
 * The answer to a request the store could not serve. A disk that takes no writes is
 * {@code 507 insufficient_storage} (the client cannot fix it, and retrying soon will not help); a locked database is
 * {@code 503 store_busy} and any other known storage failure {@code 503 store_unavailable}, both with
 * {@code Retry-After}. The store has logged the incident once already, so nothing is logged here.
 */
final class StoreErrors {
    private static final int BUSY_RETRY_SECONDS = 1;
    private static final int UNAVAILABLE_RETRY_SECONDS = 30;

    private StoreErrors() {
    }

    static ApiException answer(StorageException e, Headers responseHeaders) {
        return switch (e.fault()) {
            case FULL -> new ApiException(507, "insufficient_storage",
                    "The server's disk is full, so nothing was stored. Try again once space has been freed.");
            case UNWRITABLE -> new ApiException(507, "insufficient_storage",
                    "The server cannot write to its data folder, so nothing was stored.");
            case BUSY -> retryAfter(responseHeaders, BUSY_RETRY_SECONDS, new ApiException(503, "store_busy",
                    "The database is busy, so nothing was stored. Try again in a moment."));
            case UNREACHABLE, CORRUPT -> retryAfter(responseHeaders, UNAVAILABLE_RETRY_SECONDS,
                    new ApiException(503, "store_unavailable",
                            "The server's storage is failing, so this could not be done. Try again later."));
        };
    }

    private static ApiException retryAfter(Headers responseHeaders, int seconds, ApiException answer) {
        responseHeaders.set("Retry-After", Integer.toString(seconds));
        return answer;
    }
}
