package relay.chat;

import java.util.OptionalInt;

/**
 * What a message's text is made of: well-formed UTF-16 (no surrogate without its pair, which the store could only
 * replace with {@code ?}) and, to be worth sending, at least one character that shows.
 */
final class Characters {
    /**
     * Characters that draw nothing although they are letters or symbols: Unicode's Default_Ignorable_Code_Point set
     * (zero-width spaces and joiners, bidi controls, variation selectors, tags, fillers) plus the blank braille cell,
     * a favourite for "empty" messages.
     */
    private static final int[][] BLANK = {
            {0x00AD, 0x00AD}, {0x034F, 0x034F}, {0x061C, 0x061C}, {0x115F, 0x1160}, {0x17B4, 0x17B5},
            {0x180B, 0x180F}, {0x200B, 0x200F}, {0x202A, 0x202E}, {0x2060, 0x206F}, {0x2800, 0x2800},
            {0x3164, 0x3164}, {0xFE00, 0xFE0F}, {0xFEFF, 0xFEFF}, {0xFFA0, 0xFFA0}, {0xFFF0, 0xFFF8},
            {0x1BCA0, 0x1BCA3}, {0x1D173, 0x1D17A}, {0xE0000, 0xE0FFF}};

    private Characters() {
    }

    /** The UTF-16 index of the first surrogate that is not part of a pair, if any. */
    static OptionalInt loneSurrogate(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return OptionalInt.of(i);
            }
        }
        return OptionalInt.empty();
    }

    static boolean hasVisible(String text) {
        return text.codePoints().anyMatch(Characters::isVisible);
    }

    /**
     * Spaces, controls, format characters and marks (which only decorate the character before them) show nothing
     * on their own; unassigned and private-use characters are drawn as something, so they count.
     */
    static boolean isVisible(int c) {
        if (Character.isWhitespace(c) || isBlank(c)) {
            return false;
        }
        return switch (Character.getType(c)) {
            case Character.CONTROL, Character.FORMAT, Character.SURROGATE, Character.SPACE_SEPARATOR,
                 Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR, Character.NON_SPACING_MARK,
                 Character.ENCLOSING_MARK -> false;
            default -> true;
        };
    }

    private static boolean isBlank(int c) {
        for (int[] range : BLANK) {
            if (c >= range[0] && c <= range[1]) {
                return true;
            }
        }
        return false;
    }
}
