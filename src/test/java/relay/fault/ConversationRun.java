package relay.fault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import relay.testing.Await;
import relay.testing.ConversationReceiver;

/**
 * The workload and the verdicts the ordering tests share: {@link #PHONES} conversations of {@link #PER_PHONE}
 * messages each, sent one after the other in an order drawn from the seed, against a {@link ConversationReceiver}
 * whose record says in which order each conversation arrived. Talks to the service over HTTP only, by port, so the
 * same code drives a service in this JVM and one in its own process.
 */
final class ConversationRun implements AutoCloseable {
    static final int PHONES = 10;
    static final int PER_PHONE = 20;
    static final int MESSAGES = PHONES * PER_PHONE;
    /** 20% of a message's first three requests fail: ten retries always suffice. */
    static final ConversationReceiver.Chaos FLAKY = new ConversationReceiver.Chaos(0.2, Duration.ofMillis(50), 3);
    static final Duration SETTLE_WITHIN = Duration.ofSeconds(90);
    /** Each status read is a request to a service busy delivering; a busy poll would slow down what it watches. */
    private static final Duration POLL = Duration.ofMillis(20);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A message the service accepted (202). */
    record Accepted(String id, String phone, long sequence) {
    }

    /**
     * How far the receiver's record is from each conversation's order.
     *
     * @param pairs   pairs of one phone's messages whose first successes arrived in the opposite order of their
     *                sequences
     * @param late    messages whose first success arrived after that of a later message of their phone
     * @param byPhone each phone's sequences in the order their first successes arrived
     */
    record Inversions(long pairs, int late, Map<String, List<Long>> byPhone) {
        static Inversions of(Map<String, List<Long>> byPhone) {
            long pairs = 0;
            int late = 0;
            for (List<Long> order : byPhone.values()) {
                long highest = Long.MIN_VALUE;
                for (int j = 0; j < order.size(); j++) {
                    for (int i = 0; i < j; i++) {
                        pairs += order.get(i) > order.get(j) ? 1 : 0;
                    }
                    late += order.get(j) < highest ? 1 : 0;
                    highest = Math.max(highest, order.get(j));
                }
            }
            return new Inversions(pairs, late, byPhone);
        }

        /** The phones whose messages arrived out of order, each with its order of arrival. */
        String describe() {
            return pairs + " inversions (" + late + " messages arrived after a later one of their phone); "
                    + byPhone.entrySet().stream().filter(e -> !isSorted(e.getValue()))
                    .map(e -> e.getKey() + " arrived as " + e.getValue()).collect(Collectors.joining("; "));
        }

        private static boolean isSorted(List<Long> order) {
            List<Long> sorted = new ArrayList<>(order);
            Collections.sort(sorted);
            return sorted.equals(order);
        }
    }

    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    /** The conversations' phones: valid Brazilian mobile numbers. */
    static List<String> phones() {
        return phones(PHONES);
    }

    /** The first {@code count} (at most 100) of the phones, numbered from 0 as {@link #phones()} numbers them. */
    static List<String> phones(int count) {
        List<String> phones = new ArrayList<>();
        for (int p = 0; p < count; p++) {
            phones.add(String.format("+55119999900%02d", p));
        }
        return phones;
    }

    /** Each phone {@link #PER_PHONE} times, shuffled by the seed: the order the messages are sent in. */
    static List<String> sendOrder(Random random) {
        return sendOrder(random, PHONES, PER_PHONE);
    }

    /** Each of {@code phones} phones {@code perPhone} times, shuffled by the seed. */
    static List<String> sendOrder(Random random, int phones, int perPhone) {
        List<String> order = new ArrayList<>();
        for (String phone : phones(phones)) {
            order.addAll(Collections.nCopies(perPhone, phone));
        }
        Collections.shuffle(order, random);
        return order;
    }

    /**
     * The service's settings for a run: ten retries, short backoff, the circuit out of the way unless the test
     * sets it; {@code ordering} goes in {@code WEBHOOK_ORDERING}.
     */
    static Map<String, String> settings(String ordering, ConversationReceiver receiver) {
        Map<String, String> settings = new HashMap<>();
        settings.put("WEBHOOK_URL", receiver.url());
        settings.put("WEBHOOK_ORDERING", ordering);
        settings.put("WEBHOOK_MAX_RETRIES", "10");
        settings.put("WEBHOOK_RETRY_BASE_SECONDS", "1");
        settings.put("WEBHOOK_RETRY_MAX_SECONDS", "2");
        settings.put("CIRCUIT_FAILURE_THRESHOLD", "100");
        return settings;
    }

    /** Sends a text to each phone of {@code phones} in turn, numbering the texts from {@code from}. */
    List<Accepted> send(int port, List<String> phones, int from) {
        List<Accepted> accepted = new ArrayList<>();
        for (int i = 0; i < phones.size(); i++) {
            accepted.add(send(port, phones.get(i), "ordered message " + (from + i)));
        }
        return accepted;
    }

    Accepted send(int port, String phone, String text) {
        String body = JSON.createObjectNode().put("phone", phone).put("text", text).toString();
        HttpResponse<String> response = call(HttpRequest.newBuilder(uri(port, "/chat/messages"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)));
        assertEquals(202, response.statusCode(), response.body());
        JsonNode view = json(response);
        return new Accepted(view.path("id").asText(), view.path("phone").asText(), view.path("sequence").asLong());
    }

    JsonNode get(int port, String path) {
        return json(call(HttpRequest.newBuilder(uri(port, path)).GET()));
    }

    /**
     * Every message the store holds for {@code phones}, conversation by conversation, as the service lists them; their
     * texts by id go into {@code texts}. Tells, after a run, which sends that got no answer were accepted after all.
     */
    List<Accepted> stored(int port, List<String> phones, Map<String, String> texts) {
        List<Accepted> stored = new ArrayList<>();
        for (String phone : phones) {
            JsonNode thread = get(port, "/chat/messages?limit=200&phone="
                    + URLEncoder.encode(phone, StandardCharsets.UTF_8));
            assertFalse(thread.path("has_more").asBoolean(), "one page holds the conversation of " + phone);
            for (JsonNode m : thread.path("messages")) {
                stored.add(new Accepted(m.path("id").asText(), m.path("phone").asText(), m.path("sequence").asLong()));
                texts.put(m.path("id").asText(), m.path("text").asText());
            }
        }
        return stored;
    }

    /** The webhook status once every one of {@code total} messages is delivered or failed. */
    JsonNode awaitSettled(int port, int total) {
        return awaitSettled(port, total, SETTLE_WITHIN);
    }

    /** As {@link #awaitSettled(int, int)}, for a run known to take longer. */
    JsonNode awaitSettled(int port, int total, Duration within) {
        return Await.until("all " + total + " messages delivered or failed", within, POLL,
                () -> get(port, "/chat/webhook-status"), status -> status.path("queue").path("delivered").asInt()
                        + status.path("queue").path("failed").asInt() >= total);
    }

    JsonNode awaitStatus(int port, Predicate<JsonNode> condition, String what) {
        return Await.until(what, Await.DEADLINE, POLL, () -> get(port, "/chat/webhook-status"), condition);
    }

    /**
     * Every accepted message was delivered — the service says so, and the receiver answered each one 2xx — and the
     * receiver got nothing else.
     */
    static void assertNothingLost(JsonNode status, ConversationReceiver receiver, List<Accepted> accepted) {
        assertEquals(0, status.path("queue").path("failed").asInt(), "no message failed: " + status.path("queue"));
        assertEquals(accepted.size(), status.path("queue").path("delivered").asInt(), "delivered: "
                + status.path("queue"));
        Set<String> ids = accepted.stream().map(Accepted::id).collect(Collectors.toSet());
        Set<String> acknowledged = receiver.firstSuccesses().stream().map(ConversationReceiver.Request::webhookId)
                .collect(Collectors.toSet());
        Set<String> missing = ids.stream().filter(id -> !acknowledged.contains(id)).collect(Collectors.toSet());
        assertTrue(missing.isEmpty(), missing.size() + " accepted messages never got a 2xx from the receiver");
        Set<String> unknown = receiver.unknownIds(ids);
        assertTrue(unknown.isEmpty(), "the receiver got messages nobody sent: " + unknown);
    }

    /** Each phone's first successes arrived in the order of their sequences, and each sequence is there. */
    static void assertInOrder(ConversationReceiver receiver, List<Accepted> accepted) {
        Inversions inversions = Inversions.of(receiver.arrivalOrderByPhone());
        if (inversions.pairs() > 0) {
            fail("first successes arrived out of sequence order: " + inversions.describe());
        }
        Map<String, List<Long>> expected = accepted.stream().collect(Collectors.groupingBy(Accepted::phone,
                Collectors.mapping(Accepted::sequence, Collectors.toList())));
        expected.values().forEach(Collections::sort);
        assertEquals(expected, new HashMap<>(inversions.byPhone()), "each phone's sequences, in order");
    }

    /**
     * Only messages in {@code inFlight} (what a killed service was sending when it died) were acknowledged twice, and
     * every message was sent with the same bytes each time.
     */
    static void assertOnlyTheseArrivedTwice(ConversationReceiver receiver, Set<String> inFlight) {
        Set<String> twice = new HashSet<>(receiver.duplicates().keySet());
        twice.removeAll(inFlight);
        assertEquals(Set.of(), twice, "acknowledged twice though not in flight at a kill");
        Map<String, Set<String>> bodiesById = receiver.requests().stream().collect(Collectors.groupingBy(
                ConversationReceiver.Request::webhookId,
                Collectors.mapping(ConversationReceiver.Request::bodySha256, Collectors.toSet())));
        bodiesById.forEach((id, bodies) -> assertEquals(1, bodies.size(), id + " was sent with different bodies"));
    }

    /** What a run looked like at the receiver, for the test's output whatever the verdict. */
    static void report(String run, ConversationReceiver receiver) {
        System.out.printf("%s: %d requests, %d delivered, %s; at most %d requests of one phone at once%n", run,
                receiver.requests().size(), receiver.delivered(),
                Inversions.of(receiver.arrivalOrderByPhone()).describe(), receiver.maxInFlightPerPhone());
    }

    /** What a message's view says it waits for: the id, given alone or as the {@code id} of an object. */
    static String waitingFor(JsonNode view) {
        JsonNode waitingFor = view.path("waiting_for");
        return waitingFor.isObject() ? waitingFor.path("id").asText(null) : waitingFor.asText(null);
    }

    private HttpResponse<String> call(HttpRequest.Builder request) {
        try {
            return client.send(request.timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new IllegalStateException(request.build().uri() + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static JsonNode json(HttpResponse<String> response) {
        try {
            return JSON.readTree(response.body());
        } catch (IOException e) {
            throw new AssertionError("not JSON (" + response.statusCode() + "): " + response.body(), e);
        }
    }

    private static URI uri(int port, String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    @Override
    public void close() {
        client.close();
    }
}
