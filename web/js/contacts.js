// A name for the open conversation's phone, edited from the thread's header: PUT /chat/contacts/{phone} names it,
// DELETE takes the name away. The answer is shown at once; every other tab learns it from the `contact` event.
import { api, errorText } from './api.js';
import { t } from './i18n.js';

/**
 * els: {button, form, input, remove, cancel, error}. host: {phone(), name(), saved(contact)}: the open phone, its
 * name as now shown, and what to do with the server's answer ({phone, phone_display, contact_name}).
 */
export function wireContactEditor(els, host) {
  let busy = false;

  function open() {
    const phone = host.phone();
    if (!phone) return;
    els.input.value = host.name() ?? '';
    els.remove.hidden = !host.name();
    setError('');
    els.form.hidden = false;
    els.button.setAttribute('aria-expanded', 'true');
    els.input.focus();
    els.input.select();
  }

  function close({ focusButton = true } = {}) {
    els.form.hidden = true;
    els.button.setAttribute('aria-expanded', 'false');
    if (focusButton) els.button.focus();
  }

  function setError(text) {
    els.error.textContent = text;
    els.input.setAttribute('aria-invalid', text ? 'true' : 'false');
  }

  /** name: the new name, or null to remove it. */
  async function save(name) {
    const phone = host.phone();
    if (busy || !phone) return;
    if (name !== null && !name.trim()) {
      setError(t('error.name_blank'));
      return;
    }
    busy = true;
    try {
      const path = `/chat/contacts/${encodeURIComponent(phone)}`;
      const contact = name === null ? await api(path, { method: 'DELETE' })
        : await api(path, { method: 'PUT', body: { name } });
      host.saved(contact);
      close();
    } catch (e) {
      setError(errorText(e));
      els.input.focus();
    } finally {
      busy = false;
    }
  }

  els.button.setAttribute('aria-controls', els.form.id);
  els.button.setAttribute('aria-expanded', 'false');
  els.button.addEventListener('click', () => (els.form.hidden ? open() : close()));
  els.form.addEventListener('submit', (event) => {
    event.preventDefault();
    save(els.input.value);
  });
  els.remove.addEventListener('click', () => save(null));
  els.cancel.addEventListener('click', () => close());
  els.form.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') {
      event.stopPropagation();
      close();
    }
  });
  return {
    /** Another conversation was opened (or none): an open editor belonged to the one left. */
    closeQuietly() {
      if (!els.form.hidden) close({ focusButton: false });
    },
  };
}
