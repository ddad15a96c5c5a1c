package relay.webhook;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.function.ToIntFunction;
import relay.domain.Attempt;
import relay.domain.AttemptOutcome;
import relay.domain.Delivery;
import relay.domain.Message;
import relay.domain.MessageKind;
import relay.domain.Scheduler;
import relay.log.EventLog;
import relay.store.Claim;
import relay.store.DeliveryQueue;
import relay.store.StorageException;
import relay.webhook.Transitions.Effect;
import relay.webhook.Transitions.Outcome;
import relay.webhook.Transitions.Transition;

/**
 * One attempt at one claimed delivery: build the body, send it, classify what came back, tell the circuit, write the
 * outcome fenced by the claim's token, then tell whoever listens. The claim's lease is renewed while the request runs
 * (a large upload may outlast it). An outcome the store refuses because the delivery was claimed again meanwhile is
 * dropped and logged, never forced in.
 */
final class DeliveryAttempt {
    private static final EventLog LOG = EventLog.of(DeliveryAttempt.class);
    /** How long an attempt that failed for a reason of ours (the store, a bug) waits before it is tried again. */
    static final Duration INTERNAL_RETRY = Duration.ofSeconds(5);

    /** What every attempt shares. */
    record Kit(DeliveryQueue queue, WebhookSender sender, CircuitBreaker breaker, RetryPolicy policy,
               Function<Message, WebhookBody> bodies, ToIntFunction<MessageKind> maxRetries, Duration lease,
               InstantSource clock, Scheduler scheduler, Settled settled) {
    }

    /**
     * Told of each outcome that was written: the delivery as it now stands, and how the attempt went for whoever
     * watches it (null when there is nothing to tell them: nothing was sent).
     */
    interface Settled {
        void settled(Message message, Delivery delivery, AttemptOutcome told);
    }

    private final Kit kit;
    private final Claim claim;
    private final boolean probe;
    private final AtomicBoolean over = new AtomicBoolean();

    DeliveryAttempt(Kit kit, Claim claim, boolean probe) {
        this.kit = kit;
        this.claim = claim;
        this.probe = probe;
    }

    void run() {
        Message message = claim.status().message();
        int number = claim.status().delivery().attempts() + 1;
        renewLater();
        try {
            conclude(message, number, send(message, number));
        } catch (StorageException e) {
            // The store has logged its incident once; a line per attempt would repeat it every few seconds.
            notSent(message);
        } catch (RuntimeException e) {
            LOG.error("delivery.internal_error", "💥 Attempt for " + message.id() + " failed inside the service; "
                    + "trying again in " + INTERNAL_RETRY.toSeconds() + "s", e, "message_id", message.id());
            notSent(message);
        } finally {
            over.set(true);
        }
    }

    private AttemptResult send(Message message, int number) {
        WebhookBody body = kit.bodies().apply(message);
        logSending(message, number, body);
        return kit.sender().send(message.id(), body);
    }

    private void conclude(Message message, int number, AttemptResult result) {
        int allowed = kit.maxRetries().applyAsInt(message.kind());
        Instant now = kit.clock().instant();
        RetryPolicy.Decision decision = kit.policy().decide(result, number - 1, allowed, now);
        Outcome outcome = Transitions.of(result, decision, kit.policy().isRetryable(result));
        Transition transition = Transitions.afterAttempt(outcome);
        Attempt attempt = new Attempt(message.id(), number, result.startedAt(), result.duration().toMillis(),
                statusOf(result), errorOf(result), snippetOf(result));
        String reason = reasonOf(decision);
        tellCircuit(kit.breaker(), transition.effects(), probe, reason);
        Instant retryAt = decision instanceof RetryPolicy.Decision.Retry retry ? retry.at() : null;
        if (!kit.queue().complete(claim, attempt, transition.next(), retryAt, reason)) {
            logStale(message, number);
            return;
        }
        logOutcome(message, number, allowed, decision, result);
        AttemptOutcome told = transition.effects().contains(Effect.TELL_WATCHERS) ? new AttemptOutcome(
                transition.next(), attempt.statusCode(), attempt.durationMillis(), reason) : null;
        kit.settled().settled(message, new Delivery(message.id(), transition.next(), number, retryAt, reason,
                kit.clock().instant()), told);
    }

    /** Reports an attempt's effects on the circuit; shared with the test event, which is an attempt too. */
    static void tellCircuit(CircuitBreaker breaker, Set<Effect> effects, boolean probe, String reason) {
        if (effects.contains(Effect.CIRCUIT_SUCCESS)) {
            breaker.onSuccess();
        }
        if (effects.contains(Effect.CIRCUIT_FAILURE)) {
            breaker.onFailure();
        }
        if (effects.contains(Effect.CIRCUIT_PAUSE)) {
            breaker.pause(reason);
        }
        if (effects.contains(Effect.HAND_PROBE_ON) && probe) {
            breaker.cancelProbe();
        }
    }

    /** Nothing was sent: the delivery is given back, due again shortly; without the store, its lease runs out. */
    private void notSent(Message message) {
        Transition transition = Transitions.afterAttempt(Outcome.NOT_SENT);
        tellCircuit(kit.breaker(), transition.effects(), probe, null);
        Instant at = kit.clock().instant().plus(INTERNAL_RETRY);
        try {
            if (kit.queue().reschedule(claim, at)) {
                Delivery before = claim.status().delivery();
                kit.settled().settled(message, new Delivery(message.id(), transition.next(), before.attempts(), at,
                        before.lastError(), kit.clock().instant()), null);
            }
        } catch (RuntimeException e) {
            // The store failed (logged by it) or is closing: the lease runs out and it is due again all the same.
        }
    }

    /**
     * Renews the lease every third of it while the attempt runs, on the timer's thread; a probe's hold on the circuit
     * too, which lasts as long (another instance takes over a probe whose holder went quiet).
     */
    private void renewLater() {
        kit.scheduler().schedule(this::renew, kit.lease().dividedBy(3));
    }

    private void renew() {
        if (over.get()) {
            return;
        }
        if (probe) {
            kit.breaker().renewProbe();
        }
        try {
            if (!kit.queue().renew(claim, kit.clock().instant(), kit.lease())) {
                return;
            }
        } catch (StorageException e) {
            // Logged by the store; the next renewal may get through before the lease runs out.
        } catch (RuntimeException e) {
            // The store is closing: the service is stopping, and the lease will run out.
            return;
        }
        renewLater();
    }

    private void logSending(Message message, int number, WebhookBody body) {
        long timeout = kit.sender().timeoutFor(body.length()).toSeconds();
        LOG.info("webhook.sending", "🚀 Sending message webhook for " + message.phone()
                        + (number > 1 ? " (attempt " + number + ")" : "") + (probe ? " as the circuit's probe" : "")
                        + ", timeout " + timeout + "s",
                "message_id", message.id(), "phone", message.phone(), "attempt", number, "timeout_seconds", timeout);
        if (message.attachment() != null) {
            LOG.info("webhook.attachment", "📎 Attachment: " + message.attachment().kind().wireName() + " ("
                            + message.attachment().size() + " bytes)",
                    "message_id", message.id(), "kind", message.attachment().kind().wireName(),
                    "size", message.attachment().size());
        }
    }

    private void logStale(Message message, int number) {
        LOG.warn("delivery.stale_outcome", "⌛ Attempt " + number + " for " + message.id() + " ended after its claim "
                + "was taken over (its lease ran out); its outcome is dropped", "message_id", message.id(),
                "attempt", number);
    }

    private static void logOutcome(Message message, int number, int allowed, RetryPolicy.Decision decision,
                                   AttemptResult result) {
        String id = message.id();
        if (result instanceof AttemptResult.AttachmentUnavailable) {
            // Said as the store's trouble, not the webhook's, and without the file's path.
            String next = decision instanceof RetryPolicy.Decision.Retry retry
                    ? "retry " + number + " of " + allowed + " at " + retry.at() : "no retries left, failed";
            LOG.warn("delivery.attachment_unavailable", "📎 Attempt " + number + " for " + id + " could not read its "
                    + "attachment (storage error); " + next, "message_id", id, "attempt", number);
            return;
        }
        switch (decision) {
            case RetryPolicy.Decision.Delivered delivered -> LOG.info("webhook.delivered", number == 1
                    ? "✅ Webhook sent immediately" : "✅ Webhook delivered on attempt " + number,
                    "message_id", id, "attempt", number);
            case RetryPolicy.Decision.Retry retry -> LOG.warn("webhook.retrying", "↻ Webhook attempt " + number
                    + " failed (" + retry.reason() + "); retry " + number + " of " + allowed + " at " + retry.at(),
                    "message_id", id, "attempt", number, "next_attempt_at", retry.at());
            case RetryPolicy.Decision.Failed failed -> LOG.warn("webhook.failed", "❌ Webhook failed for " + id
                    + ": " + failed.reason(), "message_id", id, "attempt", number, "reason", failed.reason());
            case RetryPolicy.Decision.Gone gone -> LOG.warn("webhook.gone", "⛔ " + gone.reason()
                    + ": delivery paused until the circuit is reset", "message_id", id);
        }
    }

    static Integer statusOf(AttemptResult result) {
        return switch (result) {
            case AttemptResult.Response response -> response.statusCode();
            case AttemptResult.Failure failure -> null;
            case AttemptResult.AttachmentUnavailable unavailable -> null;
        };
    }

    static String errorOf(AttemptResult result) {
        return switch (result) {
            case AttemptResult.Response response -> response.statusCode() / 100 == 2
                    ? null : "HTTP " + response.statusCode();
            case AttemptResult.Failure failure -> failure.error();
            case AttemptResult.AttachmentUnavailable unavailable -> unavailable.error();
        };
    }

    private static String snippetOf(AttemptResult result) {
        return switch (result) {
            case AttemptResult.Response response -> response.bodySnippet();
            case AttemptResult.Failure failure -> null;
            case AttemptResult.AttachmentUnavailable unavailable -> null;
        };
    }

    static String reasonOf(RetryPolicy.Decision decision) {
        return switch (decision) {
            case RetryPolicy.Decision.Delivered delivered -> null;
            case RetryPolicy.Decision.Retry retry -> retry.reason();
            case RetryPolicy.Decision.Failed failed -> failed.reason();
            case RetryPolicy.Decision.Gone gone -> gone.reason();
        };
    }
}
