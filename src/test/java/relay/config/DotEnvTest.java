package relay.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DotEnvTest {

    private static Map<String, String> values(String content) {
        DotEnv.Parsed parsed = DotEnv.parse(content, ".env");
        assertEquals(List.of(), parsed.errors());
        return parsed.entries().entrySet().stream()
                .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().value()));
    }

    @Test
    void shouldReadKeyValueLinesSkippingBlanksAndComments() {
        String content = """
                # a comment

                   # an indented comment
                PORT=8080
                HOST = 0.0.0.0
                """;
        assertEquals(Map.of("PORT", "8080", "HOST", "0.0.0.0"), values(content));
    }

    @Test
    void shouldStripInlineCommentsOnlyAfterWhitespace() {
        assertEquals(Map.of("WEBHOOK_TIMEOUT", "30", "WEBHOOK_URL", "http://x/a#frag"),
                values("WEBHOOK_TIMEOUT=30  # now configurable\nWEBHOOK_URL=http://x/a#frag\n"));
    }

    @Test
    void shouldKeepHashesAndSpacesInsideQuotes() {
        assertEquals(Map.of("A", "x # not a comment", "B", " padded "),
                values("A=\"x # not a comment\"  # a comment\nB=' padded '\n"));
    }

    @Test
    void shouldExpandEscapesInDoubleQuotesOnly() {
        assertEquals(Map.of("D", "line1\nline2\t\"q\"\\", "S", "raw\\nstays"),
                values("D=\"line1\\nline2\\t\\\"q\\\"\\\\\"\nS='raw\\nstays'\n"));
    }

    @Test
    void shouldAcceptExportPrefixAndEmptyValues() {
        assertEquals(Map.of("PORT", "9000", "EMPTY", "", "QUOTED_EMPTY", ""),
                values("export PORT=9000\nEMPTY=\nQUOTED_EMPTY=\"\"\n"));
    }

    @Test
    void shouldLetALaterLineWinAndToleratesWindowsLineEnds() {
        assertEquals(Map.of("PORT", "2"), values("PORT=1\r\nPORT=2\r\n"));
    }

    @Test
    void shouldRememberTheLineOfEachKey() {
        DotEnv.Parsed parsed = DotEnv.parse("# c\n\nPORT=1\n", "x.env");
        assertEquals(3, parsed.entries().get("PORT").line());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "NOT A LINE                 | expected KEY=VALUE",
        "1PORT=8080                 | expected KEY=VALUE",
        "=8080                      | expected KEY=VALUE",
        "A=\"unterminated           | unterminated double quote for A",
        "A='unterminated            | unterminated single quote for A",
        "A=\"x\" trailing           | unexpected text after the closing quote for A",
    })
    void shouldReportAMalformedLineWithFileAndLineNumber(String line, String expected) {
        DotEnv.Parsed parsed = DotEnv.parse("OK=1\n\n" + line.strip() + "\nLATER=2\n", "conf/.env");
        assertEquals(1, parsed.errors().size(), parsed.errors().toString());
        String error = parsed.errors().getFirst();
        assertTrue(error.startsWith("conf/.env:3: "), error);
        assertTrue(error.contains(expected), error);
        assertEquals("2", parsed.entries().get("LATER").value(), "lines after a bad one are still read");
    }

    @Test
    void shouldNeverQuoteTheMalformedLineSinceItMayHoldASecret() {
        DotEnv.Parsed parsed = DotEnv.parse("whsec_c2VjcmV0c2VjcmV0c2VjcmV0\n", ".env");
        assertTrue(parsed.errors().stream().noneMatch(e -> e.contains("whsec_")), parsed.errors().toString());
    }
}
