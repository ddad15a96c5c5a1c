package relay.webhook;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLException;
import relay.config.Masking;

/**
 * Sends one delivery attempt and reports what came of it, never throwing for network trouble. The caller blocks
 * (it is a virtual thread) for at most {@link #timeoutFor} the body's length, headers and response included.
 */
public final class WebhookSender {
    private final HttpClient client;
    private final URI url;
    private final String userAgent;
    private final SigningKeys keys;
    private final Duration baseTimeout;
    private final int uploadRateKbps;
    private final boolean keepAlive;
    private final InstantSource clock;

    /**
     * Sets what the JDK HTTP client reads once, when it is first used, so call this before anything else touches it:
     * <ul>
     *   <li>{@code Connection: close} goes out only if the client allows that restricted header;</li>
     *   <li>the client pools a connection unless the <em>response</em> says {@code Connection: close}, whatever the
     *   request said, so a receiver that closes without saying so leaves a dead connection for the next attempt.
     *   Allowing a POST to be retried lets the client resend a request, once and at once, on a fresh connection when
     *   its connection closed before a single byte of answer — which covers that dead pooled connection, and also a
     *   receiver that reset or dropped the request unanswered; such a resend is part of the same attempt, and
     *   receivers de-duplicate by {@code webhook-id} in any case.</li>
     * </ul>
     */
    public static void prepareJdkClient() {
        System.setProperty("jdk.httpclient.allowRestrictedHeaders", "connection");
        System.setProperty("jdk.httpclient.enableAllMethodRetry", "true");
    }

    /**
     * A client for webhook attempts. HTTP/1.1 is pinned because the default HTTP/2 first tries an h2c upgrade, which
     * some receivers mishandle on a POST with a body; redirects are never followed, since a redirected POST would
     * re-send the message somewhere nobody configured.
     */
    public static HttpClient newHttpClient(Duration connectTimeout) {
        return HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(connectTimeout)
                .executor(Executors.newVirtualThreadPerTaskExecutor())
                .build();
    }

    /**
     * @param uploadRateKbps KiB per second the webhook is assumed to take at least; sets how long big bodies may take
     * @param keepAlive      whether connections are reused; when false every request says {@code Connection: close}.
     *                       A request that fails on a reused connection before a byte of answer is resent once, at
     *                       once, on a fresh one as part of the same attempt (see {@link #prepareJdkClient}); the
     *                       {@code webhook-id} lets the receiver drop it should it have arrived after all.
     * @throws IllegalStateException when the JDK would refuse the {@code Connection} header: the system property
     *                               {@code jdk.httpclient.allowRestrictedHeaders} must contain {@code connection}
     *                               before the HTTP client is first used
     */
    public WebhookSender(HttpClient client, URI url, String userAgent, Optional<Signer> signer, Duration baseTimeout,
                         int uploadRateKbps, boolean keepAlive, InstantSource clock) {
        this(client, url, userAgent, SigningKeys.of(signer), baseTimeout, uploadRateKbps, keepAlive, clock);
    }

    /** As above, signing with each secret {@code keys} has in force when a request goes (a rotation's two). */
    public WebhookSender(HttpClient client, URI url, String userAgent, SigningKeys keys, Duration baseTimeout,
                         int uploadRateKbps, boolean keepAlive, InstantSource clock) {
        if (uploadRateKbps < 1) {
            throw new IllegalArgumentException("uploadRateKbps must be at least 1");
        }
        this.client = Objects.requireNonNull(client);
        this.url = Objects.requireNonNull(url);
        this.userAgent = Objects.requireNonNull(userAgent);
        this.keys = Objects.requireNonNull(keys);
        this.baseTimeout = Objects.requireNonNull(baseTimeout);
        this.uploadRateKbps = uploadRateKbps;
        this.keepAlive = keepAlive;
        this.clock = Objects.requireNonNull(clock);
        requireConnectionHeaderAllowed();
    }

    /** The base timeout plus one second per {@code uploadRateKbps} KiB of body, rounded up. */
    public Duration timeoutFor(long bodyBytes) {
        return baseTimeout.plusSeconds(Math.ceilDiv(bodyBytes, 1024L * uploadRateKbps));
    }

    /**
     * POSTs {@code body} with {@code webhookId} as the Standard Webhooks {@code webhook-id}; an attachment that cannot
     * be read, before or while sending, comes back as {@link AttemptResult.AttachmentUnavailable}.
     */
    public AttemptResult send(String webhookId, WebhookBody body) {
        Instant startedAt = clock.instant();
        Duration timeout = timeoutFor(body.length());
        HttpRequest request;
        try {
            // Checked before connecting, so that a lost file sends the webhook nothing, not a request cut short.
            body.checkReadable();
            request = request(webhookId, startedAt, body, timeout);
        } catch (IOException e) {
            // Signing reads the body too, and only its attachment's file can fail to be read.
            return new AttemptResult.AttachmentUnavailable(startedAt, since(startedAt));
        }
        CompletableFuture<HttpResponse<String>> future = client.sendAsync(request, ResponseSnippet.handler());
        try {
            HttpResponse<String> response = future.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
            // A receiver may echo the request's path ("Cannot POST /bot…/sendMessage"): it is kept as secret here.
            return new AttemptResult.Response(startedAt, since(startedAt), response.statusCode(),
                    lowerCaseNames(response.headers()), Masking.maskIn(response.body(), url));
        } catch (TimeoutException e) {
            future.cancel(true);
            return failure(startedAt, timedOut(timeout));
        } catch (ExecutionException e) {
            if (has(e.getCause(), WebhookBody.UnreadableAttachment.class)) {
                return new AttemptResult.AttachmentUnavailable(startedAt, since(startedAt));
            }
            return failure(startedAt, describe(e.getCause(), timeout));
        } catch (InterruptedException e) {
            future.cancel(true);
            Thread.currentThread().interrupt();
            return failure(startedAt, "interrupted while sending");
        }
    }

    private HttpRequest request(String webhookId, Instant startedAt, WebhookBody body, Duration timeout)
            throws IOException {
        long timestamp = startedAt.getEpochSecond();
        HttpRequest.Builder builder = baseRequest()
                .timeout(timeout)
                .header("webhook-id", webhookId)
                .header("webhook-timestamp", Long.toString(timestamp))
                // Fixed length, streamed: the body is read from its files while it is sent.
                .POST(HttpRequest.BodyPublishers.fromPublisher(
                        HttpRequest.BodyPublishers.ofInputStream(() -> openUnchecked(body)), body.length()));
        List<Signer> signers = keys.at(startedAt);
        if (!signers.isEmpty()) {
            builder.header("webhook-signature", Signer.signAll(signers, webhookId, timestamp, body));
        }
        return builder.build();
    }

    private HttpRequest.Builder baseRequest() {
        HttpRequest.Builder builder = HttpRequest.newBuilder(url)
                .header("Content-Type", "application/json")
                .header("Accept", "application/json")
                .header("Accept-Encoding", "gzip, deflate")
                .header("User-Agent", userAgent);
        // Unless told to keep connections, a fresh one per attempt: a receiver that dropped a kept-alive connection
        // cannot fail the next delivery. The JDK treats this header as restricted; see requireConnectionHeaderAllowed.
        return keepAlive ? builder : builder.header("Connection", "close");
    }

    private void requireConnectionHeaderAllowed() {
        try {
            baseRequest();
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("set -Djdk.httpclient.allowRestrictedHeaders=connection before the "
                    + "HTTP client is first used, so webhook requests can carry Connection: close", e);
        }
    }

    private static InputStream openUnchecked(WebhookBody body) {
        try {
            return body.open();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every failure's text passes here: whatever an exception quoted of the webhook URL is masked. */
    private AttemptResult.Failure failure(Instant startedAt, String error) {
        return new AttemptResult.Failure(startedAt, since(startedAt), Masking.maskIn(error, url));
    }

    private Duration since(Instant startedAt) {
        return Duration.between(startedAt, clock.instant());
    }

    private static Map<String, List<String>> lowerCaseNames(HttpHeaders headers) {
        Map<String, List<String>> names = new TreeMap<>();
        headers.map().forEach((name, values) -> {
            if (!name.startsWith(":")) {
                names.computeIfAbsent(name.toLowerCase(Locale.ROOT), n -> new ArrayList<>()).addAll(values);
            }
        });
        names.replaceAll((name, values) -> List.copyOf(values));
        return names;
    }

    /** A short sentence for the failure; {@link #failure} masks any part of the webhook URL it quotes. */
    private String describe(Throwable error, Duration timeout) {
        if (has(error, HttpConnectTimeoutException.class)) {
            return "could not connect to " + hostPort() + " within "
                    + client.connectTimeout().map(Duration::toSeconds).orElse(timeout.toSeconds()) + "s";
        }
        if (has(error, HttpTimeoutException.class)) {
            return timedOut(timeout);
        }
        if (has(error, UnresolvedAddressException.class) || has(error, UnknownHostException.class)) {
            return "unknown host " + url.getHost();
        }
        if (has(error, ConnectException.class)) {
            return "connection refused by " + hostPort();
        }
        if (has(error, SSLException.class)) {
            return "TLS failed with " + hostPort() + ": " + error.getMessage();
        }
        String message = String.valueOf(error.getMessage()).toLowerCase(Locale.ROOT);
        if (message.contains("reset")) {
            return "connection reset";
        }
        if (has(error, EOFException.class) || message.contains("no bytes") || message.contains("closed")) {
            return "connection closed before a complete response";
        }
        return "network error: " + error.getClass().getSimpleName()
                + (error.getMessage() == null ? "" : " " + error.getMessage());
    }

    private static boolean has(Throwable error, Class<? extends Throwable> type) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return true;
            }
        }
        return false;
    }

    private static String timedOut(Duration timeout) {
        return "timed out after " + timeout.toSeconds() + "s";
    }

    private String hostPort() {
        return url.getHost() + (url.getPort() == -1 ? "" : ":" + url.getPort());
    }
}
