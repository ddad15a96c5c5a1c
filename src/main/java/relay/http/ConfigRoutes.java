package relay.http;

import java.io.IOException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import relay.chat.ChatService;
import relay.chat.LiveConfig;
import relay.config.Config;
import relay.config.Key;
import relay.config.Source;

/**
 * The configuration in force, and changing it while the service runs: {@code GET /chat/config} (every key, secrets
 * masked, with where its value comes from), {@code PUT /chat/config} (the live keys given, as lower-case names, all
 * or none) and {@code POST /chat/config/test} (a test event to a webhook URL before it is saved).
 */
final class ConfigRoutes {
    private static final Set<String> FIELDS = Stream.of(Key.values()).map(ConfigRoutes::field)
            .collect(Collectors.toUnmodifiableSet());
    private static final Set<String> TRIAL_FIELDS = Set.of(field(Key.WEBHOOK_URL));

    private final LiveConfig live;
    private final ChatService chat;
    private final boolean trustForwardedFor;

    ConfigRoutes(LiveConfig live, ChatService chat, boolean trustForwardedFor) {
        this.live = live;
        this.chat = chat;
        this.trustForwardedFor = trustForwardedFor;
    }

    record SettingView(String key, String value, String source, boolean secret, boolean live) {
    }

    record ConfigView(List<SettingView> settings, List<String> changed, String by, String at) {
    }

    Router register(Router router) {
        return router
                .get("/chat/config", request -> request.respondJson(200, view(live.current().config(), null)))
                .route("PUT", "/chat/config", Visibility.PROTECTED, this::change)
                .post("/chat/config/test", this::trial);
    }

    /** The name of a key in a request body and in errors: its name in lower case ({@code webhook_timeout}). */
    static String field(Key key) {
        return key.name().toLowerCase(Locale.ROOT);
    }

    /** What the event stream tells pages of a change: as GET answers, with the keys changed, by whom and when. */
    static ConfigView view(LiveConfig.Change change) {
        return view(change.inForce().config(), change);
    }

    private static ConfigView view(Config config, LiveConfig.Change change) {
        List<SettingView> settings = new ArrayList<>();
        for (Key key : Key.values()) {
            Source source = config.sources().getOrDefault(key, Source.DEFAULT);
            settings.add(new SettingView(key.name(), config.shownValue(key), source.label(), key.isSecret(),
                    key.isLive()));
        }
        return change == null ? new ConfigView(settings, null, null, null) : new ConfigView(settings,
                change.keys().stream().map(Key::name).sorted().toList(), change.by(), Views.iso(change.at()));
    }

    /** 200 with the configuration now in force; 400 naming the field at fault, and nothing changed. */
    private void change(Request request) throws IOException {
        JsonBody body = JsonBody.read(request, FIELDS);
        Map<Key, String> changes = new EnumMap<>(Key.class);
        for (Key key : Key.values()) {
            if (body.has(field(key))) {
                changes.put(key, body.scalar(field(key)));
            }
        }
        if (changes.isEmpty()) {
            throw new ApiException(400, "nothing_to_change", "Give at least one setting to change, such as "
                    + "{\"webhook_timeout\":10}");
        }
        switch (live.change(changes, who(request))) {
            case LiveConfig.Accepted accepted -> request.respondJson(200, view(accepted.change()));
            case LiveConfig.Refused refused -> throw refusal(refused);
        }
    }

    /** Sends a signed test event to the URL given, with the settings in force, and saves nothing. */
    private void trial(Request request) throws IOException {
        JsonBody body = JsonBody.read(request, TRIAL_FIELDS);
        LiveConfig.Outcome trial = live.trial(body.string(field(Key.WEBHOOK_URL)));
        if (trial instanceof LiveConfig.Refused refused) {
            throw refusal(refused);
        }
        request.respondJson(200, StatusRoutes.testEventView(chat.sendTestEventTo(LiveConfig.senderOf(trial)
                .orElseThrow())));
    }

    private static ApiException refusal(LiveConfig.Refused refused) {
        return refused.key().isLive()
                ? new ApiException(400, "invalid_config", refused.message(), field(refused.key()))
                : new ApiException(400, "not_live", refused.message(), field(refused.key()));
    }

    /** For the log: the client's address and how it is let in (never the token or the session's id). */
    private String who(Request request) {
        String client = ClientAddress.of(request.exchange(), trustForwardedFor);
        if (request.header("Authorization").isPresent()) {
            return client + " (token)";
        }
        return request.header("Cookie").isPresent() ? client + " (session)" : client;
    }
}
