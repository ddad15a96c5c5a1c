package relay.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class RequestPathTest {
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "/                                   | /",
        "/healthz                            | /healthz",
        "/chat/messages?phone=1#x            | /chat/messages",
        "http://localhost:8080/chat/messages | /chat/messages",
        "HTTPS://example.com                 | /",
        "http://example.com?q=1              | /",
        "/%63hat/messages                    | /chat/messages",
        "/chat/a%20b                         | /chat/a b",
        "/chat/%C3%A9t%C3%A9                 | /chat/été",
        "/chat/messages;v=1                  | /chat/messages;v=1",
        "/chat/%252F                         | /chat/%2F",
        "/a/..b/.c/d..                       | /a/..b/.c/d..",
    })
    void shouldReduceATargetToItsCanonicalPath(String target, String path) {
        assertEquals(path, RequestPath.parse(URI.create(target)).orElseThrow().toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "//chat/messages", "///chat/messages", "///", "http://x//chat/messages", "/chat//messages", "/chat/messages/",
        "/chat/",
        "/chat%2Fmessages", "/chat%2fmessages", "/chat%5Cmessages", "/chat/.", "/chat/./messages", "/chat/../x",
        "/chat/%2e%2e/x", "/chat/%2E", "/chat/.%2e", "/chat/%00", "/chat/a%0Ab", "/chat/%7F", "/chat/%C2%85",
        "/chat/%c0%ae%c0%ae", "/chat/%C3%28", "/chat/%E2%82", "/chat/é", "chat/messages", "*", "mailto:x@y",
        "ftp://x/chat", "http:/chat",
    })
    void shouldRefuseAnyOtherSpelling(String target) {
        assertTrue(RequestPath.parse(URI.create(target)).isEmpty(), target);
    }

    @Test
    void shouldKeepTheDecodedSegments() {
        assertEquals(List.of("chat", "attachments", "att_1"),
                RequestPath.parse(URI.create("/chat/attachments/att%5F1")).orElseThrow().segments());
        assertEquals(List.of(), RequestPath.parse(URI.create("/")).orElseThrow().segments());
    }
}
