package relay.http;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.InstantSource;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import relay.chat.ChatService.SendResult;
import relay.chat.ChatService.UploadResult;
import relay.chat.ChatService;
import relay.chat.Filenames;
import relay.chat.Ids;
import relay.chat.MessageDraft;
import relay.chat.PhoneNumbers;
import relay.chat.ValidationError;
import relay.domain.Attachment;
import relay.domain.AttemptOutcome;
import relay.domain.Conversation;
import relay.domain.DeliveryState;
import relay.domain.MessageKind;
import relay.domain.MessageStatus;
import relay.webhook.AttachmentLinks;

/** The chat's routes: uploads, sending (JSON or one-call multipart), threads, re-delivery and downloads. */
final class ChatRoutes {
    private static final Set<String> MESSAGE_FIELDS = Set.of("phone", "text", "attachment_id");
    private static final int DEFAULT_PAGE = 50;
    private static final int MAX_PAGE = 200;
    /** Form fields other than the file are short: a text is at most 4,096 characters. */
    private static final int MAX_FIELD_BYTES = 64 * 1024;
    /** A watched attempt that has not started yet (a backlog, a held circuit) is not waited for without end. */
    private static final Duration WAIT_SLACK = Duration.ofSeconds(5);

    private final ChatService chat;
    private final PhoneNumbers phones;
    private final Views views;
    private final AttachmentLinks links;
    private final InstantSource clock;

    ChatRoutes(ChatService chat, PhoneNumbers phones, Views views, AttachmentLinks links, InstantSource clock) {
        this.chat = chat;
        this.phones = phones;
        this.views = views;
        this.links = links;
        this.clock = clock;
    }

    Router register(Router router) {
        return router
                .get("/chat/phone-check", this::checkPhone)
                .post("/chat/attachments", this::upload)
                .route("GET", "/chat/attachments/{id}", Visibility.SIGNED_LINK, this::download)
                .post("/chat/messages", this::send)
                .get("/chat/messages", this::thread)
                .get("/chat/messages/{id}", this::message)
                .post("/chat/messages/{id}/redeliver", this::redeliver)
                .post("/chat/messages/{id}/skip", this::skip)
                .post("/chat/redeliver-failed", request -> request.respondJson(200,
                        Map.of("requeued", chat.redeliverFailed())))
                .get("/chat/conversations", this::conversations);
    }

    /**
     * 200 with the number read, or 400 with why not; with {@code lenient=true} a number that is not valid is a 200
     * {@code {"valid":false,"error":{…}}} too, so a page checking as the operator types logs no failed requests.
     */
    private void checkPhone(Request request) throws IOException {
        boolean lenient = request.flag("lenient");
        switch (phones.parse(request.query("phone").orElse(null))) {
            case PhoneNumbers.Result.Valid valid -> request.respondJson(200, Map.of("valid", true,
                    "phone", valid.e164(), "display", phones.display(valid.e164()), "region", valid.region()));
            case PhoneNumbers.Result.Invalid invalid when lenient -> request.respondJson(200, Map.of("valid", false,
                    "error", Map.of("code", invalid.error().code(), "message", invalid.error().message(),
                            "field", invalid.error().field())));
            case PhoneNumbers.Result.Invalid invalid -> throw refused(400, invalid.error());
        }
    }

    // ---- uploads

    private void upload(Request request) throws IOException {
        if (request.hasMediaType("multipart/form-data")) {
            throw new ApiException(415, "unsupported_media_type", "Send the file's bytes as the body; for a form "
                    + "upload with the message use POST /chat/messages");
        }
        String filename = filename(request.header("X-Filename").orElse(null));
        if (request.declaredLength() > chat.maxAttachmentBytes()) {
            throw refused(413, chat.tooLarge());
        }
        switch (chat.upload(request.exchange().getRequestBody(), filename)) {
            case UploadResult.Uploaded uploaded -> request.respondJson(201, Views.AttachmentView.of(uploaded.attachment()));
            case UploadResult.Rejected rejected -> throw refused(statusOf(rejected.error()), rejected.error());
        }
    }

    /** {@code X-Filename} is percent-encoded UTF-8 so any name survives a header; it is sanitised when stored. */
    private static String filename(String header) {
        if (header == null) {
            return null;
        }
        try {
            return URLDecoder.decode(header.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new ApiException(400, "invalid_filename", "X-Filename is not valid percent-encoding", "filename");
        }
    }

    private void download(Request request) throws IOException {
        String id = request.pathParam("id");
        if (!Ids.isAttachmentId(id)) {
            throw attachmentNotFound();
        }
        Optional<String> token = request.query("token");
        if (token.isPresent()) {
            requireValidLink(id, token.get());
        }
        Attachment attachment = chat.attachment(id).orElseThrow(ChatRoutes::attachmentNotFound);
        // A file's bytes never change under its id: its hash is its version, for If-Range.
        String etag = "\"" + attachment.sha256() + "\"";
        Optional<ByteRange> part = requestedPart(request, attachment.size(), etag);
        var headers = request.exchange().getResponseHeaders();
        headers.set("Content-Type", attachment.mimeType());
        headers.set("Content-Disposition", Filenames.contentDisposition(opensInline(attachment.kind()),
                attachment.filename()));
        // The type is the detected one and is never sniffed; a file the browser renders runs nothing and loads
        // nothing, as a page of no origin.
        headers.set("X-Content-Type-Options", "nosniff");
        headers.set("Content-Security-Policy", "default-src 'none'; sandbox");
        headers.set("Cache-Control", "private, max-age=86400, immutable");
        headers.set("Accept-Ranges", "bytes");
        headers.set("ETag", etag);
        part.ifPresent(range -> headers.set("Content-Range", range.contentRange(attachment.size())));
        // Opened before the status is sent, so a file the disk lost is a JSON 503, not a cut-off 200.
        try (InputStream in = chat.openAttachment(attachment)) {
            request.exchange().sendResponseHeaders(part.isPresent() ? 206 : 200,
                    part.map(ByteRange::length).orElse(attachment.size()));
            try (OutputStream out = request.exchange().getResponseBody()) {
                if (part.isPresent()) {
                    part.get().copy(in, out);
                } else {
                    in.transferTo(out);
                }
            }
        }
    }

    /** The part of the file the request asks for; empty for the whole file; a range past its end is a 416. */
    private static Optional<ByteRange> requestedPart(Request request, long size, String etag) {
        // If-Range: the part only of the version the client has; else the whole file.
        if (request.header("If-Range").filter(version -> !version.equals(etag)).isPresent()) {
            return Optional.empty();
        }
        return switch (ByteRange.of(request.header("Range").orElse(null), size)) {
            case ByteRange.Wanted.Whole whole -> Optional.empty();
            case ByteRange.Wanted.Part wanted -> Optional.of(wanted.range());
            case ByteRange.Wanted.Unsatisfiable none -> {
                request.exchange().getResponseHeaders().set("Content-Range", ByteRange.unsatisfied(size));
                throw new ApiException(416, "range_not_satisfiable",
                        "The range starts past the end of the file, which has " + size + " bytes");
            }
        };
    }

    /**
     * Pictures, sound, video and PDFs are shown by the browser itself (a PDF in a tab of its own); documents and text
     * are saved, not opened. A PDF keeps the sandbox: Chrome once refused to run its viewer in a sandboxed document
     * (crbug.com/41131921), which is why PDFs used to be saved; the Chromium of the browser tests shows it, and where a
     * browser still refuses, the viewer stays empty and the chat's download link is beside the PDF's.
     */
    private static boolean opensInline(MessageKind kind) {
        return switch (kind) {
            case IMAGE, AUDIO, VIDEO, PDF -> true;
            case TEXT, DOCUMENT -> false;
        };
    }

    private static ApiException attachmentNotFound() {
        return new ApiException(404, "attachment_not_found", "No attachment has this id");
    }

    private void requireValidLink(String attachmentId, String token) {
        switch (links.check(attachmentId, token, clock.instant())) {
            case AttachmentLinks.Check.Valid valid -> {
            }
            case AttachmentLinks.Check.Expired expired -> throw new ApiException(403, "token_expired",
                    "The link expired at " + expired.at() + "; ask for the message to be re-sent", "token");
            case AttachmentLinks.Check.Forged forged -> throw new ApiException(403, "invalid_token",
                    "The link's token is not valid", "token");
        }
    }

    // ---- sending

    private void send(Request request) throws IOException {
        boolean watch = request.flag("wait");
        if (request.hasMediaType("multipart/form-data")) {
            sendForm(request, watch);
            return;
        }
        JsonBody body = JsonBody.read(request, MESSAGE_FIELDS);
        MessageDraft draft = new MessageDraft(body.string("phone"), body.string("text"), body.string("attachment_id"));
        answerSend(request, chat.send(draft, watch));
    }

    /**
     * {@code curl -F phone=… -F text=… -F file=@report.pdf}: the file is stored as it streams in; when the message
     * is then refused, the upload is discarded too, so a refused request leaves nothing behind.
     */
    private void sendForm(Request request, boolean watch) throws IOException {
        if (request.declaredLength() > chat.maxAttachmentBytes() + Request.MAX_JSON_BYTES) {
            throw refused(413, chat.tooLarge());
        }
        Form form = new Form();
        try {
            readForm(request, form);
            MessageDraft draft = new MessageDraft(form.phone, form.text,
                    form.upload != null ? form.upload.id() : form.attachmentId);
            SendResult result = chat.send(draft, watch);
            if (result instanceof SendResult.Accepted) {
                form.upload = null;
            }
            answerSend(request, result);
        } finally {
            if (form.upload != null) {
                chat.discardUpload(form.upload);
            }
        }
    }

    private static final class Form {
        String phone;
        String text;
        String attachmentId;
        Attachment upload;
    }

    private void readForm(Request request, Form form) throws IOException {
        Multipart multipart = Multipart.of(request.exchange().getRequestBody(),
                request.header("Content-Type").orElse(""));
        for (Optional<Multipart.Part> next = multipart.next(); next.isPresent(); next = multipart.next()) {
            Multipart.Part part = next.get();
            switch (part.name()) {
                case "phone" -> form.phone = field(part);
                case "text" -> form.text = field(part);
                case "attachment_id" -> form.attachmentId = field(part);
                case "file" -> form.upload = formFile(part, form.upload);
                default -> throw new ApiException(400, "unknown_field", "Unknown form field " + part.name()
                        + "; known: phone, text, file, attachment_id", part.name());
            }
        }
    }

    private Attachment formFile(Multipart.Part part, Attachment earlier) throws IOException {
        if (earlier != null) {
            throw new ApiException(400, "too_many_files", "Send one file per message", "file");
        }
        return switch (chat.upload(part.body(), part.filename())) {
            case UploadResult.Uploaded uploaded -> uploaded.attachment();
            case UploadResult.Rejected rejected -> throw refused(statusOf(rejected.error()), rejected.error());
        };
    }

    private static String field(Multipart.Part part) throws IOException {
        byte[] bytes = part.body().readNBytes(MAX_FIELD_BYTES + 1);
        if (bytes.length > MAX_FIELD_BYTES) {
            throw new ApiException(413, "field_too_large", part.name() + " is larger than " + MAX_FIELD_BYTES
                    + " bytes", part.name());
        }
        return Request.decodeUtf8(bytes);
    }

    private void answerSend(Request request, SendResult result) throws IOException {
        switch (result) {
            case SendResult.Rejected rejected -> throw refused(400, rejected.error());
            case SendResult.Accepted accepted when accepted.firstAttempt().isPresent() ->
                    request.respondJson(202, watched(accepted.status(), accepted.firstAttempt().get()));
            case SendResult.Accepted accepted -> request.respondJson(202, views.message(accepted.status()));
        }
    }

    /** The first attempt's outcome, waited for no longer than that attempt may take (plus a little). */
    private Views.Watched watched(MessageStatus accepted, CompletableFuture<AttemptOutcome> firstAttempt) {
        Duration limit = chat.attemptTimeout(accepted.message()).plus(WAIT_SLACK);
        AttemptOutcome outcome;
        try {
            outcome = firstAttempt.get(limit.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            outcome = new AttemptOutcome(DeliveryState.QUEUED, null, null, "no attempt finished within "
                    + limit.toSeconds() + "s; the message is stored and will be delivered");
        } catch (ExecutionException e) {
            outcome = new AttemptOutcome(DeliveryState.QUEUED, null, null, "the attempt could not be watched");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiException(503, "shutting_down", "The server is stopping; the message is stored");
        }
        MessageStatus now = chat.message(accepted.message().id()).orElse(accepted);
        return new Views.Watched(views.message(now), Views.FirstAttempt.of(outcome));
    }

    // ---- reading

    private void thread(Request request) throws IOException {
        String phone = e164(request.query("phone").orElse(null));
        int limit = limit(request);
        String before = request.query("before").orElse(null);
        if (before != null && !Ids.isMessageId(before)) {
            throw new ApiException(400, "invalid_before", "before must be a message id", "before");
        }
        List<MessageStatus> page = chat.conversation(phone, limit + 1, before);
        boolean hasMore = page.size() > limit;
        List<MessageStatus> shown = hasMore ? page.subList(1, page.size()) : page;
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("phone", phone);
        answer.put("phone_display", phones.display(phone));
        answer.put("contact_name", views.contactName(phone));
        answer.put("messages", views.messages(shown));
        answer.put("has_more", hasMore);
        request.respondJson(200, answer);
    }

    /** A page of the sidebar, newest first; or, with {@code phone}, that phone's row alone. */
    private void conversations(Request request) throws IOException {
        int limit = limit(request);
        Conversation.Position before = request.query("before").map(ConversationCursor::parse).orElse(null);
        Optional<String> phone = request.query("phone");
        if (phone.isPresent()) {
            List<Conversation> row = chat.conversationOf(e164(phone.get())).stream().toList();
            request.respondJson(200, views.conversations(row, false));
            return;
        }
        List<Conversation> page = chat.conversations(limit + 1, before);
        boolean hasMore = page.size() > limit;
        request.respondJson(200, views.conversations(hasMore ? page.subList(0, limit) : page, hasMore));
    }

    private String e164(String phone) {
        return e164(phones, phone);
    }

    /** The phone as E.164, or a 400 saying why it is not a number. */
    static String e164(PhoneNumbers phones, String phone) {
        return switch (phones.parse(phone)) {
            case PhoneNumbers.Result.Valid valid -> valid.e164();
            case PhoneNumbers.Result.Invalid invalid -> throw refused(400, invalid.error());
        };
    }

    /** The {@code limit} of a page: 1 to 200, 50 when not given. */
    static int limit(Request request) {
        Optional<String> raw = request.query("limit");
        if (raw.isEmpty()) {
            return DEFAULT_PAGE;
        }
        if (!raw.get().matches("\\d{1,4}") || Integer.parseInt(raw.get()) < 1
                || Integer.parseInt(raw.get()) > MAX_PAGE) {
            throw new ApiException(400, "invalid_limit", "limit must be a whole number from 1 to " + MAX_PAGE,
                    "limit");
        }
        return Integer.parseInt(raw.get());
    }

    private void message(Request request) throws IOException {
        MessageStatus status = existing(request.pathParam("id"));
        request.respondJson(200, views.detail(status, chat.attempts(status.message().id())));
    }

    private void redeliver(Request request) throws IOException {
        String id = existing(request.pathParam("id")).message().id();
        switch (chat.redeliver(id, request.flag("force"))) {
            case REQUEUED -> request.respondJson(202, views.message(existing(id)));
            case NOT_FOUND -> throw notFound();
            case ALREADY_DELIVERED -> throw new ApiException(409, "already_delivered",
                    "The message was already delivered; add ?force=true to send it again");
            case IN_PROGRESS -> throw new ApiException(409, "delivery_in_progress",
                    "The message is still being delivered; only failed or held messages can be re-sent");
        }
    }

    /** 200 with the message, failed as skipped; 404 unknown; 409 while being sent, or when already delivered. */
    private void skip(Request request) throws IOException {
        String id = existing(request.pathParam("id")).message().id();
        switch (chat.skip(id)) {
            case SKIPPED -> request.respondJson(200, views.message(existing(id)));
            case NOT_FOUND -> throw notFound();
            case ALREADY_DELIVERED -> throw new ApiException(409, "already_delivered",
                    "The message was already delivered; there is nothing to skip");
            case IN_PROGRESS -> throw new ApiException(409, "delivery_in_progress",
                    "The message is being sent right now; skip it if it fails");
        }
    }

    private MessageStatus existing(String id) {
        return Optional.ofNullable(id).filter(Ids::isMessageId).flatMap(chat::message).orElseThrow(ChatRoutes::notFound);
    }

    private static ApiException notFound() {
        return new ApiException(404, "message_not_found", "No message has this id");
    }

    private static int statusOf(ValidationError error) {
        return switch (error.code()) {
            case "attachment_too_large" -> 413;
            case "unsupported_attachment_type" -> 415;
            default -> 400;
        };
    }

    static ApiException refused(int status, ValidationError error) {
        return new ApiException(status, error.code(), error.message(), error.field());
    }
}
