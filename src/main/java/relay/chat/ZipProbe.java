package relay.chat;

import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import relay.domain.MessageKind;

/**
 * Tells OOXML, OpenDocument and plain ZIP apart from the local file headers visible in a file's head. Headers are
 * found by their signature rather than walked by size, because entries written with a data descriptor carry no size.
 */
final class ZipProbe {
    private static final String LOCAL_HEADER = "PK\u0003\u0004";
    private static final int HEADER_LENGTH = 30;
    private static final int MAX_MIMETYPE_LENGTH = 100;
    private static final Pattern ODF_MIME = Pattern.compile("application/vnd\\.oasis\\.opendocument\\.[a-z0-9.+-]+");

    static final String DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
    static final String XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    static final String PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation";
    private static final Map<String, String> OOXML_BY_FOLDER = Map.of("word/", DOCX, "xl/", XLSX, "ppt/", PPTX);
    private static final Map<String, String> OOXML_BY_EXTENSION = Map.of("docx", DOCX, "xlsx", XLSX, "pptx", PPTX);

    private ZipProbe() {
    }

    static Optional<KindDetector.Detected> probe(Head head, String extension) {
        if (!head.hasAscii(0, LOCAL_HEADER)) {
            return Optional.empty();
        }
        boolean contentTypes = false;
        for (int at = 0; at >= 0; at = head.indexOf(LOCAL_HEADER, at + 1, head.length())) {
            String name = entryName(head, at);
            if (name.equals("mimetype")) {
                Optional<String> odf = odfMimeType(head, at, name.length());
                if (odf.isPresent()) {
                    return document(odf.get());
                }
            }
            Optional<String> ooxml = ooxmlByFolder(name);
            if (ooxml.isPresent()) {
                return document(ooxml.get());
            }
            contentTypes |= name.equals("[Content_Types].xml");
        }
        // The package manifest proves OOXML but not which application; the extension then picks it.
        if (contentTypes && OOXML_BY_EXTENSION.containsKey(extension)) {
            return document(OOXML_BY_EXTENSION.get(extension));
        }
        return document("application/zip");
    }

    private static String entryName(Head head, int at) {
        int nameLength = head.u16le(at + 26);
        return nameLength < 0 ? "" : head.latin1(at + HEADER_LENGTH, nameLength);
    }

    /** OpenDocument stores its type uncompressed as the content of a first entry named "mimetype". */
    private static Optional<String> odfMimeType(Head head, int at, int nameLength) {
        boolean stored = head.u16le(at + 8) == 0;
        long size = head.u32le(at + 18);
        int extraLength = head.u16le(at + 28);
        if (!stored || size <= 0 || size > MAX_MIMETYPE_LENGTH || extraLength < 0) {
            return Optional.empty();
        }
        String content = head.latin1(at + HEADER_LENGTH + nameLength + extraLength, (int) size);
        return ODF_MIME.matcher(content).matches() ? Optional.of(content) : Optional.empty();
    }

    private static Optional<String> ooxmlByFolder(String name) {
        return OOXML_BY_FOLDER.entrySet().stream()
                .filter(folder -> name.startsWith(folder.getKey()))
                .map(Map.Entry::getValue)
                .findFirst();
    }

    private static Optional<KindDetector.Detected> document(String mimeType) {
        return KindDetector.found(MessageKind.DOCUMENT, mimeType);
    }
}
