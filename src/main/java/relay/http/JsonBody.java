package relay.http;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.Iterator;
import java.util.Set;

/**
 * A JSON object body read strictly: valid UTF-8, well-formed, an object, only the fields the route knows, each of the
 * type it expects. Each refusal names the field at fault, so a client can fix exactly what it sent.
 */
final class JsonBody {
    private final ObjectNode object;

    private JsonBody(ObjectNode object) {
        this.object = object;
    }

    /** Reads at most {@link Request#MAX_JSON_BYTES}; {@code fields} are the names the route accepts. */
    static JsonBody read(Request request, Set<String> fields) throws IOException {
        if (!request.hasMediaType("application/json")) {
            throw new ApiException(415, "unsupported_media_type", "Send the body as application/json");
        }
        String text = Request.decodeUtf8(request.body(Request.MAX_JSON_BYTES));
        JsonNode node;
        try {
            node = Json.MAPPER.readTree(text);
        } catch (JacksonException e) {
            throw new ApiException(400, "invalid_json", "The body is not valid JSON: " + e.getOriginalMessage());
        }
        if (node == null || !node.isObject()) {
            throw new ApiException(400, "invalid_json", "The body must be a JSON object");
        }
        for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!fields.contains(name)) {
                throw new ApiException(400, "unknown_field", "Unknown field " + printable(name) + "; known: "
                        + String.join(", ", fields.stream().sorted().toList()), printable(name));
            }
        }
        return new JsonBody((ObjectNode) node);
    }

    /** Whether the body names the field, also as JSON null. */
    boolean has(String field) {
        return object.has(field);
    }

    /** The field's text, or null when absent or JSON null; any other type is refused. */
    String string(String field) {
        JsonNode value = object.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isTextual()) {
            throw new ApiException(400, "invalid_type", field + " must be a string", field);
        }
        return value.textValue();
    }

    /**
     * The field's text, a whole number written as text, or null when absent or JSON null; any other type is refused.
     * For values read as {@code .env} reads them (configuration).
     */
    String scalar(String field) {
        JsonNode value = object.get(field);
        if (value != null && value.isIntegralNumber()) {
            return value.asText();
        }
        if (value != null && !value.isNull() && !value.isTextual()) {
            throw new ApiException(400, "invalid_type", field + " must be a string or a whole number", field);
        }
        return string(field);
    }

    /** Field names echo back in errors: keep them short and free of control characters. */
    private static String printable(String name) {
        String clean = name.replaceAll("\\p{Cntrl}", "?");
        return clean.length() > 64 ? clean.substring(0, 64) + "…" : clean;
    }
}
