package relay.chat;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.List;
import java.util.Locale;

/**
 * Sanitises client-supplied filenames (the X-Filename header, a multipart filename) before they are stored, shown,
 * or echoed in a Content-Disposition header. Files are stored by hash, so the name is only ever a label.
 */
public final class Filenames {
    private static final int MAX_CODE_POINTS = 128;
    /** Longer "extensions" are just part of a name with a dot in it, and not worth keeping whole. */
    private static final int MAX_EXTENSION_CODE_POINTS = 16;
    private static final String REMOVED = "\"'`";
    /** Break Content-Disposition parameters or are reserved in file names on common systems. */
    private static final String REPLACED = ";:*?<>|";

    private Filenames() {
    }

    /**
     * Strips any path (both separators), control and invisible formatting characters (CR/LF, NUL, bidi overrides that
     * could disguise an extension) and quotes; replaces other header-breaking characters with '_'; collapses
     * whitespace; drops leading dots (no hidden files) and trailing dots; caps the length at 128 characters keeping
     * the extension. Answers {@code fallback} when nothing is left.
     */
    public static String sanitize(String raw, String fallback) {
        if (raw == null) {
            return fallback;
        }
        String name = cleanCharacters(lastPathSegment(Normalizer.normalize(raw, Normalizer.Form.NFC)));
        name = trimDotsAndSpaces(name.replaceAll("\\s+", " "));
        name = capLength(name);
        return name.isEmpty() ? fallback : name;
    }

    /**
     * The (already sanitised) {@code name} with an extension that says what the file is, so that whoever saves it
     * opens it as the type its bytes were found to be — never "invoice.html" holding a PDF, never an ".exe":
     * a name whose extension is one of {@code extensions} (any case) is kept; otherwise a wrong extension is dropped
     * and, unless the name then ends in a fitting one ("photo.jpeg.exe"), the first of {@code extensions} added.
     * A dotted part without a letter ("scan 2024.01.15") is part of the name, not an extension.
     *
     * @param extensions lower case, without the dot, the usual one first
     */
    public static String withExtension(String name, List<String> extensions) {
        if (fits(name, extensions)) {
            return name;
        }
        String extension = extensionWithDot(name);
        String base = extension.codePoints().anyMatch(Character::isLetter)
                ? trimDotsAndSpaces(name.substring(0, name.length() - extension.length())) : name;
        if (!base.isEmpty() && fits(base, extensions)) {
            return base;
        }
        return capLength((base.isEmpty() ? "attachment" : base) + "." + extensions.getFirst());
    }

    private static boolean fits(String name, List<String> extensions) {
        String extension = extensionWithDot(name);
        return !extension.isEmpty() && extensions.contains(extension.substring(1).toLowerCase(Locale.ROOT));
    }

    /**
     * A {@code Content-Disposition} value, {@code inline} or {@code attachment}, for a stored (already sanitised)
     * name: an ASCII-only {@code filename} for old clients and the exact name as RFC 8187 {@code filename*}. Both
     * are built from characters that cannot end the header or the parameter.
     */
    public static String contentDisposition(boolean inline, String name) {
        String safe = sanitize(name, "attachment");
        StringBuilder ascii = new StringBuilder();
        safe.codePoints().forEach(c -> ascii.append(c >= 0x20 && c < 0x7F && c != '\\' ? (char) c : '_'));
        return (inline ? "inline" : "attachment") + "; filename=\"" + ascii + "\"; filename*=UTF-8''"
                + URLEncoder.encode(safe, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static String lastPathSegment(String name) {
        return name.substring(Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\')) + 1);
    }

    private static String cleanCharacters(String name) {
        StringBuilder out = new StringBuilder(name.length());
        name.codePoints().forEach(c -> {
            if (Character.isWhitespace(c) || Character.isSpaceChar(c)) {
                out.append(' ');
            } else if (REPLACED.indexOf(c) >= 0) {
                out.append('_');
            } else if (!isInvisible(c) && REMOVED.indexOf(c) < 0) {
                out.appendCodePoint(c);
            }
        });
        return out.toString();
    }

    private static boolean isInvisible(int c) {
        return switch (Character.getType(c)) {
            case Character.CONTROL, Character.FORMAT, Character.SURROGATE, Character.PRIVATE_USE,
                 Character.UNASSIGNED -> true;
            default -> false;
        };
    }

    private static String trimDotsAndSpaces(String name) {
        int start = 0;
        int end = name.length();
        while (start < end && (name.charAt(start) == '.' || name.charAt(start) == ' ')) {
            start++;
        }
        while (end > start && (name.charAt(end - 1) == '.' || name.charAt(end - 1) == ' ')) {
            end--;
        }
        return name.substring(start, end);
    }

    private static String capLength(String name) {
        if (name.codePointCount(0, name.length()) <= MAX_CODE_POINTS) {
            return name;
        }
        String extension = extensionWithDot(name);
        String base = name.substring(0, name.length() - extension.length());
        int keep = MAX_CODE_POINTS - extension.codePointCount(0, extension.length());
        int baseLength = base.codePointCount(0, base.length());
        String cut = base.substring(0, base.offsetByCodePoints(0, Math.min(keep, baseLength)));
        return trimDotsAndSpaces(cut) + extension;
    }

    private static String extensionWithDot(String name) {
        int dot = name.lastIndexOf('.');
        if (dot <= 0) {
            return "";
        }
        String extension = name.substring(dot);
        int length = extension.codePointCount(0, extension.length());
        return length > 1 && length <= MAX_EXTENSION_CODE_POINTS && !extension.contains(" ") ? extension : "";
    }
}
