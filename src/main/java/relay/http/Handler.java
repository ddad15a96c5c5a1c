package relay.http;

import java.io.IOException;

/** Answers one matched request. Refuse bad input by throwing {@link ApiException}. */
@FunctionalInterface
public interface Handler {
    void handle(Request request) throws IOException;
}
