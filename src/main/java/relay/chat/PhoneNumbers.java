package relay.chat;

import com.google.i18n.phonenumbers.NumberParseException;
import com.google.i18n.phonenumbers.PhoneNumberUtil;
import com.google.i18n.phonenumbers.PhoneNumberUtil.PhoneNumberFormat;
import com.google.i18n.phonenumbers.Phonenumber.PhoneNumber;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.regex.Pattern;

/** Reads the phone numbers operators type and turns them into E.164, the only form stored and sent. */
public final class PhoneNumbers {
    private static final int MAX_LENGTH = 32;
    private static final String FIELD = "phone";
    /*
     * libphonenumber also accepts vanity letters ("1-800-FLOWERS"), extensions and tel: URIs; none of them belongs
     * in a chat recipient, so only digits and the usual separators get as far as the parser.
     */
    private static final Pattern TYPED_NUMBER = Pattern.compile("\\+?[0-9 \\u00A0().\\-]+");

    /** Numbers remembered before the caches start over: a chat has far fewer phones than this. */
    private static final int CACHED = 10_000;

    private final PhoneNumberUtil util = PhoneNumberUtil.getInstance();
    private final String defaultRegion;
    // Parsing is a tenth of the CPU an accepted message costs, and every answer shows its phone again: the same
    // few numbers are read over and over, so each is read once.
    private final Map<String, Result> parsed = new ConcurrentHashMap<>();
    private final Map<String, String> displayed = new ConcurrentHashMap<>();

    /** @param defaultRegion ISO 3166 region (e.g. {@code BR}) in which numbers written without + are read */
    public PhoneNumbers(String defaultRegion) {
        String region = Objects.requireNonNull(defaultRegion, "defaultRegion").toUpperCase(Locale.ROOT);
        if (!util.getSupportedRegions().contains(region)) {
            throw new IllegalArgumentException("unknown phone region: " + defaultRegion);
        }
        this.defaultRegion = region;
    }

    public sealed interface Result {
        /**
         * @param e164     e.g. {@code +5511999999999}
         * @param national readable national format, e.g. {@code (11) 99999-9999}
         * @param region   ISO 3166 region the number belongs to, e.g. {@code BR}
         */
        record Valid(String e164, String national, String region) implements Result {}

        record Invalid(ValidationError error) implements Result {}
    }

    public Result parse(String raw) {
        // Only what could be a number is remembered, so no client can fill the cache with long junk.
        return raw == null || raw.length() > MAX_LENGTH ? parseTyped(raw) : cached(parsed, raw, this::parseTyped);
    }

    private Result parseTyped(String raw) {
        if (raw == null || raw.isBlank()) {
            return invalid("phone_required", "phone is required.");
        }
        String typed = raw.strip();
        if (typed.length() > MAX_LENGTH || !TYPED_NUMBER.matcher(typed).matches()) {
            return notANumber();
        }
        return parseValid(typed).<Result>map(this::valid).orElseGet(PhoneNumbers::notANumber);
    }

    /**
     * How a stored E.164 number is shown in conversation lists: national format for numbers of the default region,
     * international format for the others so their country is not lost. Anything unparsable is shown as stored.
     */
    public String display(String e164) {
        return e164 == null ? null : cached(displayed, e164, this::format);
    }

    private static <T> T cached(Map<String, T> cache, String key, Function<String, T> compute) {
        if (cache.size() >= CACHED) {
            cache.clear();
        }
        return cache.computeIfAbsent(key, compute);
    }

    private String format(String e164) {
        return parseValid(e164)
                .map(number -> util.format(number, isHome(number)
                        ? PhoneNumberFormat.NATIONAL : PhoneNumberFormat.INTERNATIONAL))
                .orElse(e164);
    }

    private Optional<PhoneNumber> parseValid(String text) {
        if (text == null) {
            return Optional.empty();
        }
        try {
            PhoneNumber number = util.parse(text, defaultRegion);
            return util.isValidNumber(number) ? Optional.of(number) : Optional.empty();
        } catch (NumberParseException e) {
            return Optional.empty();
        }
    }

    private Result valid(PhoneNumber number) {
        return new Result.Valid(util.format(number, PhoneNumberFormat.E164),
                util.format(number, PhoneNumberFormat.NATIONAL), util.getRegionCodeForNumber(number));
    }

    private boolean isHome(PhoneNumber number) {
        return defaultRegion.equals(util.getRegionCodeForNumber(number));
    }

    private static Result notANumber() {
        return invalid("invalid_phone", "phone is not a valid phone number.");
    }

    private static Result invalid(String code, String message) {
        return new Result.Invalid(new ValidationError(code, message, FIELD));
    }
}
