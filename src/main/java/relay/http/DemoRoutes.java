package relay.http;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import relay.demo.DemoReceiver;

/**
 * The built-in demo receiver's routes: {@code POST /demo/webhook} takes webhooks (public, as a receiver is; a
 * webhook sender has no app token), {@code GET /demo/webhook} lists what arrived and {@code POST /demo/webhook/mode}
 * switches how it answers. Cross-site posts are refused by {@link Access} like any other; with
 * {@code WEBHOOK_SECRET} set, a post without the Standard Webhooks headers is refused before its body is read, and
 * one whose signature does not verify gets a JSON 401 — the service's own signed webhooks pass.
 */
final class DemoRoutes {
    private static final List<String> SIGNATURE_HEADERS = List.of("webhook-id", "webhook-timestamp",
            "webhook-signature");

    private final DemoReceiver receiver;
    private final boolean signed;
    private final Consumer<DemoReceiver.Mode> modeSwitched;

    /**
     * @param signed       whether WEBHOOK_SECRET is set, so that the receiver takes only signed webhooks
     * @param modeSwitched told of every mode switch, so that every open page shows the mode in force
     */
    DemoRoutes(DemoReceiver receiver, boolean signed, Consumer<DemoReceiver.Mode> modeSwitched) {
        this.receiver = receiver;
        this.signed = signed;
        this.modeSwitched = modeSwitched;
    }

    Router register(Router router) {
        return router
                .publicPost("/demo/webhook", this::receive)
                .get("/demo/webhook", request -> request.respondJson(200, Map.of(
                        "mode", receiver.mode().wireName(), "received", receiver.received())))
                .post("/demo/webhook/mode", this::switchMode);
    }

    private void receive(Request request) throws IOException {
        if (signed && SIGNATURE_HEADERS.stream().anyMatch(name -> request.header(name).isEmpty())) {
            throw new ApiException(401, "unsigned_webhook", "WEBHOOK_SECRET is set: send " + String.join(", ",
                    SIGNATURE_HEADERS) + " as Standard Webhooks signs them");
        }
        Map<String, String> headers = new HashMap<>();
        request.exchange().getRequestHeaders().forEach((name, values) ->
                headers.put(name.toLowerCase(Locale.ROOT), values.getFirst()));
        DemoReceiver.Answer answer;
        try {
            answer = receiver.receive(headers, request.exchange().getRequestBody());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiException(503, "shutting_down", "The server is stopping");
        }
        if (answer.status() == 401) {
            throw new ApiException(401, "invalid_signature", "The webhook signature does not verify with "
                    + "WEBHOOK_SECRET");
        }
        byte[] body = answer.body().getBytes(StandardCharsets.UTF_8);
        request.exchange().getResponseHeaders().set("Content-Type", "application/json");
        request.exchange().sendResponseHeaders(answer.status(), body.length);
        try (OutputStream out = request.exchange().getResponseBody()) {
            out.write(body);
        }
    }

    private void switchMode(Request request) throws IOException {
        String name = JsonBody.read(request, Set.of("mode")).string("mode");
        DemoReceiver.Mode mode = DemoReceiver.Mode.fromWireName(name).orElseThrow(() -> new ApiException(400,
                "invalid_mode", "mode must be one of " + String.join(", ",
                List.of("healthy", "failing", "slow", "gone")), "mode"));
        receiver.setMode(mode);
        modeSwitched.accept(mode);
        request.respondJson(200, Map.of("mode", mode.wireName()));
    }
}
