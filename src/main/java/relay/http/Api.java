package relay.http;

import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.Optional;
import relay.chat.ChatService;
import relay.chat.PhoneNumbers;
import relay.config.Config;
import relay.demo.DemoReceiver;
import relay.webhook.AttachmentLinks;
import relay.webhook.Signer;

/**
 * Everything served over HTTP, assembled: access control around every route, the chat and status routes, the live
 * event stream fed by the delivery engine, metrics, the demo receiver when enabled, and the pages.
 */
public final class Api implements AutoCloseable {
    static final Duration HEARTBEAT = Duration.ofSeconds(15);
    /** How long the demo receiver's {@code slow} mode takes: longer than the default webhook timeout. */
    static final Duration DEMO_SLOW = Duration.ofSeconds(10);

    private final Router router;
    private final EventStream events;

    private Api(Router router, EventStream events) {
        this.router = router;
        this.events = events;
    }

    public static Api create(ChatService chat, Config config, PhoneNumbers phones, AttachmentLinks links,
                             InstantSource clock) {
        Views views = new Views(phones, config::maxRetriesFor, clock);
        EventStream events = new EventStream(HEARTBEAT,
                () -> List.of(new EventStream.Event("circuit", views.circuit(chat.circuit()))),
                EventStream.Caps.of(config));
        chat.addDeliveryListener(event -> events.publish("message", Views.DeliveryChange.of(event)));
        chat.addCircuitListener(snapshot -> events.publish("circuit", views.circuit(snapshot)));
        Access access = new Access(config.appToken());
        Router router = access.routes(new Router(access));
        new ChatRoutes(chat, phones, views, links, clock).register(router);
        new StatusRoutes(chat, config, views).register(router);
        if (config.demoReceiver()) {
            Optional<Signer> signer = config.webhookSecret().map(secret -> new Signer(secret.reveal()));
            new DemoRoutes(new DemoReceiver(signer, clock, DEMO_SLOW, received -> events.publish("demo", received)))
                    .register(router);
        }
        router.get("/chat/events", events)
                .get("/metrics", new Metrics(chat))
                .fallback(new StaticFiles("web"));
        return new Api(router, events);
    }

    public Router router() {
        return router;
    }

    /** Ends the event streams, so a graceful stop does not wait for browsers to hang up. */
    @Override
    public void close() {
        events.close();
    }
}
