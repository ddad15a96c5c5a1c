package relay.http;

import java.io.UncheckedIOException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import relay.chat.ChatService;
import relay.chat.ContactBook;
import relay.chat.LiveConfig;
import relay.chat.PhoneNumbers;
import relay.config.Config;
import relay.demo.DemoReceiver;
import relay.domain.Conversation;
import relay.store.MessageSearch;
import relay.store.Sessions;
import relay.store.StorageException;
import relay.store.StoreStatus;
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

    /**
     * @param contacts the names shown with phones, changed at {@code /chat/contacts}
     * @param live     the configuration in force, changed at {@code /chat/config}; {@code config} is what the
     *                 service started with, for what only a restart changes
     * @param sessions where sign-ins are kept; {@code random} draws their ids
     * @param store    the store's health and housekeeping totals, for {@code /healthz} and {@code /metrics}
     */
    public static Api create(ChatService chat, ContactBook contacts, MessageSearch search, Config config,
                             LiveConfig live, PhoneNumbers phones, AttachmentLinks links, Sessions sessions,
                             StoreStatus store, SecureRandom random, InstantSource clock) {
        Views views = new Views(phones, contacts, kind -> live.current().config().maxRetriesFor(kind), clock,
                chat::headOf);
        EventStream events = new EventStream(HEARTBEAT,
                () -> List.of(new EventStream.Event("circuit", views.circuit(chat.circuit()))),
                EventStream.Caps.of(config));
        // The sidebar's row costs a read per change: only made while a page is listening.
        chat.addDeliveryListener(event -> {
            if (events.clientCount() > 0) {
                events.publish("message", views.deliveryChange(event, rowOf(chat, event.phone())));
            }
        });
        chat.addCircuitListener(snapshot -> events.publish("circuit", views.circuit(snapshot)));
        contacts.addListener(contact -> events.publish("contact", views.contact(contact)));
        live.addListener(change -> events.publish("config", ConfigRoutes.view(change)));
        Access access = Access.create(config, sessions, random, clock);
        Router router = access.routes(new Router(AllowedHosts.of(config).then(access)));
        new ChatRoutes(chat, phones, views, links, clock).register(router);
        new StatusRoutes(chat, store, () -> live.current().config(), views, config.instanceId()).register(router);
        new ConfigRoutes(live, chat, config.trustForwardedFor()).register(router);
        new ContactRoutes(contacts, phones, views).register(router);
        new SearchRoutes(search, views).register(router);
        if (config.demoReceiver()) {
            // The secret in force at start; after a rotation it goes on verifying with the previous one, which signs
            // beside the new for a day.
            Optional<Signer> signer = live.current().config().webhookSecret()
                    .map(secret -> new Signer(secret.reveal()));
            new DemoRoutes(new DemoReceiver(signer, clock, DEMO_SLOW, received -> events.publish("demo", received)),
                    signer.isPresent(), mode -> events.publish("demo_mode", Map.of("mode", mode.wireName())))
                    .register(router);
        }
        router.get("/chat/events", events)
                .get("/metrics", new Metrics(chat, store, config.instanceId()))
                .files(new StaticFiles("web"));
        return new Api(router, events);
    }

    /** A change is told even when its phone's row cannot be read (the store failing or closing): pages fetch it. */
    private static Optional<Conversation> rowOf(ChatService chat, String phone) {
        try {
            return chat.conversationOf(phone);
        } catch (StorageException | UncheckedIOException | IllegalStateException e) {
            return Optional.empty();
        }
    }

    /** Whether a page is listening to the event stream: what changes elsewhere are read for, besides waiters. */
    public boolean listening() {
        return events.clientCount() > 0;
    }

    public Router router() {
        return router;
    }

    /**
     * Tells every page to fetch again what it shows: changes made on other instances may have been missed. The pages
     * do what they do when their event stream reconnects.
     */
    public void resync() {
        events.publish("resync", Map.of());
    }

    /** Ends the event streams, so a graceful stop does not wait for browsers to hang up. */
    @Override
    public void close() {
        events.close();
    }
}
