package relay.chat;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import relay.domain.Contact;
import relay.log.EventLog;
import relay.store.Contacts;
import relay.store.Signal;
import relay.store.Signals;
import relay.store.StorageException;

/**
 * The names the operator gives phone numbers, shown beside the phone wherever it appears. Every name is kept in
 * memory in front of the store (a chat has a few thousand at most), so showing one costs no read; a change is
 * stored durably first, then shown, then told to listeners, one change at a time so they hear them in the order
 * they were stored.
 */
public final class ContactBook {
    private static final EventLog LOG = EventLog.of(ContactBook.class);
    /** Long enough for any real name, short enough for a conversation list. */
    public static final int MAX_NAME_LENGTH = 100;
    private static final String FIELD = "name";

    private final Contacts store;
    private final Signals signals;
    private final Map<String, String> names;
    private final ReentrantLock changes = new ReentrantLock();
    private final List<Consumer<Contact>> listeners = new CopyOnWriteArrayList<>();

    /**
     * Reads every name from the store.
     *
     * @param signals told of each change made here, for the other instances sharing the store
     * @throws StorageException when the store cannot be read
     */
    public ContactBook(Contacts store, Signals signals) {
        this.store = Objects.requireNonNull(store, "store");
        this.signals = Objects.requireNonNull(signals, "signals");
        this.names = new ConcurrentHashMap<>(store.all());
    }

    /** A name was given (stored and shown), or refused. */
    public sealed interface Change {
        record Named(Contact contact) implements Change {
        }

        record Rejected(ValidationError error) implements Change {
        }
    }

    /** @param phone E.164 */
    public Contact contact(String phone) {
        return new Contact(phone, names.get(phone));
    }

    /** @param phone E.164; null gives null */
    public String nameOf(String phone) {
        return phone == null ? null : names.get(phone);
    }

    /**
     * Gives {@code phone} the name as typed, without the spaces around it; it must be well-formed, one line, with
     * something visible, and at most {@link #MAX_NAME_LENGTH} characters.
     *
     * @param phone E.164
     * @throws StorageException when it cannot be stored; nothing changed
     */
    public Change rename(String phone, String typed) {
        Objects.requireNonNull(phone, "phone");
        String name = typed == null ? "" : typed.strip();
        Optional<ValidationError> error = checkName(name);
        if (error.isPresent()) {
            return new Change.Rejected(error.get());
        }
        changes.lock();
        try {
            if (!name.equals(names.get(phone))) {
                store.put(phone, name);
                names.put(phone, name);
                LOG.info("contact.named", "📇 " + phone + " named", "phone", phone);
                signals.send(new Signal.ContactChanged(phone));
                tell(new Contact(phone, name));
            }
        } finally {
            changes.unlock();
        }
        return new Change.Named(new Contact(phone, name));
    }

    /**
     * Forgets the name of {@code phone}, if it had one.
     *
     * @param phone E.164
     * @return the phone without a name
     * @throws StorageException when it cannot be stored; nothing changed
     */
    public Contact remove(String phone) {
        Objects.requireNonNull(phone, "phone");
        changes.lock();
        try {
            if (names.containsKey(phone)) {
                store.remove(phone);
                names.remove(phone);
                LOG.info("contact.unnamed", "📇 " + phone + "'s name removed", "phone", phone);
                signals.send(new Signal.ContactChanged(phone));
                tell(new Contact(phone, null));
            }
        } finally {
            changes.unlock();
        }
        return new Contact(phone, null);
    }

    /**
     * Takes in what another instance stored for {@code phone}: its name is read again, and listeners are told when
     * it differs from the one shown here.
     *
     * @throws StorageException when the store cannot be read
     */
    public void refresh(String phone) {
        changes.lock();
        try {
            adopt(phone, store.all().get(phone));
        } finally {
            changes.unlock();
        }
    }

    /** As {@link #refresh(String)} for every phone: after hints from the other instances may have been missed. */
    public void refreshAll() {
        changes.lock();
        try {
            Map<String, String> stored = store.all();
            Set<String> phones = new HashSet<>(stored.keySet());
            phones.addAll(names.keySet());
            phones.forEach(phone -> adopt(phone, stored.get(phone)));
        } finally {
            changes.unlock();
        }
    }

    /** Shows {@code name} (null: none) for {@code phone}, telling listeners when that changes anything. */
    private void adopt(String phone, String name) {
        if (Objects.equals(name, names.get(phone))) {
            return;
        }
        if (name == null) {
            names.remove(phone);
        } else {
            names.put(phone, name);
        }
        tell(new Contact(phone, name));
    }

    /** Each change of a name, removals included (with a null name), in the order they were stored. */
    public void addListener(Consumer<Contact> listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    private void tell(Contact change) {
        for (Consumer<Contact> listener : listeners) {
            listener.accept(change);
        }
    }

    /** The rules of message text, for one line: nothing invisible alone, nothing that breaks a list's row. */
    private static Optional<ValidationError> checkName(String name) {
        OptionalInt lone = Characters.loneSurrogate(name);
        if (lone.isPresent() || name.codePoints().anyMatch(c -> Character.getType(c) == Character.CONTROL)) {
            return error("invalid_name", "name must be well-formed Unicode on one line, without control characters.");
        }
        int length = name.codePointCount(0, name.length());
        if (length > MAX_NAME_LENGTH) {
            return error("name_too_long", "name must be at most " + MAX_NAME_LENGTH + " characters long (it has "
                    + length + ").");
        }
        if (!Characters.hasVisible(name)) {
            return error("name_blank", "name must contain at least one visible character; send null to remove it.");
        }
        return Optional.empty();
    }

    private static Optional<ValidationError> error(String code, String message) {
        return Optional.of(new ValidationError(code, message, FIELD));
    }
}
