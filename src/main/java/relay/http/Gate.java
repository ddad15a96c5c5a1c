package relay.http;

/**
 * A check every request passes before its route runs — the {@code Host} allow-list, then access — whatever its
 * path, also when no route matches it. Refuses by throwing {@link ApiException}.
 */
@FunctionalInterface
interface Gate {
    Gate OPEN = (request, visibility) -> {
    };

    /** @param visibility the matched route's; {@link Visibility#PROTECTED} for unknown and malformed paths */
    void admit(Request request, Visibility visibility);

    /** This check, then {@code next}. */
    default Gate then(Gate next) {
        return (request, visibility) -> {
            admit(request, visibility);
            next.admit(request, visibility);
        };
    }
}
