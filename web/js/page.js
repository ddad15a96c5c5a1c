// What both pages share: language switch, the sign-in box, the offline banner and the event stream.
import { api, errorText, onUnauthorized } from './api.js';
import { connectEvents } from './events.js';
import { applyI18n, currentLang, LANGUAGES, onLangChange, setLang, t } from './i18n.js';
import { byId, h } from './dom.js';

let signingIn = null;

/**
 * Starts a page: translates it, signs in first when the server asks for it, then calls load() and
 * connects the event stream; load() runs again after every reconnect (and after a sign-in, and when the server
 * says it may have missed changes: a `resync` event) so nothing that changed meanwhile is missed. connected() runs on every (re)open of the stream: what the page sends from then on
 * has its changes heard.
 */
export async function startPage({ load, handlers, connected }) {
  applyI18n(document);
  mountLanguageSwitch();
  let stream = null;
  let loadedOk = false;
  const reload = async () => {
    try {
      await load();
      loadedOk = true;
      // Marks the page as showing the server's data (tests and screenshots wait for it).
      document.body.dataset.loaded = 'true';
    } catch (e) {
      loadedOk = false;
      if (e?.status !== 401) console.warn('Loading failed:', e?.message ?? e);
    }
  };
  onUnauthorized(() => {
    signIn().then(() => {
      reload();
      stream?.reconnectNow();
    });
  });
  await ensureSession();
  await reload();
  stream = connectEvents({
    ...handlers,
    // The server may have missed changes made on another instance: fetched again, as after a reconnect.
    resync: reload,
    open({ reconnected }) {
      setOffline(false);
      if (reconnected || !loadedOk) reload();
      connected?.();
    },
    down() {
      setOffline(true);
    },
  });
}

async function ensureSession() {
  try {
    const session = await api('/chat/session');
    if (session?.auth_required && !session.signed_in) await signIn();
  } catch (e) {
    // The server may be restarting: the page loads anyway and the stream brings it back when it is up.
    if (e?.status !== 401) console.warn('Session check failed:', e?.message ?? e);
  }
}

function setOffline(offline) {
  const banner = byId('offline-banner');
  if (banner) banner.hidden = !offline;
}

/** Shows the sign-in box; resolves once the server accepted a token. One box at a time. */
function signIn() {
  if (signingIn) return signingIn;
  signingIn = new Promise((resolve) => {
    const input = h('input', { id: 'signin-token', type: 'password', autocomplete: 'current-password',
      required: true, testid: 'signin-token', 'aria-describedby': 'signin-error' });
    const error = h('p', { class: 'field-error', id: 'signin-error', role: 'alert', testid: 'signin-error' });
    const form = h('form', { class: 'signin card', 'aria-labelledby': 'signin-title', testid: 'signin-form' },
      h('h2', { id: 'signin-title', 'data-i18n': 'signin.title' }),
      h('p', { class: 'muted', 'data-i18n': 'signin.hint' }),
      h('label', { for: 'signin-token', 'data-i18n': 'signin.token' }),
      input,
      error,
      h('button', { type: 'submit', class: 'button primary', 'data-i18n': 'signin.submit', testid: 'signin-submit' }));
    const box = h('div', { class: 'overlay', testid: 'signin', role: 'dialog', 'aria-modal': 'true',
      'aria-labelledby': 'signin-title' }, form);
    applyI18n(box);
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      error.textContent = '';
      try {
        await api('/login', { method: 'POST', body: { token: input.value } });
        box.remove();
        signingIn = null;
        resolve();
      } catch (e) {
        error.textContent = e.status === 401 ? t('signin.wrong') : errorText(e);
        input.select();
      }
    });
    document.body.append(box);
    input.focus();
  });
  return signingIn;
}

function mountLanguageSwitch() {
  const select = byId('lang-switch');
  if (!select) return;
  select.replaceChildren(...LANGUAGES.map(({ code, name }) => h('option', { value: code, lang: code, text: name })));
  select.value = currentLang();
  select.addEventListener('change', () => setLang(select.value));
  onLangChange(() => {
    select.value = currentLang();
  });
}
