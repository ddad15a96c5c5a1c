package relay.http;

/**
 * Who may call a route when {@code APP_TOKEN} is set. Routes are {@link #PROTECTED} unless they say otherwise, so a
 * route added later, an unknown path or a malformed one needs the token too.
 */
public enum Visibility {
    /** Needs the token, as {@code Authorization: Bearer} or the session cookie. */
    PROTECTED,
    /** Open to anyone: health, the sign-in routes, the pages, the demo receiver's intake. */
    PUBLIC,
    /**
     * Open to a request that carries a signed link's {@code token} in its query; the route itself must check that
     * token, and refuse the request when it is not valid.
     */
    SIGNED_LINK;

    boolean admitsWithoutSignIn(Request request) {
        return switch (this) {
            case PROTECTED -> false;
            case PUBLIC -> true;
            case SIGNED_LINK -> request.hasQueryParameter("token");
        };
    }
}
