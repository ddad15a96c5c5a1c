// The open conversation's messages: every bubble is an item keyed by its message id (or a local key until the
// server has accepted it), updated in place from the server's answers and the live events, newest state winning by
// updated_at. The list on screen is rendered from the items: their order is computed, never read back from the DOM.
import { api, errorText } from './api.js';
import { everySecond, fill, h, KIND_ICONS, secondsUntil, STATUS } from './dom.js';
import { formatDateTime, formatSize, formatTime, t } from './i18n.js';
import { attachmentLinks, mediaPreview } from './media.js';

const EARLY_EVENT_MS = 400; // how long a change may wait for its message's POST answer before the message is fetched
const STICK_PX = 80; // how close to the end the reader counts as following the conversation

/**
 * els: {thread (the scroller), messages (the list), newMessages (the button that counts what arrived below)}. host: {phone(), circuit(), announce(text), dismiss(item)}: the
 * open conversation, the circuit's last state, the screen-reader announcer, and what drops an unsent message.
 */
export function createThread(els, host) {
  let items = new Map(); // key -> item of the open conversation
  // Delivery changes of messages not shown yet, by id: a message's events can overtake the answer to its POST.
  const early = new Map();
  // Messages from elsewhere that arrived while the reader was further up: counted on a button until seen.
  let unseen = 0;
  els.newMessages.addEventListener('click', scrollToBottom);
  els.thread.addEventListener('scroll', () => {
    if (unseen > 0 && isNearBottom()) seen();
  }, { passive: true });

  function reset() {
    items = new Map();
    fill(els.messages);
    seen();
  }

  /** Puts the server's views of messages in the thread, unless what is shown is newer. */
  function upsertViews(views) {
    for (const view of views) mergeView(view);
    order();
  }

  function upsertView(view) {
    const item = mergeView(view);
    order();
    return item;
  }

  function mergeView(view) {
    const existing = items.get(view.id);
    if (existing) {
      if (isNewer(view, existing.view)) {
        existing.view = { ...existing.view, ...view };
        render(existing);
      }
      return existing;
    }
    const item = { key: view.id, local: false, view, upload: null, error: null };
    mount(item);
    takeEarlyEvent(item);
    return item;
  }

  /** Shows a message the server has not accepted yet (after the server's ones, in the order they were sent). */
  function addLocal(item) {
    if (items.get(item.key) !== item) mount(item);
    order();
  }

  function mount(item) {
    items.set(item.key, item);
    const body = h('div', { class: 'bubble-body' });
    const extra = h('div', { class: 'bubble-extra' });
    const meta = h('div', { class: 'bubble-meta' });
    item.parts = { body, extra, meta };
    item.el = h('li', { class: 'bubble out', testid: 'message', tabindex: '-1' }, body, extra, meta);
    render(item);
  }

  /** Server messages by sequence, then local ones in the order they were sent; the DOM is moved to match. */
  function order() {
    const sorted = [...items.values()].sort(compare);
    let at = els.messages.firstElementChild;
    for (const item of sorted) {
      if (at === item.el) {
        at = at.nextElementSibling;
      } else {
        els.messages.insertBefore(item.el, at);
      }
    }
  }

  function compare(a, b) {
    const [sa, la] = rank(a);
    const [sb, lb] = rank(b);
    return sa - sb || la - lb;
  }

  function rank(item) {
    return item.local ? [Infinity, item.order ?? 0] : [item.view.sequence ?? Infinity, 0];
  }

  /** The server's view replaces the optimistic bubble (or joins the one an event already brought). */
  function accepted(item, view) {
    if (items.get(item.key) !== item) return;
    items.delete(item.key);
    const known = items.get(view.id);
    if (known) {
      item.el.remove();
      if (isNewer(view, known.view)) {
        known.view = { ...known.view, ...view };
        render(known);
      }
      return;
    }
    const stick = isNearBottom();
    item.key = view.id;
    item.local = false;
    item.view = view;
    items.set(view.id, item);
    render(item);
    order();
    if (stick) scrollToBottom();
    takeEarlyEvent(item);
  }

  function remove(item) {
    if (items.get(item.key) !== item) return;
    items.delete(item.key);
    item.el.remove();
  }

  /** Redraws a bubble when it is on screen. */
  function rerender(item) {
    if (items.get(item.key) === item) render(item);
  }

  function render(item) {
    const { view, el } = item;
    const status = item.local ? localStatus(item) : view.status;
    el.dataset.id = item.local ? '' : view.id;
    el.dataset.key = item.key;
    el.dataset.status = status;
    el.dataset.local = String(item.local);
    el.classList.toggle('has-error', Boolean(item.error) || status === 'failed');
    // The body (text, file, thumbnail) is rebuilt only when its file changes, so an image is not reloaded per event.
    const bodyKey = view.attachment ? (view.attachment.id ?? `local:${item.key}`) : '';
    if (item.bodyKey !== bodyKey) {
      item.bodyKey = bodyKey;
      fill(item.parts.body, view.attachment ? attachmentChip(item) : null,
        // elementtiming: the browser notes when a bubble is first painted, which `make bench` reads as "thread ready".
        view.text ? h('p', { class: 'bubble-text', testid: 'message-text', elementtiming: 'relay:message' },
          linkify(view.text)) : null);
    }
    renderExtra(item);
    renderMeta(item);
  }

  /** After a change of language: every bubble again, bodies included. */
  function redraw() {
    for (const item of items.values()) {
      item.bodyKey = null;
      render(item);
    }
    renderNewMessages();
  }

  /** Upload progress and errors of a message the server has not accepted yet. */
  function renderExtra(item) {
    const parts = [];
    if (item.upload) parts.push(progress(item));
    if (item.error) {
      parts.push(h('p', { class: 'field-error', role: 'alert', testid: 'message-error', text: item.error }),
        h('div', { class: 'bubble-actions' },
          item.retry ? h('button', { type: 'button', class: 'button small', testid: 'message-retry', text: t('message.retry'),
            onclick: () => item.retry() }) : null,
          h('button', { type: 'button', class: 'button small', testid: 'message-dismiss', text: t('message.dismiss'),
            onclick: () => host.dismiss(item) })));
    }
    fill(item.parts.extra, parts);
  }

  function progress(item) {
    const bar = h('progress', { testid: 'upload-progress', 'aria-label': t('upload.label') });
    const label = h('span', { class: 'small muted', testid: 'upload-percent' });
    item.parts.progress = { bar, label };
    paintProgress(item);
    return h('div', { class: 'progress', testid: 'upload' }, bar, label,
      h('button', { type: 'button', class: 'link-button small', testid: 'upload-cancel', text: t('upload.cancel'),
        onclick: () => item.abort?.() }));
  }

  /** Progress events come fast: only the bar and its label change, not the bubble. */
  function showProgress(item) {
    if (items.get(item.key) !== item) return;
    if (item.upload && item.parts.progress?.bar.isConnected) paintProgress(item);
    else render(item);
  }

  function paintProgress(item) {
    const { bar, label } = item.parts.progress;
    const { loaded, total } = item.upload;
    bar.max = total || 1;
    bar.value = loaded;
    bar.dataset.loaded = String(loaded);
    bar.dataset.total = String(total);
    const percent = total ? Math.floor((loaded / total) * 100) : 0;
    label.textContent = t('upload.progress', { percent, loaded: formatSize(loaded), total: formatSize(total) });
  }

  function renderMeta(item) {
    const { view } = item;
    const box = item.parts.meta;
    const status = item.local ? 'local' : view.status;
    const info = STATUS[status] ?? { icon: '?', key: 'status.unknown' };
    const time = h('time', { class: 'bubble-time', datetime: view.created_at, title: formatDateTime(view.created_at),
      text: formatTime(view.created_at) });
    const label = t(info.key);
    if (item.local && item.error) {
      fill(box, time, h('span', { class: 'mark s-failed', testid: 'mark', title: t('status.unsent'), text: '!' }));
      return;
    }
    if (item.local && item.offline) {
      fill(box, time, h('span', { class: 'mark s-offline', testid: 'mark', title: t('outbox.waiting'), role: 'img',
        'aria-label': t('outbox.waiting'), text: '🕓' }),
      h('span', { class: 'retry-line small outbox-line', testid: 'outbox-info', text: t('outbox.waiting') }));
      return;
    }
    if (status === 'failed') {
      fill(box, time, ...failedLine(item, label));
      return;
    }
    const mark = h('span', { class: `mark s-${status}`, testid: 'mark', title: label, role: 'img', 'aria-label': label,
      text: info.icon });
    let line = null;
    if (status === 'retrying' || status === 'held') line = retryLine(item);
    else if (status === 'waiting') line = waitingLine(item);
    fill(box, time, mark, line);
  }

  /** ✗ with its reason (click for the detail), Resend, and Skip when it holds its conversation back. */
  function failedLine(item, label) {
    const { view } = item;
    const reason = view.last_error || t('status.noReason');
    const detailId = `detail-${item.key}`;
    const detail = h('p', { class: 'failure-detail', id: detailId, testid: 'failure-detail', hidden: true },
      t('status.failedDetail', { attempts: view.attempts, max: view.max_attempts, reason }));
    const mark = h('button', { type: 'button', class: 'mark s-failed mark-button', testid: 'mark', title: reason,
      'aria-label': `${label}: ${reason}`, 'aria-expanded': 'false', 'aria-controls': detailId, text: '✗' });
    mark.addEventListener('click', () => toggleDetail(mark, detail));
    const resend = h('button', { type: 'button', class: 'button small resend', testid: 'resend', text: t('message.resend') });
    resend.addEventListener('click', () => act(item, resend, 'redeliver', 'announce.resent'));
    // A failed message that holds its conversation back (strict ordering) can also be let go.
    const skip = view.blocking ? h('button', { type: 'button', class: 'button small skip', testid: 'skip',
      text: t('message.skip'), title: t('message.skipTitle') }) : null;
    skip?.addEventListener('click', () => act(item, skip, 'skip', 'announce.skipped'));
    const blocks = view.blocking ? h('span', { class: 'blocking-note small', testid: 'blocking', text: t('status.blocking') })
      : null;
    return [h('span', { class: 'failed-line' }, mark, resend, skip), blocks, detail];
  }

  /**
   * "waits for an earlier message · its retry in …s": a message behind an unfinished earlier one of its conversation,
   * which it goes after. Clicking shows the earlier message when it is on the page.
   */
  function waitingLine(item) {
    const { view } = item;
    const head = view.waiting_for;
    const line = h('button', { type: 'button', class: 'link-button retry-line small waiting-line', testid: 'waiting-info',
      title: t('status.waitingTitle') });
    line.addEventListener('click', () => {
      const shown = head && items.get(head.id);
      if (shown) highlight(shown);
    });
    everySecond(ticking(line, item, view, () => {
      const parts = [t('status.waitingFor')];
      if (head?.status === 'failed') parts.push(t('status.headFailed'));
      if (head?.status === 'held') parts.push(t('status.heldShort'));
      const seconds = head?.status === 'retrying' ? secondsUntil(head.next_attempt_at) : null;
      if (seconds != null) parts.push(seconds > 0 ? t('status.headRetryIn', { s: seconds }) : t('status.tryingNow'));
      line.textContent = parts.join(' · ');
    }));
    return line;
  }

  /** "attempt n of max · next try in …s", counting down every second while it is on the page. */
  function retryLine(item) {
    const { view } = item;
    const line = h('span', { class: 'retry-line small', testid: 'retry-info' });
    everySecond(ticking(line, item, view, () => {
      const parts = [];
      if (view.status === 'held') parts.push(t('status.heldShort'));
      if (view.max_attempts && view.attempts > 0) parts.push(t('status.attemptOf', { n: view.attempts, max: view.max_attempts }));
      // A held message waits for the circuit's probe rather than for a time of its own.
      const circuit = host.circuit();
      const at = view.status === 'held' && circuit?.state === 'open' ? circuit.retry_at : view.next_attempt_at;
      const seconds = secondsUntil(at);
      if (seconds != null) parts.push(seconds > 0 ? t('status.nextIn', { s: seconds }) : t('status.tryingNow'));
      line.textContent = parts.join(' · ');
      line.dataset.seconds = seconds == null ? '' : String(seconds);
    }));
    return line;
  }

  /** A ticker that updates its line while the line is on the page and still shows this view of the item. */
  function ticking(line, item, view, update) {
    return () => {
      if (!line.isConnected && line.dataset.started) return false;
      line.dataset.started = 'true';
      if (item.view !== view) return false;
      update();
      return true;
    };
  }

  /** Resend or Skip: the server's answer replaces the bubble; a refusal is shown on it. */
  async function act(item, button, action, announcement) {
    button.disabled = true;
    try {
      const view = await api(`/chat/messages/${encodeURIComponent(item.view.id)}/${action}`, { method: 'POST' });
      if (view) upsertView(view);
      host.announce(t(announcement));
    } catch (e) {
      button.disabled = false;
      fill(item.parts.extra, h('p', { class: 'field-error', role: 'alert', testid: 'message-error', text: errorText(e) }));
      if (e.code === 'already_delivered' || e.code === 'delivery_in_progress') fetchView(item.view.id);
    }
  }

  /** Fetches one message of the open conversation and shows it (new ones keep the reader at the end). */
  async function fetchView(id) {
    try {
      const view = await api(`/chat/messages/${encodeURIComponent(id)}`);
      if (view.phone !== host.phone()) return;
      const stick = isNearBottom();
      upsertView(view);
      arrived(stick);
    } catch {
      // the next event or reload brings it
    }
  }

  /** A delivery change of a message of the open conversation: merged into its bubble, or the message fetched. */
  function applyMessageEvent(event) {
    const item = items.get(event.id);
    if (item) {
      applyEvent(item, event);
      return;
    }
    // Sent from another tab or client while nothing of ours is on its way: its row carries it whole, so the
    // bubble shows with the list's entry, from the same event.
    const last = event.conversation?.last_message;
    if (last?.id === event.id && !host.sending(event.phone)) {
      const stick = isNearBottom();
      upsertView(last);
      arrived(stick);
      return;
    }
    // Usually our own message whose POST answer is on its way: keep the newest change until it arrives,
    // and fetch the message if it does not come soon (sent from another tab or client).
    const kept = early.get(event.id);
    if (!kept || isNewer(event, kept)) early.set(event.id, event);
    setTimeout(() => {
      const newest = early.get(event.id);
      if (!newest) return;
      early.delete(event.id);
      if (newest.phone !== host.phone()) return;
      const known = items.get(event.id);
      if (known) applyEvent(known, newest);
      else fetchView(event.id);
    }, EARLY_EVENT_MS);
  }

  function applyEvent(item, event) {
    if (!isNewer(event, item.view)) return;
    item.view = { ...item.view, ...event };
    render(item);
    order();
    if (event.status === 'failed') host.announce(t('announce.failed'));
    followHead(event);
  }

  /** The messages that wait for this one show where it now stands (its retry, its failure). */
  function followHead(event) {
    for (const other of items.values()) {
      const view = other.view;
      if (other.local || view.status !== 'waiting' || view.waiting_for?.id !== event.id) continue;
      other.view = { ...view, waiting_for: { ...view.waiting_for, status: event.status, attempts: event.attempts,
        next_attempt_at: event.next_attempt_at, last_error: event.last_error } };
      render(other);
    }
  }

  /** A change that arrived before the message's bubble had its id. */
  function takeEarlyEvent(item) {
    const event = early.get(item.key);
    if (!event) return;
    early.delete(item.key);
    applyEvent(item, event);
  }

  function highlight(item) {
    // Shown once: a later reload (after a reconnect) must not jump back to it.
    history.replaceState(null, '', `#phone=${encodeURIComponent(host.phone())}`);
    item.el.scrollIntoView({ block: 'center' });
    item.el.classList.add('highlight');
    item.el.focus({ preventScroll: true });
    setTimeout(() => item.el.classList.remove('highlight'), 4000);
  }

  function isNearBottom() {
    return els.thread.scrollHeight - els.thread.scrollTop - els.thread.clientHeight < STICK_PX;
  }

  function scrollToBottom() {
    els.thread.scrollTop = els.thread.scrollHeight;
    seen();
  }

  /** A message from elsewhere was just shown: followed when the reader is at the end, else counted on the button. */
  function arrived(stick) {
    if (stick) {
      scrollToBottom();
      return;
    }
    unseen += 1;
    renderNewMessages();
  }

  function seen() {
    unseen = 0;
    renderNewMessages();
  }

  function renderNewMessages() {
    els.newMessages.hidden = unseen === 0;
    els.newMessages.textContent = unseen === 0 ? '' : t('thread.newMessages', { n: unseen });
  }

  return {
    reset,
    get size() {
      return items.size;
    },
    get: (key) => items.get(key),
    has: (key) => items.has(key),
    /** The oldest message the server has given, where the next older page starts. */
    oldest: () => [...items.values()].filter((item) => !item.local).sort(compare)[0] ?? null,
    upsertViews,
    upsertView,
    addLocal,
    accepted,
    remove,
    rerender,
    showProgress,
    redraw,
    applyMessageEvent,
    highlight,
    isNearBottom,
    scrollToBottom,
    closeDetails() {
      for (const detail of els.messages.querySelectorAll('[data-testid="failure-detail"]:not([hidden])')) {
        const button = els.messages.querySelector(`[aria-controls="${detail.id}"]`);
        if (button) toggleDetail(button, detail, false);
        else detail.hidden = true;
      }
    },
  };
}

function isNewer(incoming, current) {
  if (!current.updated_at || !incoming.updated_at) return true;
  return Date.parse(incoming.updated_at) >= Date.parse(current.updated_at);
}

/** unsent: refused; offline: waiting for the server to answer again; local: on its way. */
function localStatus(item) {
  if (item.error) return 'unsent';
  return item.offline ? 'offline' : 'local';
}

// An address as people write it in a message: up to the first space or quote, without a closing punctuation mark.
const LINK = /\bhttps?:\/\/[^\s<>"']+/gi;
const TRAILING = /[.,;:!?)\]}]+$/;

/**
 * The text as text nodes, with its http(s) addresses as links that open in a new tab without giving it this page
 * (noopener) or its address (noreferrer). Nothing is parsed as HTML, and only what URL reads as http(s) is a link.
 */
function linkify(text) {
  const nodes = [];
  let from = 0;
  for (const match of text.matchAll(LINK)) {
    const written = match[0].replace(TRAILING, '');
    const href = httpUrl(written);
    if (!href) continue;
    if (match.index > from) nodes.push(text.slice(from, match.index));
    nodes.push(h('a', { href, target: '_blank', rel: 'noopener noreferrer', class: 'bubble-link', testid: 'message-link',
      text: written }));
    from = match.index + written.length;
  }
  if (from < text.length) nodes.push(text.slice(from));
  return nodes;
}

function httpUrl(written) {
  try {
    const url = new URL(written);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
  } catch {
    return null;
  }
}

function toggleDetail(button, detail, open = detail.hidden) {
  detail.hidden = !open;
  button.setAttribute('aria-expanded', String(open));
}

/** A file's chip: icon, name, size, its thumbnail when it is an image, and a download link once it is stored. */
function attachmentChip(item) {
  const a = item.view.attachment;
  const kind = a.kind ?? 'document';
  const name = h('span', { class: 'chip-name', testid: 'attachment-name', text: a.filename, title: a.filename });
  const size = h('span', { class: 'chip-size muted small', testid: 'attachment-size', text: formatSize(a.size) });
  const chip = h('div', { class: `chip kind-${kind}`, testid: 'attachment', dataset: { kind } });
  const preview = mediaPreview({ ...a, kind }, item.previewUrl);
  if (preview) chip.append(preview);
  const icon = h('span', { class: 'chip-icon', 'aria-hidden': 'true', text: KIND_ICONS[kind] ?? '📎' });
  const info = h('span', { class: 'chip-info' }, name, size);
  const row = h('div', { class: 'chip-row' }, icon, info);
  row.append(...attachmentLinks(a));
  chip.append(row);
  return chip;
}
