// "New chat": the phone number is checked as the operator types, and opens its conversation once it is valid.
import { api, ApiError, errorText } from './api.js';
import { debounce } from './dom.js';
import { onLangChange } from './i18n.js';

const CHECK_DELAY_MS = 300;

/**
 * The number as the server reads it: {phone, display}, or an ApiError saying why it is not one. The lenient check
 * answers 200 either way, so typing a wrong number logs no failed request in the console.
 */
export async function checkPhone(value) {
  const answer = await api(`/chat/phone-check?lenient=true&phone=${encodeURIComponent(value)}`);
  if (answer.valid === false) {
    const { code, message, field } = answer.error ?? {};
    throw new ApiError(400, code ?? 'invalid_phone', message ?? 'Not a valid phone number.', field ?? 'phone');
  }
  return answer;
}

/**
 * els: {form, input, hint}. open(phone, display): opens the conversation of a number the server accepted.
 * Returns {refused(value, error)}: shows a number that was refused elsewhere (an address) in the box with why.
 */
export function createNewChat(els, open) {
  let last = null; // {input, result|error} of the last answered check

  const checkAsTyped = debounce(async () => {
    const value = els.input.value.trim();
    if (!value) {
      showHint(null);
      last = null;
      return;
    }
    try {
      const result = await checkPhone(value);
      if (els.input.value.trim() !== value) return;
      remember({ input: value, result });
    } catch (e) {
      if (els.input.value.trim() !== value) return;
      remember({ input: value, error: e });
    }
  }, CHECK_DELAY_MS);

  function remember(check) {
    last = check;
    showHint(hintOf(check));
  }

  function hintOf(check) {
    return check.result
      ? { ok: true, text: `${check.result.display} · ${check.result.phone}` }
      : { ok: false, text: errorText(check.error) };
  }

  function showHint(hint) {
    els.hint.textContent = hint ? hint.text : '';
    els.hint.className = hint ? (hint.ok ? 'hint ok' : 'hint field-error') : 'hint';
    els.hint.dataset.state = hint ? (hint.ok ? 'valid' : 'invalid') : '';
    els.input.setAttribute('aria-invalid', hint && !hint.ok ? 'true' : 'false');
  }

  async function submit(event) {
    event.preventDefault();
    const value = els.input.value.trim();
    let result = last?.input === value ? last.result : null;
    if (!result) {
      try {
        result = await checkPhone(value);
      } catch (e) {
        remember({ input: value, error: e });
        els.input.focus();
        return;
      }
    }
    els.input.value = '';
    showHint(null);
    last = null;
    open(result.phone, result.display);
  }

  els.input.addEventListener('input', () => {
    if (!els.input.value.trim()) showHint(null);
    checkAsTyped();
  });
  els.form.addEventListener('submit', submit);
  onLangChange(() => {
    if (last) showHint(hintOf(last));
  });
  return {
    refused(value, error) {
      els.input.value = value;
      remember({ input: value, error });
    },
  };
}
