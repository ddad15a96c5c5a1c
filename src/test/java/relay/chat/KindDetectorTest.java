package relay.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import relay.domain.MessageKind;

class KindDetectorTest {
    private static final String DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
    private static final String XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    private static final String PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation";

    private final KindDetector detector = new KindDetector();

    static Stream<Arguments> recognisedFiles() {
        return Stream.of(
                file("photo.jpg", bytes(0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0), MessageKind.IMAGE,
                        "image/jpeg"),
                file("shot.png", concat(bytes(0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13), ascii("IHDR")),
                        MessageKind.IMAGE, "image/png"),
                file("anim.gif", ascii("GIF89a\u0001\u0000\u0001\u0000"), MessageKind.IMAGE, "image/gif"),
                file("old.gif", ascii("GIF87a\u0001\u0000\u0001\u0000"), MessageKind.IMAGE, "image/gif"),
                file("sticker.webp", riff("WEBP", "VP8 "), MessageKind.IMAGE, "image/webp"),
                // The bytes decide, not the name: a JPEG called .pdf is still an image.
                file("disguised.pdf", bytes(0xFF, 0xD8, 0xFF, 0xDB), MessageKind.IMAGE, "image/jpeg"),
                file("invoice.pdf", ascii("%PDF-1.7\n%\u00e2\u00e3\u00cf\u00d3\n1 0 obj"), MessageKind.PDF,
                        "application/pdf"),
                file("no-name", ascii("%PDF-1.4\n"), MessageKind.PDF, "application/pdf"),
                file("letter.docx", zip(deflated("[Content_Types].xml", "<Types/>"), deflated("word/document.xml",
                        "<w:document/>")), MessageKind.DOCUMENT, DOCX),
                file("sheet.xlsx", zip(deflated("[Content_Types].xml", "<Types/>"),
                        deflated("xl/workbook.xml", "<x/>")), MessageKind.DOCUMENT, XLSX),
                file("slides.pptx", zip(deflated("[Content_Types].xml", "<Types/>"), deflated("ppt/presentation.xml",
                        "<p/>")), MessageKind.DOCUMENT, PPTX),
                // The folders win over a misleading extension.
                file("renamed.xlsx", zip(deflated("word/document.xml", "<w:document/>")), MessageKind.DOCUMENT, DOCX),
                file("sheet.xlsx", ooxmlWithFoldersBeyondTheHead(), MessageKind.DOCUMENT, XLSX),
                file("slides.PPTX", ooxmlWithFoldersBeyondTheHead(), MessageKind.DOCUMENT, PPTX),
                file("unknown.zip", ooxmlWithFoldersBeyondTheHead(), MessageKind.DOCUMENT, "application/zip"),
                file("minutes.odt", zip(stored("mimetype", "application/vnd.oasis.opendocument.text"),
                        deflated("content.xml", "<office:document-content/>")), MessageKind.DOCUMENT,
                        "application/vnd.oasis.opendocument.text"),
                file("budget.ods", zip(stored("mimetype", "application/vnd.oasis.opendocument.spreadsheet")),
                        MessageKind.DOCUMENT, "application/vnd.oasis.opendocument.spreadsheet"),
                file("book.epub", zip(stored("mimetype", "application/epub+zip")), MessageKind.DOCUMENT,
                        "application/zip"),
                file("archive.zip", zip(deflated("notes.txt", "hello")), MessageKind.DOCUMENT, "application/zip"),
                file("legacy.doc", ole2(), MessageKind.DOCUMENT, "application/msword"),
                file("legacy.xls", ole2(), MessageKind.DOCUMENT, "application/vnd.ms-excel"),
                file("legacy.ppt", ole2(), MessageKind.DOCUMENT, "application/vnd.ms-powerpoint"),
                file("setup.msi", ole2(), MessageKind.DOCUMENT, "application/x-ole-storage"),
                file("notes.txt", utf8("Olá, mundo!\nSecond line.\n"), MessageKind.DOCUMENT, "text/plain"),
                file("README.md", utf8("# Title\n\n* item ✓\n"), MessageKind.DOCUMENT, "text/plain"),
                file("people.CSV", utf8("name,phone\nAna,+5511999999999\n"), MessageKind.DOCUMENT, "text/csv"),
                file("long.txt", textCutInsideACharacter(), MessageKind.DOCUMENT, "text/plain"),
                file("song.mp3", concat(ascii("ID3"), bytes(3, 0, 0, 0, 0, 0x0A)), MessageKind.AUDIO, "audio/mpeg"),
                file("raw.mp3", bytes(0xFF, 0xFB, 0x90, 0x64, 0x00), MessageKind.AUDIO, "audio/mpeg"),
                file("voice.ogg", ogg("OpusHead"), MessageKind.AUDIO, "audio/ogg; codecs=opus"),
                file("music.ogg", ogg("\u0001vorbis"), MessageKind.AUDIO, "audio/ogg"),
                file("take.wav", riff("WAVE", "fmt "), MessageKind.AUDIO, "audio/wav"),
                file("memo.amr", ascii("#!AMR\n\u003c\u0000"), MessageKind.AUDIO, "audio/amr"),
                file("memo.awb", ascii("#!AMR-WB\n\u0004"), MessageKind.AUDIO, "audio/amr-wb"),
                file("track.m4a", ftyp("M4A ", "M4A ", "mp42", "isom"), MessageKind.AUDIO, "audio/mp4"),
                file("book.m4b", ftyp("M4B ", "M4B ", "isom"), MessageKind.AUDIO, "audio/mp4"),
                file("clip.mp4", ftyp("isom", "isom", "iso2", "avc1", "mp41"), MessageKind.VIDEO, "video/mp4"),
                file("clip.mp4", ftyp("mp42", "mp42", "isom"), MessageKind.VIDEO, "video/mp4"),
                file("clip.m4v", ftyp("M4V ", "M4V ", "M4A ", "mp42"), MessageKind.VIDEO, "video/mp4"),
                file("camera.mp4", ftyp("XAVC", "XAVC", "mp42", "iso2"), MessageKind.VIDEO, "video/mp4"),
                file("phone.3gp", ftyp("3gp4", "isom", "3gp4"), MessageKind.VIDEO, "video/3gpp"),
                file("phone.3g2", ftyp("3g2a", "3g2a"), MessageKind.VIDEO, "video/3gpp2"),
                file("iphone.mov", ftyp("qt  ", "qt  "), MessageKind.VIDEO, "video/quicktime"),
                file("call.webm", ebml("webm"), MessageKind.VIDEO, "video/webm"),
                file("film.mkv", ebml("matroska"), MessageKind.VIDEO, "video/x-matroska"));
    }

    @ParameterizedTest(name = "{0} -> {2}")
    @MethodSource("recognisedFiles")
    void shouldRecogniseAFileByItsFirstBytes(String filename, byte[] head, MessageKind kind, String mimeType) {
        Optional<KindDetector.Detected> detected = detector.detect(head, filename);

        assertEquals(Optional.of(new KindDetector.Detected(kind, mimeType)), detected);
    }

    /** The sample names whose extension does not fit what their bytes are, and what they are stored as. */
    private static final Map<String, String> RENAMED = Map.of(
            "disguised.pdf", "disguised.jpg",
            "no-name", "no-name.pdf",
            "renamed.xlsx", "renamed.docx",
            "unknown.zip", "unknown.zip",
            "book.epub", "book.zip",
            "setup.msi", "setup.bin");

    @ParameterizedTest(name = "{0} -> {3}")
    @MethodSource("recognisedFiles")
    void shouldNameEveryRecognisedTypesExtensions(String filename, byte[] head, MessageKind kind, String mimeType) {
        KindDetector.Detected detected = detector.detect(head, filename).orElseThrow();

        assertEquals(RENAMED.getOrDefault(filename, filename), Filenames.withExtension(filename, detected.extensions()));
        assertTrue(detected.extensions().stream().allMatch(e -> e.matches("[a-z0-9]{2,4}")), detected.extensions()
                .toString());
        assertEquals(mimeType.equals("application/x-ole-storage"), detected.extensions().equals(List.of("bin")),
                "only a compound file of no known kind has no extension of its own");
    }

    static Stream<Arguments> refusedFiles() {
        return Stream.of(
                Arguments.of("empty.txt", new byte[0]),
                Arguments.of("empty.pdf", new byte[0]),
                Arguments.of("random.bin", randomBytes(4096)),
                Arguments.of("random.jpg", randomBytes(4096)),
                Arguments.of("random.txt", randomBytes(4096)),
                Arguments.of("setup.exe", concat(ascii("MZ"), bytes(0x90, 0, 3, 0, 0, 0, 4, 0))),
                Arguments.of("setup.pdf", concat(ascii("MZ"), bytes(0x90, 0, 3, 0, 0, 0, 4, 0))),
                Arguments.of("invoice.pdf", utf8("<!DOCTYPE html><html><body>Pay here</body></html>")),
                Arguments.of("page.html", utf8("<!DOCTYPE html><html></html>")),
                Arguments.of("script.js", utf8("alert(1)")),
                Arguments.of("no-name", utf8("just text without a name")),
                Arguments.of(null, utf8("just text without a name")),
                Arguments.of("binary.txt", utf8("looks like text\u0000but has NUL")),
                Arguments.of("latin1.csv", bytes('c', 'a', 'f', 0xE9, '\n')),
                Arguments.of("cut.txt", Arrays.copyOf(utf8("short ✓"), utf8("short ✓").length - 1)),
                Arguments.of("photo.heic", ftyp("heic", "mif1", "heic")),
                Arguments.of("short.mp4", ascii("\u0000\u0000\u0000\u0018ft")),
                Arguments.of("sound.aac", bytes(0xFF, 0xF1, 0x50, 0x80, 0x02, 0x1F, 0xFC)),
                Arguments.of("reserved.mp3", bytes(0xFF, 0xFF, 0xF0, 0x00)),
                Arguments.of("other.mkv", ebml("something")),
                Arguments.of("truncated.webm", bytes(0x1A, 0x45, 0xDF, 0xA3)),
                Arguments.of("riff.avi", riff("AVI ", "LIST")),
                Arguments.of("ole.doc", bytes(0xD0, 0xCF, 0x11, 0xE0)),
                Arguments.of("elf.txt", concat(bytes(0x7F), ascii("ELF"), bytes(2, 1, 1, 0))));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("refusedFiles")
    void shouldRefuseAFileOfNoRecognisedFormat(String filename, byte[] head) {
        assertEquals(Optional.empty(), detector.detect(head, filename));
    }

    @Test
    void shouldRefuseAMissingHead() {
        assertEquals(Optional.empty(), detector.detect(null, "a.txt"));
    }

    @Test
    void shouldRefuseTextWithAnUnfinishedCharacterWhenTheWholeFileIsShorterThanTheHead() {
        byte[] cut = textCutInsideACharacter();
        byte[] shorterFileEndingTheSameWay = Arrays.copyOfRange(cut, 1, cut.length);

        assertTrue(detector.detect(cut, "long.txt").isPresent());
        assertEquals(Optional.empty(), detector.detect(shorterFileEndingTheSameWay, "long.txt"));
    }

    private static Arguments file(String filename, byte[] head, MessageKind kind, String mimeType) {
        return Arguments.of(filename, head, kind, mimeType);
    }

    private static byte[] bytes(int... values) {
        byte[] out = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = (byte) values[i];
        }
        return out;
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    private static byte[] randomBytes(int length) {
        byte[] out = new byte[length];
        new SplittableRandom(20_240_601).nextBytes(out);
        return out;
    }

    private static byte[] riff(String form, String firstChunk) {
        return concat(ascii("RIFF"), bytes(0x24, 0x08, 0, 0), ascii(form), ascii(firstChunk), bytes(0x10, 0, 0, 0));
    }

    private static byte[] ogg(String firstPacket) {
        // Page header: capture pattern, version, type, granule (8), serial (4), sequence (4), CRC (4), 1 segment.
        return concat(ascii("OggS"), bytes(0, 2), new byte[8], bytes(1, 2, 3, 4), new byte[4], new byte[4],
                bytes(1, 19), ascii(firstPacket), bytes(1, 2, 0x38, 1));
    }

    private static byte[] ftyp(String major, String... compatible) {
        int size = 16 + 4 * compatible.length;
        byte[] brands = ascii(String.join("", compatible));
        return concat(bytes(0, 0, 0, size), ascii("ftyp"), ascii(major), bytes(0, 0, 2, 0), brands,
                bytes(0, 0, 0, 8), ascii("free"));
    }

    /** An EBML header: version 1, read version 1, max id 4, max size 8, then the DocType. */
    private static byte[] ebml(String docType) {
        byte[] body = concat(bytes(0x42, 0x86, 0x81, 1, 0x42, 0xF7, 0x81, 1, 0x42, 0xF2, 0x81, 4, 0x42, 0xF3, 0x81, 8),
                bytes(0x42, 0x82, 0x80 | docType.length()), ascii(docType), bytes(0x42, 0x87, 0x81, 4));
        return concat(bytes(0x1A, 0x45, 0xDF, 0xA3, 0x80 | body.length), body, bytes(0x18, 0x53, 0x80, 0x67));
    }

    private static byte[] ole2() {
        return concat(bytes(0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1), new byte[16], bytes(0x3E, 0, 3, 0));
    }

    /** 8192 bytes of text whose last character, a 3-byte ✓, is cut after its first byte as a head read would. */
    private static byte[] textCutInsideACharacter() {
        byte[] text = utf8("a".repeat(KindDetector.HEAD_BYTES - 1) + "✓");
        return Arrays.copyOf(text, KindDetector.HEAD_BYTES);
    }

    /** A real OOXML package whose first entries fill the head, so only [Content_Types].xml is visible in it. */
    private static byte[] ooxmlWithFoldersBeyondTheHead() {
        byte[] filler = randomBytes(KindDetector.HEAD_BYTES);
        byte[] whole = zip(deflated("[Content_Types].xml", "<Types/>"), stored("_rels/.rels", filler),
                deflated("xl/workbook.xml", "<x/>"), deflated("word/document.xml", "<w/>"),
                deflated("ppt/p.xml", "<p/>"));
        return Arrays.copyOf(whole, KindDetector.HEAD_BYTES);
    }

    private record Entry(String name, byte[] content, boolean stored) {}

    private static Entry deflated(String name, String content) {
        return new Entry(name, utf8(content), false);
    }

    private static Entry stored(String name, String content) {
        return new Entry(name, ascii(content), true);
    }

    private static Entry stored(String name, byte[] content) {
        return new Entry(name, content, true);
    }

    private static byte[] zip(Entry... entries) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(out)) {
            for (Entry entry : entries) {
                zip.putNextEntry(zipEntry(entry));
                zip.write(entry.content());
                zip.closeEntry();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private static ZipEntry zipEntry(Entry entry) {
        ZipEntry zipEntry = new ZipEntry(entry.name());
        if (entry.stored()) {
            CRC32 crc = new CRC32();
            crc.update(entry.content());
            zipEntry.setMethod(ZipEntry.STORED);
            zipEntry.setSize(entry.content().length);
            zipEntry.setCrc(crc.getValue());
        }
        return zipEntry;
    }
}
