package relay.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class PhoneNumbersTest {
    private final PhoneNumbers brazil = new PhoneNumbers("BR");
    private final PhoneNumbers unitedStates = new PhoneNumbers("US");

    @ParameterizedTest
    @ValueSource(strings = {
            "+55 11 99999-9999", "+5511999999999", "11999999999", "(11) 99999-9999", "11 99999.9999",
            "  +55 (11) 99999-9999  ", "011 99999-9999", "+55\u00A011\u00A099999\u00A09999"})
    void shouldReadBrazilianMobileNumbersHoweverTheyAreWritten(String typed) {
        PhoneNumbers.Result result = brazil.parse(typed);

        assertEquals(new PhoneNumbers.Result.Valid("+5511999999999", "(11) 99999-9999", "BR"), result);
    }

    @ParameterizedTest
    @ValueSource(strings = {"+1 650-253-0000", "+1 (650) 253-0000", "+16502530000"})
    void shouldReadInternationalNumbersWhateverTheDefaultRegion(String typed) {
        PhoneNumbers.Result result = brazil.parse(typed);

        assertEquals(new PhoneNumbers.Result.Valid("+16502530000", "(650) 253-0000", "US"), result);
    }

    @ParameterizedTest
    @ValueSource(strings = {"650 253 0000", "650-253-0000", "(650) 253-0000", "650.253.0000", "1 650 253 0000"})
    void shouldReadNumbersWithoutPlusInTheDefaultRegion(String typed) {
        PhoneNumbers.Result result = unitedStates.parse(typed);

        assertEquals(new PhoneNumbers.Result.Valid("+16502530000", "(650) 253-0000", "US"), result);
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "123", "+55 11 1234", "abc", "+55 11 9999A-9999", "1-800-FLOWERS", "+999 1234567",
            "+55 11 99999-9999 ext. 12", "tel:+5511999999999", "++5511999999999", "11 99999-9999+",
            "1234567890123456789012345678901234567890"})
    void shouldRejectWhatIsNotAValidNumber(String typed) {
        PhoneNumbers.Result result = brazil.parse(typed);

        assertEquals(new PhoneNumbers.Result.Invalid(new ValidationError("invalid_phone",
                "phone is not a valid phone number.", "phone")), result);
    }

    @Test
    void shouldRejectNumbersLongerThanThirtyTwoCharactersEvenWhenTheDigitsAreValid() {
        String padded = "+55" + " ".repeat(17) + "11 99999-9999";
        assertEquals(33, padded.length());

        assertInstanceOf(PhoneNumbers.Result.Invalid.class, brazil.parse(padded));
        assertInstanceOf(PhoneNumbers.Result.Valid.class, brazil.parse(padded.replaceFirst(" ", "")));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", "\t\n"})
    void shouldAskForAPhoneWhenNoneIsGiven(String typed) {
        assertEquals(new PhoneNumbers.Result.Invalid(new ValidationError("phone_required", "phone is required.",
                "phone")), brazil.parse(typed));
    }

    @Test
    void shouldAskForAPhoneWhenItIsNull() {
        assertEquals("phone_required",
                assertInstanceOf(PhoneNumbers.Result.Invalid.class, brazil.parse(null)).error().code());
    }

    @ParameterizedTest
    @CsvSource({
            "+5511999999999, (11) 99999-9999",
            "+552133334444, (21) 3333-4444",
            "+16502530000, +1 650-253-0000",
            "+4930123456, +49 30 123456",
            "not-a-number, not-a-number",
            "+5511, +5511"})
    void shouldDisplayHomeNumbersNationallyAndOthersInternationally(String stored, String shown) {
        assertEquals(shown, brazil.display(stored));
    }

    @Test
    void shouldRefuseAnUnknownDefaultRegion() {
        assertThrows(IllegalArgumentException.class, () -> new PhoneNumbers("XX"));
    }

    @Test
    void shouldAcceptALowerCaseDefaultRegion() {
        assertInstanceOf(PhoneNumbers.Result.Valid.class, new PhoneNumbers("br").parse("11999999999"));
    }
}
