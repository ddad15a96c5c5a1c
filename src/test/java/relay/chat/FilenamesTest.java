package relay.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

class FilenamesTest {
    private static final String FALLBACK = "file";

    @ParameterizedTest(name = "[{0}] -> [{1}]")
    @CsvSource(delimiter = '|', value = {
            "report.pdf                   | report.pdf",
            "Relatório São Paulo 2025.pdf | Relatório São Paulo 2025.pdf",
            "../../etc/passwd             | passwd",
            "/var/tmp/photo.jpg           | photo.jpg",
            "C:\\Users\\ana\\report.docx  | report.docx",
            "mixed/path\\to/file.txt      | file.txt",
            ".htaccess                    | htaccess",
            "...hidden.txt                | hidden.txt",
            "trailing dots...             | trailing dots",
            "say \"hi\".txt               | say hi.txt",
            "Ana's notes.txt              | Anas notes.txt",
            "a;b:c*d?e<f>g.txt            | a_b_c_d_e_f_g.txt",
            "many     spaces   here.txt   | many spaces here.txt",
            "invoice 100%.pdf             | invoice 100%.pdf",
            "photo 😀.png                 | photo 😀.png"})
    void shouldKeepOnlyASafeLastPathSegment(String raw, String expected) {
        assertEquals(expected, Filenames.sanitize(raw, FALLBACK));
    }

    @Test
    void shouldRemoveControlCharactersSoNoHeaderCanBeInjected() {
        assertEquals("html.pdf",
                Filenames.sanitize("a.pdf\r\nContent-Type: text/html.pdf", FALLBACK));
        assertEquals("ab.txt", Filenames.sanitize("a\u0000b.txt", FALLBACK));
        assertEquals("a b c.txt", Filenames.sanitize("a\tb\u000Bc.txt", FALLBACK));
        assertEquals("a_b.txt", Filenames.sanitize("a|b.txt", FALLBACK));
        assertEquals("bell.txt", Filenames.sanitize("be\u0007ll\u007F.txt", FALLBACK));
    }

    @Test
    void shouldRemoveInvisibleCharactersThatCouldDisguiseTheExtension() {
        // U+202E RIGHT-TO-LEFT OVERRIDE would show "invoice\u202Efdp.exe" as "invoiceexe.pdf".
        assertEquals("invoicefdp.exe", Filenames.sanitize("invoice\u202Efdp.exe", FALLBACK));
        assertEquals("zerowidth.txt", Filenames.sanitize("zero\u200Bwidth.txt", FALLBACK));
        assertEquals("lonely.txt", Filenames.sanitize("lone\uD800ly.txt", FALLBACK));
    }

    @Test
    void shouldComposeAccentsSoTheSameNameLooksTheSameEverywhere() {
        assertEquals("caf\u00e9.txt", Filenames.sanitize("cafe\u0301.txt", FALLBACK));
    }

    @Test
    void shouldCapTheLengthKeepingTheExtension() {
        String sanitized = Filenames.sanitize("x".repeat(300) + ".pdf", FALLBACK);

        assertEquals(128, sanitized.length());
        assertEquals("x".repeat(124) + ".pdf", sanitized);
    }

    @Test
    void shouldCountCharactersNotUtf16UnitsAndNeverSplitAPair() {
        String sanitized = Filenames.sanitize("😀".repeat(200) + ".png", FALLBACK);

        assertEquals(128, sanitized.codePointCount(0, sanitized.length()));
        assertEquals("😀".repeat(124) + ".png", sanitized);
    }

    @Test
    void shouldCutALongNameWhoseDotIsNotAnExtensionLikeAnyOther() {
        String sanitized = Filenames.sanitize("a." + "b".repeat(200), FALLBACK);

        assertEquals("a." + "b".repeat(126), sanitized);
    }

    @Test
    void shouldNotEndACutNameWithASpaceOrDotBeforeTheExtension() {
        String sanitized = Filenames.sanitize("x".repeat(123) + " .... tail.txt", FALLBACK);

        assertEquals("x".repeat(123) + ".txt", sanitized);
    }

    @ParameterizedTest
    @NullAndEmptySource
    @ValueSource(strings = {" ", "...", "../", "dir/", "C:\\dir\\", "\"\"", "\r\n", "\u202E", ". . ."})
    void shouldAnswerTheFallbackWhenNothingIsLeft(String raw) {
        assertEquals(FALLBACK, Filenames.sanitize(raw, FALLBACK));
    }

    @Test
    void shouldNeverAnswerCharactersThatBreakAContentDispositionHeader() {
        String hostile = "..\\../\"evil\";\r\n filename*=UTF-8''x\u0000.html";

        String sanitized = Filenames.sanitize(hostile, FALLBACK);

        assertTrue(sanitized.chars().noneMatch(c -> c < 0x20 || "\"\\/;'".indexOf(c) >= 0), sanitized);
    }

    @ParameterizedTest(name = "[{0}] as {1} -> [{2}]")
    @CsvSource(delimiter = '|', value = {
            "invoice.html        | pdf             | invoice.pdf",
            "photo               | jpg jpeg        | photo.jpg",
            "photo.JPEG          | jpg jpeg        | photo.JPEG",
            "photo.jpeg.exe      | jpg jpeg        | photo.jpeg",
            "setup.exe           | bin             | setup.bin",
            "report.docm         | docx docm       | report.docm",
            "report.doc          | docx docm       | report.docx",
            "minutes.odt         | odt             | minutes.odt",
            "scan 2024.01.15     | jpg jpeg        | scan 2024.01.15.jpg",
            "Dr. Who notes       | txt md          | Dr. Who notes.txt",
            "voice.ogg           | opus ogg oga    | voice.ogg",
            "voice.m4a.html.exe  | m4a m4b         | voice.m4a.html.m4a",
            "attachment          | pdf             | attachment.pdf"})
    void shouldGiveAStoredNameAnExtensionOfItsDetectedType(String name, String extensions, String expected) {
        assertEquals(expected, Filenames.withExtension(name, List.of(extensions.split(" "))));
    }

    @Test
    void shouldKeepTheLengthCapWhenAddingAnExtension() {
        String named = Filenames.withExtension("x".repeat(128), List.of("pdf"));

        assertEquals("x".repeat(124) + ".pdf", named);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "true  | photo.jpg | inline; filename=\"photo.jpg\"; filename*=UTF-8''photo.jpg",
            "false | notes.txt | attachment; filename=\"notes.txt\"; filename*=UTF-8''notes.txt"})
    void shouldSayInlineOrAttachment(boolean inline, String name, String expected) {
        assertEquals(expected, Filenames.contentDisposition(inline, name));
    }
}
