package relay.http;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * The exchange as every handler sees it: the JDK's, with two pieces of HTTP/1.1 hygiene the JDK server leaves to
 * handlers, applied where the status line is sent so no handler has to remember them.
 * <ul>
 *   <li>An answer given before the request body was read to its end (a refusal: 401, 413, 415…) carries
 *   {@code Connection: close}. The server will not keep reading a body nobody wants, so it closes the connection
 *   after answering; saying so keeps a client from sending its next request on a connection about to close.</li>
 *   <li>{@code HEAD} is answered by the {@code GET} route: the status and headers it sends, its body length as
 *   {@code Content-Length}, and no body. The JDK drops a HEAD response's length and closes its body stream, so
 *   the route's writes end it early.</li>
 * </ul>
 */
final class ManagedExchange extends ForwardingExchange {
    private final TrackedBody body;
    private final boolean head;

    ManagedExchange(HttpExchange exchange) {
        super(exchange);
        this.body = new TrackedBody(exchange.getRequestBody(), announcedLength(exchange.getRequestHeaders()));
        this.head = exchange.getRequestMethod().equals("HEAD");
    }

    /** -1 for a chunked body, whose end is only known once read; 0 without a body. */
    private static long announcedLength(Headers headers) {
        if (headers.containsKey("Transfer-Encoding")) {
            return -1;
        }
        try {
            String length = headers.getFirst("Content-Length");
            return length == null ? 0 : Long.parseLong(length.strip());
        } catch (NumberFormatException e) {
            return -1; // the JDK refuses such a request before it gets here
        }
    }

    /** Whether the client sent body bytes no handler read. */
    boolean bodyLeftUnread() {
        return !body.finished();
    }

    /** Whether reading the request body failed: a broken chunked body, a client gone or stalled mid-body. */
    boolean bodyReadFailed() {
        return body.failed;
    }

    @Override
    public void sendResponseHeaders(int status, long length) throws IOException {
        if (bodyLeftUnread()) {
            exchange.getResponseHeaders().set("Connection", "close");
        }
        if (!head) {
            exchange.sendResponseHeaders(status, length);
            return;
        }
        if (length > 0) {
            exchange.getResponseHeaders().set("Content-Length", Long.toString(length));
        }
        exchange.sendResponseHeaders(status, -1);
    }

    @Override
    public InputStream getRequestBody() {
        return body;
    }

    /** Handlers read the body through this exchange; replacing its streams underneath would bypass the tracking. */
    @Override
    public void setStreams(InputStream in, OutputStream out) {
        throw new UnsupportedOperationException("the request body is tracked by ManagedExchange");
    }

    /**
     * Counts what the handler reads. Closing it does not close the JDK's stream: that would first read and discard
     * up to 64 KiB of an unread body, holding back the refusal the handler is about to send. The exchange's own
     * close does it after the answer went out.
     */
    private static final class TrackedBody extends FilterInputStream {
        private final long announced;
        private long read;
        private boolean ended;
        private boolean failed;

        TrackedBody(InputStream in, long announced) {
            super(in);
            this.announced = announced;
            this.ended = announced == 0;
        }

        boolean finished() {
            return ended || (announced > 0 && read >= announced);
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xFF;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            try {
                int n = super.read(buffer, offset, length);
                count(n);
                return n;
            } catch (IOException e) {
                failed = true;
                throw e;
            }
        }

        @Override
        public long skip(long n) throws IOException {
            byte[] sink = new byte[(int) Math.min(8192, Math.max(n, 0))];
            int skipped = sink.length == 0 ? 0 : read(sink, 0, sink.length);
            return Math.max(skipped, 0);
        }

        private void count(int n) {
            if (n < 0) {
                ended = true;
            } else {
                read += n;
            }
        }

        @Override
        public boolean markSupported() {
            return false;
        }

        @Override
        public void close() {
            // see the class comment
        }
    }
}
