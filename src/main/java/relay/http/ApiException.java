package relay.http;

/**
 * A request the API refuses: carries the status and the {@code {"error":{code,message,field}}} body. Thrown from
 * deep inside request parsing and turned into the JSON answer in one place, the {@link Router}.
 */
public final class ApiException extends RuntimeException {
    private final int status;
    private final String code;
    private final String field;

    public ApiException(int status, String code, String message, String field) {
        super(message, null, false, false);
        this.status = status;
        this.code = code;
        this.field = field;
    }

    public ApiException(int status, String code, String message) {
        this(status, code, message, null);
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }

    public String field() {
        return field;
    }
}
