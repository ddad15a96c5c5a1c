package relay.testing;

import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.QueueDispatcher;

/** MockWebServer as a webhook for tests of the whole service. */
public final class Webhooks {
    private Webhooks() {
    }

    /** Answers what the test enqueues on the returned dispatcher first, then {@code 200 {"ok":true}} to anything. */
    public static QueueDispatcher answerOkUnlessScripted(MockWebServer server) {
        QueueDispatcher responses = new QueueDispatcher();
        responses.setFailFast(new MockResponse.Builder().code(200).body("{\"ok\":true}").build());
        server.setDispatcher(responses);
        return responses;
    }
}
