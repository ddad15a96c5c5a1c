package relay.chat;

import java.util.Objects;
import java.util.stream.IntStream;
import relay.store.SearchText;

/** Short pieces of a message's text for lists: its start, or the part around where a search found it. */
public final class Snippets {
    private static final String CUT = "…";
    /** How much of the text before a match a search result shows, so the match is read in its context. */
    private static final int CONTEXT_BEFORE = 20;

    private Snippets() {
    }

    /**
     * A piece of text with where the search found its query in it.
     *
     * @param matchStart UTF-16 index of the match in {@code text} (as JavaScript counts), or -1 when not shown
     * @param matchEnd   UTF-16 index just past the match, or -1
     */
    public record Excerpt(String text, int matchStart, int matchEnd) {
    }

    /** The first {@code length} characters (code points, never half of one), with … when there is more. */
    public static String start(String text, int length) {
        if (text == null) {
            return null;
        }
        return text.codePointCount(0, text.length()) <= length ? text
                : text.substring(0, text.offsetByCodePoints(0, length)) + CUT;
    }

    /**
     * About {@code length} characters around the first place {@code query} is found in {@code text}, case and
     * accents aside as a search compares them; the start of the text when it is not found there (a match in the file
     * name, say).
     */
    public static Excerpt around(String text, String query, int length) {
        Objects.requireNonNull(text, "text");
        Folded folded = Folded.of(text);
        String needle = SearchText.fold(query);
        int found = needle.isEmpty() ? -1 : folded.text.indexOf(needle);
        if (found < 0) {
            return new Excerpt(start(text, length), -1, -1);
        }
        int matchStart = folded.origin[found];
        int last = folded.origin[found + needle.length() - 1];
        int matchEnd = last + Character.charCount(text.codePointAt(last));
        int before = Math.min(CONTEXT_BEFORE, text.codePointCount(0, matchStart));
        int begin = text.offsetByCodePoints(matchStart, -before);
        int end = text.offsetByCodePoints(begin, Math.min(length, text.codePointCount(begin, text.length())));
        String prefix = begin > 0 ? CUT : "";
        String piece = prefix + text.substring(begin, end) + (end < text.length() ? CUT : "");
        int shift = prefix.length() - begin;
        return new Excerpt(piece, matchStart + shift, Math.min(matchEnd, end) + shift);
    }

    /** The text folded character by character, remembering where in the original each folded char came from. */
    private record Folded(String text, int[] origin) {
        static Folded of(String original) {
            StringBuilder folded = new StringBuilder(original.length());
            IntStream.Builder origin = IntStream.builder();
            for (int i = 0, width; i < original.length(); i += width) {
                width = Character.charCount(original.codePointAt(i));
                String piece = SearchText.fold(original.substring(i, i + width));
                folded.append(piece);
                for (int k = 0; k < piece.length(); k++) {
                    origin.add(i);
                }
            }
            return new Folded(folded.toString(), origin.build().toArray());
        }
    }
}
