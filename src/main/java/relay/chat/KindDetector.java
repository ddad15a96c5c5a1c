package relay.chat;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import relay.domain.MessageKind;

/**
 * Decides an attachment's kind from its first bytes, never from the client's Content-Type alone: a file whose bytes
 * match no known format is refused (the API answers 415). The filename only refines what the bytes already say
 * (which OOXML or OLE2 document) or, for plain text and CSV which have no signature, is required alongside bytes
 * that are valid UTF-8 without NUL.
 */
public final class KindDetector {
    /** How many first bytes {@link #detect} looks at; callers read this many (or the whole file if shorter). */
    public static final int HEAD_BYTES = 8192;

    /** A kind and MIME type, decided from the bytes. */
    public record Detected(MessageKind kind, String mimeType) {
        /**
         * The file name extensions (lower case, no dot) that fit this type, the usual one first; a type with no
         * extension of its own (a compound file that is no known Office document) answers {@code bin}.
         */
        public List<String> extensions() {
            return EXTENSIONS.getOrDefault(mimeType, List.of("bin"));
        }
    }

    private interface Probe {
        Optional<Detected> probe(Head head, String extension);
    }

    private static final List<Probe> PROBES = List.of(
            (head, ext) -> image(head),
            (head, ext) -> pdf(head),
            ZipProbe::probe,
            KindDetector::ole2,
            (head, ext) -> audio(head),
            (head, ext) -> Ftyp.probe(head),
            (head, ext) -> webm(head),
            KindDetector::text);

    private static final Map<String, String> OLE2_BY_EXTENSION = Map.of(
            "doc", "application/msword",
            "dot", "application/msword",
            "xls", "application/vnd.ms-excel",
            "xlt", "application/vnd.ms-excel",
            "ppt", "application/vnd.ms-powerpoint",
            "pps", "application/vnd.ms-powerpoint",
            "pot", "application/vnd.ms-powerpoint");
    private static final String ODF = "application/vnd.oasis.opendocument.";
    /** The extensions of every type a probe answers; a stored name's extension must be one of its type's. */
    private static final Map<String, List<String>> EXTENSIONS = Map.ofEntries(
            Map.entry("image/jpeg", List.of("jpg", "jpeg", "jpe", "jfif")),
            Map.entry("image/png", List.of("png")),
            Map.entry("image/gif", List.of("gif")),
            Map.entry("image/webp", List.of("webp")),
            Map.entry("application/pdf", List.of("pdf")),
            Map.entry(ZipProbe.DOCX, List.of("docx", "docm", "dotx", "dotm")),
            Map.entry(ZipProbe.XLSX, List.of("xlsx", "xlsm", "xltx", "xltm")),
            Map.entry(ZipProbe.PPTX, List.of("pptx", "pptm", "ppsx", "ppsm", "potx", "potm")),
            Map.entry(ODF + "text", List.of("odt")),
            Map.entry(ODF + "text-template", List.of("ott")),
            Map.entry(ODF + "text-master", List.of("odm")),
            Map.entry(ODF + "text-web", List.of("oth")),
            Map.entry(ODF + "spreadsheet", List.of("ods")),
            Map.entry(ODF + "spreadsheet-template", List.of("ots")),
            Map.entry(ODF + "presentation", List.of("odp")),
            Map.entry(ODF + "presentation-template", List.of("otp")),
            Map.entry(ODF + "graphics", List.of("odg")),
            Map.entry(ODF + "graphics-template", List.of("otg")),
            Map.entry(ODF + "chart", List.of("odc")),
            Map.entry(ODF + "formula", List.of("odf")),
            Map.entry(ODF + "image", List.of("odi")),
            Map.entry(ODF + "database", List.of("odb")),
            Map.entry("application/zip", List.of("zip")),
            Map.entry("application/msword", List.of("doc", "dot")),
            Map.entry("application/vnd.ms-excel", List.of("xls", "xlt")),
            Map.entry("application/vnd.ms-powerpoint", List.of("ppt", "pps", "pot")),
            Map.entry("text/plain", List.of("txt", "md")),
            Map.entry("text/csv", List.of("csv")),
            Map.entry("audio/mpeg", List.of("mp3")),
            Map.entry("audio/ogg; codecs=opus", List.of("opus", "ogg", "oga")),
            Map.entry("audio/ogg", List.of("ogg", "oga")),
            Map.entry("audio/wav", List.of("wav")),
            Map.entry("audio/amr", List.of("amr")),
            Map.entry("audio/amr-wb", List.of("awb", "amr")),
            Map.entry("audio/mp4", List.of("m4a", "m4b")),
            Map.entry("video/mp4", List.of("mp4", "m4v")),
            Map.entry("video/3gpp", List.of("3gp")),
            Map.entry("video/3gpp2", List.of("3g2")),
            Map.entry("video/quicktime", List.of("mov", "qt")),
            Map.entry("video/webm", List.of("webm")),
            Map.entry("video/x-matroska", List.of("mkv")));
    private static final Map<String, String> TEXT_BY_EXTENSION = Map.of(
            "txt", "text/plain",
            "md", "text/plain",
            "csv", "text/csv");

    /**
     * @param head     the file's first {@link #HEAD_BYTES} bytes, or all of it if shorter
     * @param filename the sanitised client filename, may be null
     */
    public Optional<Detected> detect(byte[] head, String filename) {
        if (head == null || head.length == 0) {
            return Optional.empty();
        }
        Head bytes = new Head(head);
        String extension = extension(filename);
        return PROBES.stream()
                .map(probe -> probe.probe(bytes, extension))
                .flatMap(Optional::stream)
                .findFirst();
    }

    static String extension(String filename) {
        if (filename == null) {
            return "";
        }
        int dot = filename.lastIndexOf('.');
        return dot < 0 ? "" : filename.substring(dot + 1).toLowerCase(Locale.ROOT);
    }

    static Optional<Detected> found(MessageKind kind, String mimeType) {
        return Optional.of(new Detected(kind, mimeType));
    }

    private static Optional<Detected> image(Head head) {
        if (head.hasBytes(0, 0xFF, 0xD8, 0xFF)) {
            return found(MessageKind.IMAGE, "image/jpeg");
        }
        if (head.hasBytes(0, 0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A)) {
            return found(MessageKind.IMAGE, "image/png");
        }
        if (head.hasAscii(0, "GIF87a") || head.hasAscii(0, "GIF89a")) {
            return found(MessageKind.IMAGE, "image/gif");
        }
        if (head.hasAscii(0, "RIFF") && head.hasAscii(8, "WEBP")) {
            return found(MessageKind.IMAGE, "image/webp");
        }
        return Optional.empty();
    }

    private static Optional<Detected> pdf(Head head) {
        return head.hasAscii(0, "%PDF-") ? found(MessageKind.PDF, "application/pdf") : Optional.empty();
    }

    /*
     * Legacy Office files and others (e.g. .msi installers) share this container; naming a Word document only when
     * the name says so avoids presenting an arbitrary compound file as one.
     */
    private static Optional<Detected> ole2(Head head, String extension) {
        if (!head.hasBytes(0, 0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1)) {
            return Optional.empty();
        }
        return found(MessageKind.DOCUMENT, OLE2_BY_EXTENSION.getOrDefault(extension, "application/x-ole-storage"));
    }

    private static Optional<Detected> audio(Head head) {
        if (head.hasAscii(0, "ID3") || isMpegAudioFrame(head)) {
            return found(MessageKind.AUDIO, "audio/mpeg");
        }
        if (head.hasAscii(0, "OggS")) {
            return head.indexOf("OpusHead", 0, 512) >= 0
                    ? found(MessageKind.AUDIO, "audio/ogg; codecs=opus")
                    : found(MessageKind.AUDIO, "audio/ogg");
        }
        if (head.hasAscii(0, "RIFF") && head.hasAscii(8, "WAVE")) {
            return found(MessageKind.AUDIO, "audio/wav");
        }
        if (head.hasAscii(0, "#!AMR-WB\n")) {
            return found(MessageKind.AUDIO, "audio/amr-wb");
        }
        if (head.hasAscii(0, "#!AMR\n")) {
            return found(MessageKind.AUDIO, "audio/amr");
        }
        return Optional.empty();
    }

    /** An MPEG-1/2 layer I-III frame header; the reserved values are excluded so random 0xFFEx bytes rarely pass. */
    private static boolean isMpegAudioFrame(Head head) {
        int second = head.u8(1);
        int third = head.u8(2);
        if (head.u8(0) != 0xFF || second < 0 || third < 0 || (second & 0xE0) != 0xE0) {
            return false;
        }
        boolean reservedVersion = (second >> 3 & 0b11) == 0b01;
        boolean reservedLayer = (second >> 1 & 0b11) == 0b00;
        boolean badBitrate = (third >> 4) == 0b1111;
        boolean reservedRate = (third >> 2 & 0b11) == 0b11;
        return !reservedVersion && !reservedLayer && !badBitrate && !reservedRate;
    }

    /** Matroska and WebM share the EBML header; its DocType element (id 0x4282) tells them apart. */
    private static Optional<Detected> webm(Head head) {
        if (!head.hasBytes(0, 0x1A, 0x45, 0xDF, 0xA3)) {
            return Optional.empty();
        }
        for (int i = 4; i < Math.min(head.length(), 64); i++) {
            int size = head.u8(i + 2);
            if (head.hasBytes(i, 0x42, 0x82) && (size & 0x80) != 0) {
                return switch (head.latin1(i + 3, size & 0x7F)) {
                    case "webm" -> found(MessageKind.VIDEO, "video/webm");
                    case "matroska" -> found(MessageKind.VIDEO, "video/x-matroska");
                    default -> Optional.empty();
                };
            }
        }
        return Optional.empty();
    }

    private static Optional<Detected> text(Head head, String extension) {
        String mimeType = TEXT_BY_EXTENSION.get(extension);
        if (mimeType == null || !isUtf8WithoutNul(head.bytes())) {
            return Optional.empty();
        }
        return found(MessageKind.DOCUMENT, mimeType);
    }

    /** A head cut at {@link #HEAD_BYTES} may end inside a character; only then is an unfinished one allowed. */
    static boolean isUtf8WithoutNul(byte[] bytes) {
        for (byte b : bytes) {
            if (b == 0) {
                return false;
            }
        }
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CoderResult result = decoder.decode(in, CharBuffer.allocate(bytes.length), false);
        if (result.isError()) {
            return false;
        }
        return !in.hasRemaining() || bytes.length >= HEAD_BYTES;
    }
}
