package relay.http;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Objects;

/**
 * The exchange as handlers see it: every call that can block on the client — reading or writing the body, sending
 * headers, and closing, which drains what the client still sends and flushes the response — runs under the
 * {@link StallWatchdog}'s body deadline. Streams alone would not do: the JDK server drains a request body it was
 * not asked to read from its own stream, out of a handler's reach.
 *
 * <p>It also remembers whether the response completed, which the JDK server does not tell: see
 * {@link StallWatchdog#filter()}. Only the exchange's own thread uses it.
 */
final class WatchedExchange extends ForwardingExchange {
    /**
     * Writes go out in slices of at most this, each one progress: a large response to a slow but steady reader
     * never sits in one write longer than the body idle timeout.
     */
    static final int WRITE_SLICE = 8 * 1024;

    private final StallWatchdog.Watch watch;
    private boolean failed;
    private boolean responseClosed;

    WatchedExchange(HttpExchange exchange, StallWatchdog.Watch watch) {
        super(exchange);
        this.watch = watch;
        exchange.setStreams(new Input(exchange.getRequestBody()), new Output(exchange.getResponseBody()));
    }

    /** Whether the response was sent whole and nothing failed on the way. */
    boolean completed() {
        return responseClosed && !failed;
    }

    private <T, E extends Exception> T io(StallWatchdog.IoCall<T, E> call) throws E {
        try {
            return watch.io(call);
        } catch (Exception e) {
            failed = true;
            throw e;
        }
    }

    @Override
    public void sendResponseHeaders(int status, long length) throws IOException {
        if (length == 0) {
            // A streamed (chunked) response whose connection is closed under it, as a dropped client's is, would be
            // handed back to the JDK server for the next request and never released: end such responses' connections.
            exchange.getResponseHeaders().set("Connection", "close");
        }
        io(() -> {
            exchange.sendResponseHeaders(status, length);
            return null;
        });
    }

    @Override
    public void close() {
        io(() -> {
            exchange.close();
            return null;
        });
    }

    private final class Input extends InputStream {
        private final InputStream in;

        Input(InputStream in) {
            this.in = in;
        }

        @Override
        public int read() throws IOException {
            return io(in::read);
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            return io(() -> in.read(buffer, offset, length));
        }

        @Override
        public long skip(long n) throws IOException {
            return io(() -> in.skip(n));
        }

        @Override
        public int available() throws IOException {
            return in.available();
        }

        @Override
        public void close() throws IOException {
            io(() -> {
                in.close();
                return null;
            });
        }
    }

    private final class Output extends OutputStream {
        private final OutputStream out;

        Output(OutputStream out) {
            this.out = out;
        }

        @Override
        public void write(int b) throws IOException {
            io(() -> {
                out.write(b);
                return null;
            });
        }

        @Override
        public void write(byte[] bytes, int offset, int length) throws IOException {
            Objects.checkFromIndexSize(offset, length, bytes.length);
            for (int at = offset, end = offset + length; at < end; at += WRITE_SLICE) {
                int from = at;
                int slice = Math.min(WRITE_SLICE, end - at);
                io(() -> {
                    out.write(bytes, from, slice);
                    return null;
                });
            }
        }

        @Override
        public void flush() throws IOException {
            io(() -> {
                out.flush();
                return null;
            });
        }

        @Override
        public void close() throws IOException {
            io(() -> {
                out.close();
                return null;
            });
            responseClosed = true;
        }
    }
}
