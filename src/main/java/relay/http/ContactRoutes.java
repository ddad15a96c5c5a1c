package relay.http;

import java.io.IOException;
import java.util.Set;
import relay.chat.ContactBook;
import relay.chat.PhoneNumbers;

/**
 * Names for phone numbers: {@code GET}, {@code PUT} and {@code DELETE /chat/contacts/{phone}}, the phone written in
 * any form the chat reads (percent-encoded in the path), each answering the phone with its name as it now stands.
 */
final class ContactRoutes {
    private static final Set<String> FIELDS = Set.of("name");

    private final ContactBook contacts;
    private final PhoneNumbers phones;
    private final Views views;

    ContactRoutes(ContactBook contacts, PhoneNumbers phones, Views views) {
        this.contacts = contacts;
        this.phones = phones;
        this.views = views;
    }

    Router register(Router router) {
        return router
                .get("/chat/contacts/{phone}", request -> request.respondJson(200,
                        views.contact(contacts.contact(phone(request)))))
                .route("PUT", "/chat/contacts/{phone}", Visibility.PROTECTED, this::rename)
                .route("DELETE", "/chat/contacts/{phone}", Visibility.PROTECTED, request -> request.respondJson(200,
                        views.contact(contacts.remove(phone(request)))));
    }

    /** {@code {"name":"…"}} names the phone; {@code {"name":null}} removes its name, as DELETE does. */
    private void rename(Request request) throws IOException {
        String phone = phone(request);
        JsonBody body = JsonBody.read(request, FIELDS);
        if (!body.has("name")) {
            throw new ApiException(400, "name_required", "name is required: a name, or null to remove it", "name");
        }
        String name = body.string("name");
        if (name == null) {
            request.respondJson(200, views.contact(contacts.remove(phone)));
            return;
        }
        switch (contacts.rename(phone, name)) {
            case ContactBook.Change.Named named -> request.respondJson(200, views.contact(named.contact()));
            case ContactBook.Change.Rejected rejected -> throw ChatRoutes.refused(400, rejected.error());
        }
    }

    private String phone(Request request) {
        return ChatRoutes.e164(phones, request.pathParam("phone"));
    }
}
