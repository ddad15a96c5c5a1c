// "New chat": the phone number is checked as the operator types, and opens its conversation once it is valid.
import { api, errorText } from './api.js';
import { debounce } from './dom.js';
import { onLangChange } from './i18n.js';

const CHECK_DELAY_MS = 300;

/** els: {form, input, hint}. open(phone, display): opens the conversation of a number the server accepted. */
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
      const result = await api(`/chat/phone-check?phone=${encodeURIComponent(value)}`);
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
        result = await api(`/chat/phone-check?phone=${encodeURIComponent(value)}`);
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
}
