// The message info panel: clicking a bubble (or Enter on it) opens a modal <dialog> with where the message's
// delivery stands, why it waits, every attempt the server kept (GET /chat/messages/{id}), the next try, and
// Redeliver / Skip. While it is open, a live event about the message (or about the earlier one it waits for) makes
// it fetch the message again, so what it shows is always the server's. Escape closes it (the browser's own dialog
// behaviour) and focus goes back to the bubble.
import { api, errorText } from './api.js';
import { everySecond, fill, h, secondsUntil, STATUS } from './dom.js';
import { formatDateTime, formatNumber, onLangChange, t } from './i18n.js';

const BUBBLE = '[data-testid="message"]';
/** A click on these inside a bubble does what they do, not open the panel. */
const CONTROLS = 'a, button, audio, video, input, textarea, select, summary, [data-testid="failure-detail"]';
/** Where a message still may be redelivered or skipped (the server refuses the rest with a 409 anyway). */
const REDELIVERABLE = new Set(['failed', 'held']);
const SKIPPABLE = new Set(['failed', 'held', 'waiting']);

let panel = null; // the dialog's parts, built on first use
const current = { id: null, bubble: null, detail: null, error: null, loading: false, again: false };

/**
 * Opens the panel from a click on a bubble of `list`, or Enter on a focused one (local bubbles have no id yet, and
 * no details). The thread is one stop of the Tab key, not one per message: a single bubble is in the tab order (the
 * one last focused, else the newest) and the arrow keys move between them.
 */
export function wireMessageInfo(list) {
  list.addEventListener('click', (event) => {
    if (event.target.closest(CONTROLS) || String(window.getSelection() ?? '')) return;
    const bubble = event.target.closest(BUBBLE);
    if (bubble?.dataset.id) showMessageInfo(bubble.dataset.id, bubble);
  });
  list.addEventListener('keydown', (event) => {
    const bubble = event.target;
    if (!bubble.matches(BUBBLE)) return;
    const next = { ArrowUp: bubble.previousElementSibling, ArrowDown: bubble.nextElementSibling }[event.key];
    if (next?.matches(BUBBLE)) {
      event.preventDefault();
      next.focus();
    } else if (event.key === 'Enter' && bubble.dataset.id) {
      event.preventDefault();
      showMessageInfo(bubble.dataset.id, bubble);
    }
  });
  wireTabStop(list);
}

function wireTabStop(list) {
  let chosen = null;
  const settle = () => {
    if (!chosen?.isConnected) chosen = null;
    const stop = chosen ?? (list.lastElementChild?.matches(BUBBLE) ? list.lastElementChild : null);
    for (const other of list.querySelectorAll(`${BUBBLE}[tabindex="0"]`)) {
      if (other !== stop) other.tabIndex = -1;
    }
    if (stop) stop.tabIndex = 0;
  };
  new MutationObserver(settle).observe(list, { childList: true });
  list.addEventListener('focusin', (event) => {
    const bubble = event.target.closest(BUBBLE);
    if (!bubble) return;
    chosen = bubble;
    settle();
  });
}

/** A live message event: the open panel fetches its message again when the change concerns it. */
export function messageInfoEvent(event) {
  if (!panel?.dialog.open) return;
  if (event.id === current.id || event.id === current.detail?.waiting_for?.id) refresh();
}

function showMessageInfo(id, bubble) {
  panel ??= build();
  Object.assign(current, { id, bubble, detail: null, error: null, loading: false, again: false });
  render();
  if (!panel.dialog.open) panel.dialog.showModal();
  panel.close.focus();
  refresh();
}

function build() {
  const title = h('h2', { id: 'message-info-title', text: t('info.title') });
  const close = h('button', { type: 'button', class: 'icon-button', testid: 'info-close', text: '✕',
    onclick: () => dialog.close() });
  const body = h('div', { class: 'info-body' });
  const dialog = h('dialog', { class: 'info-panel', testid: 'message-info', 'aria-labelledby': 'message-info-title' },
    h('header', { class: 'info-head' }, title, close), body);
  dialog.addEventListener('close', () => {
    const id = current.id;
    current.id = null;
    const bubble = current.bubble?.isConnected ? current.bubble
      : document.querySelector(`${BUBBLE}[data-id="${CSS.escape(id ?? '')}"]`);
    bubble?.focus();
  });
  document.body.append(dialog);
  onLangChange(() => {
    if (dialog.open) render();
  });
  return { dialog, title, close, body };
}

/** Fetches the open message; a change arriving meanwhile makes one more fetch after this one, never two at once. */
async function refresh() {
  if (current.loading) {
    current.again = true;
    return;
  }
  const id = current.id;
  current.loading = true;
  try {
    const detail = await api(`/chat/messages/${encodeURIComponent(id)}`);
    if (id === current.id) Object.assign(current, { detail, error: null });
  } catch (e) {
    if (id === current.id) current.error = errorText(e);
  }
  if (id !== current.id) return;
  current.loading = false;
  render();
  if (current.again) {
    current.again = false;
    refresh();
  }
}

function render() {
  panel.title.textContent = t('info.title');
  panel.close.title = t('info.close');
  panel.close.setAttribute('aria-label', t('info.close'));
  const { detail, error } = current;
  const alert = h('p', { class: 'field-error', role: 'alert', testid: 'info-error', text: error ?? '' });
  if (!detail) {
    fill(panel.body, error ? null : h('p', { class: 'muted', text: t('info.loading') }), alert);
    return;
  }
  fill(panel.body, about(detail), facts(detail), h('h3', { text: t('info.attempts') }), attempts(detail.history ?? []),
    alert, actions(detail));
}

/** What the message is: its text's start or its file's name. */
function about(detail) {
  const text = detail.attachment?.filename ?? detail.text ?? '';
  return h('p', { class: 'info-about', testid: 'info-about', text });
}

function facts(detail) {
  const status = detail.status;
  const info = STATUS[status] ?? { icon: '?', key: 'status.unknown' };
  const rows = [
    [t('info.status'), h('span', { testid: 'info-status', dataset: { status } }, `${info.icon} ${t(info.key)}`)],
    [t('info.reason'), reason(detail)],
    [t('info.tries'), detail.max_attempts
      ? t('status.attemptOf', { n: detail.attempts, max: detail.max_attempts }) : String(detail.attempts)],
    [t('info.next'), nextTry(detail)],
    [t('info.created'), formatDateTime(detail.created_at)],
  ];
  return h('dl', { class: 'facts info-facts' }, rows.filter(([, value]) => value)
    .flatMap(([term, value]) => [h('dt', { text: term }), h('dd', {}, value)]));
}

/** Why the message is not delivered yet, in words; null when nothing holds it. */
function reason(detail) {
  const head = detail.waiting_for;
  const parts = [];
  if (detail.status === 'waiting' && head) {
    parts.push(t('info.waitingFor', { status: t(STATUS[head.status]?.key ?? 'status.unknown') }));
    if (head.last_error) parts.push(head.last_error);
  } else if (detail.status === 'held') {
    parts.push(t('info.held'));
  } else if (['retrying', 'failed'].includes(detail.status) && detail.last_error) {
    parts.push(detail.last_error);
  }
  if (detail.blocking) parts.push(t('status.blocking'));
  return parts.length ? h('span', { testid: 'info-reason', text: parts.join(' · ') }) : null;
}

/** "15:04:05 (in 12s)", counting down while shown; null when no try is planned. */
function nextTry(detail) {
  const at = ['queued', 'retrying'].includes(detail.status) ? detail.next_attempt_at : null;
  if (!at) return null;
  const el = h('time', { datetime: at, testid: 'info-next' });
  let shown = false;
  everySecond(() => {
    if (shown && !el.isConnected) return false;
    shown = true;
    const seconds = secondsUntil(at);
    el.textContent = `${formatDateTime(at)} (${seconds > 0 ? t('info.in', { s: seconds }) : t('status.tryingNow')})`;
    return true;
  });
  return el;
}

function attempts(history) {
  if (history.length === 0) return h('p', { class: 'muted', testid: 'info-no-attempts', text: t('info.noAttempts') });
  return h('ol', { class: 'info-attempts', testid: 'info-attempts' }, history.map((a) => {
    const outcome = a.status_code != null ? `HTTP ${a.status_code}` : a.error ?? t('status.noReason');
    const line = [`#${a.number}`, formatDateTime(a.started_at), t('info.ms', { ms: formatNumber(a.duration_ms) }),
      outcome];
    const ok = a.status_code != null && a.status_code >= 200 && a.status_code < 300;
    return h('li', { class: `info-attempt${ok ? ' ok' : ' bad'}`, testid: 'info-attempt',
      dataset: { number: String(a.number), status: a.status_code == null ? '' : String(a.status_code) } },
    h('span', { class: 'info-attempt-line', text: line.join(' · ') }),
    a.status_code != null && a.error ? h('span', { class: 'small', text: a.error }) : null,
    a.response_snippet ? h('pre', { class: 'info-snippet', testid: 'info-snippet', text: a.response_snippet }) : null);
  }));
}

function actions(detail) {
  const { status } = detail;
  const redeliver = REDELIVERABLE.has(status) || status === 'delivered'
    ? button('info-redeliver', status === 'delivered' ? t('info.sendAgain') : t('message.resend'),
      `/chat/messages/${encodeURIComponent(detail.id)}/redeliver${status === 'delivered' ? '?force=true' : ''}`)
    : null;
  const skip = SKIPPABLE.has(status)
    ? button('info-skip', t('message.skip'), `/chat/messages/${encodeURIComponent(detail.id)}/skip`, t('message.skipTitle'))
    : null;
  return h('div', { class: 'info-actions' }, redeliver, skip);
}

function button(testid, text, path, title = null) {
  const el = h('button', { type: 'button', class: 'button small', testid, text, title });
  el.addEventListener('click', async () => {
    el.disabled = true;
    try {
      await api(path, { method: 'POST' });
      current.error = null;
    } catch (e) {
      current.error = errorText(e);
    }
    refresh();
  });
  return el;
}
