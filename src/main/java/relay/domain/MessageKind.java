package relay.domain;

import java.util.Locale;

/** What a message carries: plain text, or one attachment of a kind decided from the file's first bytes. */
public enum MessageKind {
    TEXT, IMAGE, PDF, DOCUMENT, AUDIO, VIDEO;

    /** The lower-case name used on the wire, in the database and in configuration keys' suffixes. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static MessageKind fromWireName(String name) {
        return valueOf(name.toUpperCase(Locale.ROOT));
    }
}
