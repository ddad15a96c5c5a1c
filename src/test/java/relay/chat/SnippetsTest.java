package relay.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

class SnippetsTest {

    @Test
    void shouldKeepAShortTextWholeAndCutALongOneBetweenCharacters() {
        assertNull(Snippets.start(null, 5));
        assertEquals("hello", Snippets.start("hello", 5));
        assertEquals("🌻🌻🌻…", Snippets.start("🌻🌻🌻🌻", 3), "an emoji is one character, never cut in half");
    }

    @Test
    void shouldShowTheMatchInItsContextWhateverItsCaseAndAccents() {
        String text = "x".repeat(50) + " a Reunião de amanhã " + "y".repeat(50);

        Snippets.Excerpt excerpt = Snippets.around(text, "REUNIAO", 40);

        assertEquals("…" + "x".repeat(17) + " a Reunião de amanhã " + "y".repeat(2) + "…", excerpt.text());
        assertEquals("Reunião", excerpt.text().substring(excerpt.matchStart(), excerpt.matchEnd()));
    }

    @Test
    void shouldStartAtTheBeginningWhenTheMatchIsNearIt() {
        Snippets.Excerpt excerpt = Snippets.around("Olá, Ângela!", "angela", 80);

        assertEquals("Olá, Ângela!", excerpt.text());
        assertEquals(5, excerpt.matchStart());
        assertEquals(11, excerpt.matchEnd());
    }

    @Test
    void shouldCountUtf16UnitsAsJavaScriptDoesAroundEmoji() {
        Snippets.Excerpt excerpt = Snippets.around("🌻🌻 flores", "flor", 80);

        assertEquals(5, excerpt.matchStart(), "each sunflower is two UTF-16 units");
        assertEquals(9, excerpt.matchEnd());
    }

    @Test
    void shouldFallBackToTheStartWhenTheQueryIsNotInTheText() {
        Snippets.Excerpt excerpt = Snippets.around("a long caption " + "z".repeat(100), "report.pdf", 20);

        assertEquals("a long caption zzzzz…", excerpt.text());
        assertEquals(-1, excerpt.matchStart());
        assertEquals(-1, excerpt.matchEnd());
    }
}
