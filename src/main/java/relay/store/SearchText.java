package relay.store;

import java.text.Normalizer;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * What a search looks for, read once from what the operator typed, with the meaning every backend gives it: text is
 * found anywhere inside a name, a message's text or a file name, whatever its case and accents; a query written like
 * a phone number (digits and the separators people type in numbers) is also found in phone numbers by its digits
 * alone, so {@code 99999} and {@code (11) 99999} both find {@code +5511999990000}.
 *
 * @param text   as typed, without the spaces around it; never empty
 * @param folded {@link #fold folded}, for comparing with names
 * @param digits the digits to find in phone numbers; empty when the query is not written like a number
 */
public record SearchText(String text, String folded, String digits) {
    /**
     * Message text is searched through an index of three-character pieces, so shorter queries find names and phones
     * only: one or two characters would match most messages anyway.
     */
    public static final int MIN_TEXT_LENGTH = 3;
    private static final Pattern NUMBER_LIKE = Pattern.compile("\\+?[0-9 \\u00A0().\\-]*[0-9][0-9 \\u00A0().\\-]*");
    private static final Pattern MARKS = Pattern.compile("\\p{M}+");

    public SearchText {
        Objects.requireNonNull(text, "text");
        Objects.requireNonNull(folded, "folded");
        Objects.requireNonNull(digits, "digits");
        if (text.isBlank()) {
            throw new IllegalArgumentException("a search needs something to look for");
        }
    }

    /** @throws IllegalArgumentException when {@code typed} is blank */
    public static SearchText of(String typed) {
        String text = typed.strip();
        String digits = NUMBER_LIKE.matcher(text).matches() ? text.replaceAll("[^0-9]", "") : "";
        return new SearchText(text, fold(text), digits);
    }

    /** Whether message text is searched too: see {@link #MIN_TEXT_LENGTH}. */
    public boolean searchesText() {
        return text.codePointCount(0, text.length()) >= MIN_TEXT_LENGTH;
    }

    /** Lower case without accents or other combining marks: {@code "Ângela"} becomes {@code "angela"}. */
    public static String fold(String s) {
        return MARKS.matcher(Normalizer.normalize(s, Normalizer.Form.NFD)).replaceAll("").toLowerCase(Locale.ROOT);
    }
}
