package relay.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import relay.domain.Attachment;
import relay.domain.Conversation;
import relay.domain.DeliveryState;
import relay.domain.Message;

/**
 * What every backend's {@link MessageSearch} promises; a backend's test subclasses this and says how it opens. The
 * meaning of a query is {@link SearchText}'s.
 */
public abstract class MessageSearchContract extends StoreContract {
    private static final String ALICE = "+5511999990001";
    private static final String BOB = "+5521988880002";
    private static final String CAROL = "+14155550003";

    /** The search of the backend {@link #open} opened last. */
    protected abstract MessageSearch search();

    /** Its contacts, to name phones with. */
    protected abstract Contacts contacts();

    @Test
    void shouldFindConversationsByAnyPartOfTheContactNameWhateverItsCaseAndAccents() {
        fixture.accept(queue, ALICE, "hi");
        fixture.accept(queue, BOB, "hi");
        contacts().put(ALICE, "Ângela Souza");
        contacts().put(BOB, "João Angelo");

        assertEquals(List.of(BOB, ALICE), conversations("angel"));
        assertEquals(List.of(ALICE), conversations("SOUZA"));
        assertEquals(List.of(ALICE), conversations("ângela s"));
        assertEquals(List.of(BOB), conversations("joao"));
        assertEquals(List.of(), conversations("maria"));
    }

    @Test
    void shouldFindConversationsByThePhoneDigitsWhateverTheWayTheyAreWritten() {
        fixture.accept(queue, ALICE, "hi");
        fixture.accept(queue, BOB, "hi");
        fixture.accept(queue, CAROL, "hi");

        assertEquals(List.of(ALICE), conversations("99999"));
        assertEquals(List.of(ALICE), conversations("(11) 99999-0001"));
        assertEquals(List.of(BOB), conversations("+55 21"));
        assertEquals(List.of(CAROL), conversations("415 555"));
        assertEquals(List.of(CAROL, BOB, ALICE), conversations("5"));
        assertEquals(List.of(), conversations("99999 lima"), "a query with letters is not a number");
    }

    @Test
    void shouldPageMatchingConversationsNewestFirstFromACursorThatStaysValid() {
        List<String> phones = List.of("+5511999990011", "+5511999990012", "+5511999990013", "+5511999990014",
                "+5511999990015");
        for (String phone : phones) {
            fixture.accept(queue, phone, "hello");
            contacts().put(phone, "Cliente " + phone.substring(phone.length() - 2));
        }
        fixture.accept(queue, BOB, "not a client");
        SearchText clients = SearchText.of("cliente");

        List<Conversation> first = search().conversations(clients, 2, null);
        fixture.accept(queue, phones.get(0), "news moves the oldest to the top");
        List<Conversation> second = search().conversations(clients, 2, first.getLast().position());
        List<Conversation> third = search().conversations(clients, 2, second.getLast().position());

        assertEquals(List.of(phones.get(4), phones.get(3)), phones(first));
        assertEquals(List.of(phones.get(2), phones.get(1)), phones(second));
        assertEquals(List.of(), phones(third), "the one that moved up is not met again further down");
        assertEquals(List.of(phones.get(0), phones.get(4)), phones(search().conversations(clients, 2, null)));
    }

    @Test
    void shouldFindMessagesByAnyPartOfTheirTextNewestFirstWhateverTheCaseAndAccents() {
        Message first = fixture.accept(queue, ALICE, "Bom dia, o PEDIDO 123 saiu");
        fixture.accept(queue, BOB, "nada a ver");
        Message second = fixture.accept(queue, BOB, "o pedido chegou, obrigado pelo café");

        assertEquals(List.of(second.id(), first.id()), messageIds("pedido"));
        assertEquals(List.of(second.id(), first.id()), messageIds("EDID"));
        assertEquals(List.of(second.id()), messageIds("cafe"));
        assertEquals(List.of(first.id()), messageIds("pedido 123"));
        assertEquals(List.of(), messageIds("pedido 124"));
        assertEquals(first, search().messages(SearchText.of("saiu"), 10, null).getFirst().message());
    }

    @Test
    void shouldFindFilesByTheirName() throws Exception {
        Attachment file = fixture.saveAttachment(attachments, "the minutes");
        Message withFile = queue.accept(fixture.newMessage(ALICE, null, file.id()), DeliveryState.QUEUED);
        fixture.accept(queue, ALICE, "no file here");

        assertEquals(List.of(withFile.id()), messageIds(file.filename().substring(0, 5)));
    }

    @Test
    void shouldPageMessagesNewestFirstFromACursorThatStaysValidWhileMessagesArrive() {
        List<String> ids = new ArrayList<>();
        for (int i = 1; i <= 5; i++) {
            ids.add(fixture.accept(queue, i % 2 == 0 ? ALICE : BOB, "boleto " + i).id());
            fixture.accept(queue, ALICE, "something else");
        }
        SearchText boleto = SearchText.of("boleto");

        List<MessageSearch.Hit> first = search().messages(boleto, 2, null);
        String arrived = fixture.accept(queue, BOB, "boleto 6").id();
        List<MessageSearch.Hit> second = search().messages(boleto, 2, first.getLast().position());
        List<MessageSearch.Hit> third = search().messages(boleto, 2, second.getLast().position());

        assertEquals(List.of(ids.get(4), ids.get(3)), idsOf(first));
        assertEquals(List.of(ids.get(2), ids.get(1)), idsOf(second));
        assertEquals(List.of(ids.get(0)), idsOf(third));
        assertEquals(arrived, idsOf(search().messages(boleto, 1, null)).getFirst());
    }

    @Test
    void shouldSearchMessageTextOnlyFromThreeCharactersAndConversationsFromOne() {
        fixture.accept(queue, ALICE, "ok");
        contacts().put(ALICE, "Oksana");

        assertEquals(List.of(), messageIds("ok"));
        assertEquals(List.of(ALICE), conversations("ok"));
        assertEquals(List.of(ALICE), conversations("9"));
    }

    @Test
    void shouldReadQuerySyntaxAsPlainText() {
        Message quoted = fixture.accept(queue, ALICE, "ele disse \"pedido\" OR não, NEAR(a b) * -x ^y");
        fixture.accept(queue, ALICE, "pedido");

        for (String query : List.of("\"pedido\" OR", "NEAR(a b)", "* -x ^y", "disse \"")) {
            assertEquals(List.of(quoted.id()), messageIds(query), query);
        }
    }

    @Test
    void shouldRefuseALimitBelowOne() {
        SearchText query = SearchText.of("abc");

        assertThrows(IllegalArgumentException.class, () -> search().messages(query, 0, null));
        assertThrows(IllegalArgumentException.class, () -> search().conversations(query, 0, null));
    }

    @Test
    void shouldFindTheSameAfterARestart() throws Exception {
        Message message = fixture.accept(queue, ALICE, "reunião amanhã");
        contacts().put(ALICE, "Diretoria");

        reopen();

        assertEquals(List.of(message.id()), messageIds("reuniao"));
        assertEquals(List.of(ALICE), conversations("diretor"));
        assertTrue(search().messages(SearchText.of("reunião"), 1, null).getFirst().position() > 0);
    }

    private List<String> conversations(String query) {
        return phones(search().conversations(SearchText.of(query), 50, null));
    }

    private List<String> messageIds(String query) {
        return idsOf(search().messages(SearchText.of(query), 50, null));
    }

    private static List<String> phones(List<Conversation> page) {
        return page.stream().map(Conversation::phone).toList();
    }

    private static List<String> idsOf(List<MessageSearch.Hit> page) {
        return page.stream().map(hit -> hit.message().id()).toList();
    }
}
