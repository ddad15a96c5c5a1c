// The chat page: conversations on the left, the open thread on the right, a composer that never waits.
// Every bubble is keyed by its message id (or a local key until the server has accepted it) and updated
// in place from the server's answers and the live events, newest state winning by updated_at.
import { api, errorText, upload } from './api.js';
import { wireContactEditor } from './contacts.js';
import { createConversations } from './conversations.js';
import { byId, debounce, everySecond, fill, guessKind, h, KIND_ICONS, secondsUntil, STATUS } from './dom.js';
import { formatDateTime, formatSize, formatTime, onLangChange, t } from './i18n.js';
import { startPage } from './page.js';
import { createSearch } from './search.js';

const PAGE_SIZE = 50;
const MAX_TEXT = 4096; // code points, as the server counts them
const MAX_PAGES_TO_FIND = 40; // how far back a #message= link is searched

const els = {
  list: byId('conversation-list'),
  listEmpty: byId('conversations-empty'),
  listMore: byId('conversations-more'),
  listScroller: byId('conversations'),
  newChat: byId('new-chat'),
  newPhone: byId('new-chat-phone'),
  newHint: byId('new-chat-hint'),
  title: byId('thread-title'),
  subtitle: byId('thread-subtitle'),
  placeholder: byId('placeholder'),
  thread: byId('thread'),
  messages: byId('messages'),
  older: byId('load-older'),
  composer: byId('composer'),
  text: byId('composer-text'),
  error: byId('composer-error'),
  staged: byId('staged'),
  fileInput: byId('file-input'),
  attach: byId('attach-button'),
  dropZone: byId('drop-zone'),
  threadWrap: byId('thread-wrap'),
  back: byId('back-button'),
  indicators: [byId('circuit-indicator'), byId('circuit-indicator-thread')],
  announcer: byId('announcer'),
};

const state = {
  phone: null, // E.164 of the open conversation
  phoneDisplay: null,
  items: new Map(), // key -> item, for the open conversation
  hasMore: false,
  staged: [], // files chosen for the next message to the open conversation
  maxAttachmentBytes: null,
  circuit: null,
  threadLoad: 0, // bumps on every thread load so a slow answer for another phone is dropped
};
// Messages typed or uploading that the server has not accepted yet, by phone: they survive switching
// conversations and are shown after the server's messages of their thread.
const outgoing = new Map();
let localCounter = 0;
// Delivery changes of messages not shown yet, by id: a message's events can overtake the answer to its POST.
const early = new Map();
// The display the phone check gave for a chat that has no message yet.
let newChat = null;

// ---------------------------------------------------------------- conversations and drafts

const conversations = createConversations(
  { list: els.list, empty: els.listEmpty, more: els.listMore, scroller: els.listScroller },
  {
    openPhone: () => state.phone,
    openDisplay: () => state.phoneDisplay,
    draftOf: (phone) => drafts.get(phone) ?? null,
    announce: (text) => announce(text),
  },
);

// Contact names (edited from the thread's header) and the sidebar's search.
const contactEditor = wireContactEditor(
  { button: byId('contact-edit'), form: byId('contact-form'), input: byId('contact-name'),
    remove: byId('contact-remove'), cancel: byId('contact-cancel'), error: byId('contact-error') },
  { phone: () => state.phone, name: () => conversations.nameOf(state.phone), saved: onContactEvent },
);
const search = createSearch({ form: byId('search-form'), input: byId('search-input'), results: byId('search-results'),
  list: els.listScroller });

/** A name given or taken away, here or in another tab: the list and the open thread's header show it. */
function onContactEvent(contact) {
  conversations.applyContact(contact);
  if (contact.phone === state.phone) renderThreadHeader();
}

// What was typed and staged for each conversation but not sent, by phone. The composer always shows the open
// conversation's draft (that one lives in the composer, not here), so what is sent is what the operator sees,
// and switching conversation takes each draft along with its conversation.
const drafts = new Map();

/** Opens another conversation (or none): the composer's draft stays with the one left, the next one's comes back. */
function switchConversation(phone, display) {
  contactEditor.closeQuietly();
  if (state.phone) {
    const text = els.text.value;
    if (text.trim() || state.staged.length) drafts.set(state.phone, { text, files: state.staged });
    else drafts.delete(state.phone);
  }
  state.phone = phone;
  state.phoneDisplay = display;
  showDraft(drafts.get(phone));
}

function showDraft(draft) {
  if (state.phone) drafts.delete(state.phone);
  els.text.value = draft?.text ?? '';
  state.staged = draft ? [...draft.files] : [];
  autosize();
  renderStaged();
  clearComposerError();
}

// ---------------------------------------------------------------- new chat (phone check)

let phoneCheck = null; // {input, result|error} of the last answered check

const checkPhone = debounce(async () => {
  const value = els.newPhone.value.trim();
  if (!value) {
    setPhoneHint(null);
    phoneCheck = null;
    return;
  }
  try {
    const result = await api(`/chat/phone-check?phone=${encodeURIComponent(value)}`);
    if (els.newPhone.value.trim() !== value) return;
    phoneCheck = { input: value, result };
    setPhoneHint({ ok: true, text: `${result.display} · ${result.phone}` });
  } catch (e) {
    if (els.newPhone.value.trim() !== value) return;
    phoneCheck = { input: value, error: e };
    setPhoneHint({ ok: false, text: errorText(e) });
  }
}, 300);

function setPhoneHint(hint) {
  els.newHint.textContent = hint ? hint.text : '';
  els.newHint.className = hint ? (hint.ok ? 'hint ok' : 'hint field-error') : 'hint';
  els.newHint.dataset.state = hint ? (hint.ok ? 'valid' : 'invalid') : '';
  els.newPhone.setAttribute('aria-invalid', hint && !hint.ok ? 'true' : 'false');
}

async function openNewChat(event) {
  event.preventDefault();
  const value = els.newPhone.value.trim();
  let result = phoneCheck?.input === value ? phoneCheck.result : null;
  if (!result) {
    try {
      result = await api(`/chat/phone-check?phone=${encodeURIComponent(value)}`);
    } catch (e) {
      phoneCheck = { input: value, error: e };
      setPhoneHint({ ok: false, text: errorText(e) });
      els.newPhone.focus();
      return;
    }
  }
  els.newPhone.value = '';
  setPhoneHint(null);
  phoneCheck = null;
  newChat = { phone: result.phone, display: result.display };
  location.hash = `phone=${encodeURIComponent(result.phone)}`;
}

// ---------------------------------------------------------------- the thread

/** #phone=…&message=… — decoded by hand: URLSearchParams would read the "+" of "+5511…" as a space. */
function routeFromHash() {
  const params = {};
  for (const part of location.hash.slice(1).split('&')) {
    const [key, value = ''] = part.split('=');
    try {
      params[decodeURIComponent(key)] = decodeURIComponent(value);
    } catch {
      // a malformed part is ignored
    }
  }
  return { phone: params.phone || null, message: params.message || null };
}

async function openFromHash() {
  let { phone, message } = routeFromHash();
  if (!phone && message) {
    // A link naming only the message (as the settings page has for failures): find its conversation.
    try {
      phone = (await api(`/chat/messages/${encodeURIComponent(message)}`)).phone;
      history.replaceState(null, '', `#phone=${encodeURIComponent(phone)}&message=${encodeURIComponent(message)}`);
    } catch (e) {
      announce(errorText(e));
    }
  }
  if (!phone) {
    closeThread();
    return;
  }
  if (phone !== state.phone) {
    switchConversation(phone, conversations.displayOf(phone) ?? (newChat?.phone === phone ? newChat.display : null));
    state.items = new Map();
    state.hasMore = false;
    fill(els.messages);
    showThread();
    conversations.opened(phone);
  }
  try {
    await loadThread({ find: message });
  } catch (e) {
    if (e.field !== 'phone') throw e;
    els.subtitle.textContent = errorText(e);
    els.subtitle.classList.add('field-error');
  }
}

function showThread() {
  document.body.classList.add('thread-open');
  els.placeholder.hidden = true;
  els.thread.hidden = false;
  els.composer.hidden = false;
  renderThreadHeader();
  clearComposerError();
}

function closeThread() {
  switchConversation(null, null);
  state.items = new Map();
  fill(els.messages);
  document.body.classList.remove('thread-open');
  els.placeholder.hidden = false;
  els.thread.hidden = true;
  els.composer.hidden = true;
  els.title.textContent = '';
  els.subtitle.textContent = '';
  conversations.render();
}

function renderThreadHeader() {
  const name = conversations.nameOf(state.phone);
  const display = state.phoneDisplay ?? state.phone ?? '';
  els.title.textContent = name ?? display;
  els.subtitle.textContent = name ? display : (state.phoneDisplay && state.phoneDisplay !== state.phone ? state.phone : '');
  els.subtitle.classList.remove('field-error');
}

/** Loads the newest page of the open thread (or pages back until `find` is among them) and merges it. */
async function loadThread({ find = null } = {}) {
  const phone = state.phone;
  if (!phone) return;
  const load = ++state.threadLoad;
  let data = await api(`/chat/messages?phone=${encodeURIComponent(phone)}&limit=${PAGE_SIZE}`);
  if (load !== state.threadLoad || phone !== state.phone) return;
  let views = data.messages ?? [];
  let hasMore = data.has_more;
  for (let page = 0; find && hasMore && !views.some((m) => m.id === find) && page < MAX_PAGES_TO_FIND; page += 1) {
    data = await api(`/chat/messages?phone=${encodeURIComponent(phone)}&limit=${PAGE_SIZE}&before=${encodeURIComponent(views[0].id)}`);
    if (load !== state.threadLoad || phone !== state.phone) return;
    views = [...(data.messages ?? []), ...views];
    hasMore = data.has_more;
  }
  if (data.phone && data.phone !== phone) {
    // A link with the number written another way: continue under its canonical form, with that one's draft
    // unless something was typed already.
    state.phone = data.phone;
    if (!els.text.value && state.staged.length === 0) showDraft(drafts.get(data.phone));
    conversations.opened(data.phone);
    const hash = `phone=${encodeURIComponent(data.phone)}${find ? `&message=${encodeURIComponent(find)}` : ''}`;
    history.replaceState(null, '', `#${hash}`);
  }
  if (data.phone_display) state.phoneDisplay = data.phone_display;
  if ('contact_name' in data) conversations.learnName(state.phone, data.contact_name);
  renderThreadHeader();
  conversations.render();
  // A reload must not offer older pages again once they have all been loaded.
  state.hasMore = state.items.size === 0 ? hasMore : state.hasMore && hasMore;
  els.older.hidden = !state.hasMore;
  const stick = isNearBottom();
  for (const view of views) upsertServerView(view);
  for (const item of outgoing.get(state.phone)?.values() ?? []) {
    if (!state.items.has(item.key)) addItem(item);
  }
  if (find && state.items.has(find)) {
    highlight(state.items.get(find));
  } else if (stick || views.length) {
    scrollToBottom();
  }
}

async function loadOlder() {
  const phone = state.phone;
  const first = [...state.items.values()].find((item) => !item.local);
  if (!phone || !first) return;
  els.older.disabled = true;
  try {
    const data = await api(`/chat/messages?phone=${encodeURIComponent(phone)}&limit=${PAGE_SIZE}&before=${encodeURIComponent(first.view.id)}`);
    if (phone !== state.phone) return;
    const before = els.thread.scrollHeight - els.thread.scrollTop;
    for (const view of data.messages ?? []) upsertServerView(view);
    els.thread.scrollTop = els.thread.scrollHeight - before;
    state.hasMore = data.has_more;
    els.older.hidden = !state.hasMore;
  } catch (e) {
    announce(errorText(e));
  } finally {
    els.older.disabled = false;
  }
}

function highlight(item) {
  // Shown once: a later reload (after a reconnect) must not jump back to it.
  history.replaceState(null, '', `#phone=${encodeURIComponent(state.phone)}`);
  item.el.scrollIntoView({ block: 'center' });
  item.el.classList.add('highlight');
  item.el.focus({ preventScroll: true });
  setTimeout(() => item.el.classList.remove('highlight'), 4000);
}

function isNearBottom() {
  return els.thread.scrollHeight - els.thread.scrollTop - els.thread.clientHeight < 80;
}

function scrollToBottom() {
  els.thread.scrollTop = els.thread.scrollHeight;
}

// ---------------------------------------------------------------- items and bubbles

/** Puts the server's view of a message in the thread, unless what is shown is newer. */
function upsertServerView(view) {
  const existing = state.items.get(view.id);
  if (existing) {
    if (isNewer(view, existing.view)) {
      existing.view = { ...existing.view, ...view };
      renderItem(existing);
    }
    return existing;
  }
  const item = { key: view.id, local: false, view, upload: null, error: null };
  addItem(item);
  takeEarlyEvent(item);
  return item;
}

function isNewer(incoming, current) {
  if (!current.updated_at || !incoming.updated_at) return true;
  return Date.parse(incoming.updated_at) >= Date.parse(current.updated_at);
}

function addItem(item) {
  state.items.set(item.key, item);
  item.el = h('li', { class: 'bubble out', testid: 'message', tabindex: '-1' });
  renderItem(item);
  place(item);
}

/** Keeps the list ordered: server messages by sequence, then local ones in the order they were sent. */
function place(item) {
  const seq = item.local ? Infinity : item.view.sequence ?? Infinity;
  item.el.dataset.seq = String(seq);
  let before = null;
  for (const other of els.messages.children) {
    if (other === item.el) continue;
    const otherSeq = Number(other.dataset.seq);
    if (otherSeq > seq) {
      before = other;
      break;
    }
  }
  if (item.el.nextSibling !== before || item.el.parentNode !== els.messages) els.messages.insertBefore(item.el, before);
}

function renderItem(item) {
  const { view } = item;
  const el = item.el;
  const status = item.local ? (item.error ? 'unsent' : 'local') : view.status;
  el.dataset.id = item.local ? '' : view.id;
  el.dataset.key = item.key;
  el.dataset.status = status;
  el.dataset.local = String(item.local);
  el.classList.toggle('has-error', Boolean(item.error) || status === 'failed');

  const chipKey = view.attachment ? (view.attachment.id ?? `local:${item.key}`) : '';
  if (el.dataset.chipKey !== chipKey || !el.firstChild) {
    el.dataset.chipKey = chipKey;
    const chip = view.attachment ? attachmentChip(item) : null;
    const text = view.text ? h('p', { class: 'bubble-text', testid: 'message-text', text: view.text }) : null;
    fill(el, h('div', { class: 'bubble-body' }, chip, text), h('div', { class: 'bubble-extra' }),
      h('div', { class: 'bubble-meta' }));
  }
  renderExtra(item, el.children[1]);
  renderMeta(item, el.children[2]);
}

function attachmentChip(item) {
  const a = item.view.attachment;
  const kind = a.kind ?? 'document';
  const name = h('span', { class: 'chip-name', testid: 'attachment-name', text: a.filename, title: a.filename });
  const size = h('span', { class: 'chip-size muted small', testid: 'attachment-size', text: formatSize(a.size) });
  const chip = h('div', { class: `chip kind-${kind}`, testid: 'attachment', dataset: { kind } });
  const thumbSrc = a.url ?? item.previewUrl;
  if (kind === 'image' && thumbSrc) {
    chip.append(h('a', { class: 'thumb-link', href: a.url ?? thumbSrc, target: '_blank', rel: 'noopener' },
      h('img', { class: 'thumb', src: thumbSrc, alt: a.filename, loading: 'lazy', testid: 'attachment-thumb' })));
  }
  const icon = h('span', { class: 'chip-icon', 'aria-hidden': 'true', text: KIND_ICONS[kind] ?? '📎' });
  const info = h('span', { class: 'chip-info' }, name, size);
  const row = h('div', { class: 'chip-row' }, icon, info);
  if (a.url) {
    row.append(h('a', { class: 'icon-button chip-download', href: a.url, download: a.filename, testid: 'attachment-download',
      title: t('chip.download', { name: a.filename }), 'aria-label': t('chip.download', { name: a.filename }), text: '⬇' }));
  }
  chip.append(row);
  return chip;
}

/** Upload progress and errors of a message the server has not accepted yet. */
function renderExtra(item, box) {
  const parts = [];
  if (item.upload) {
    const { loaded, total } = item.upload;
    const percent = total ? Math.floor((loaded / total) * 100) : 0;
    parts.push(h('div', { class: 'progress', testid: 'upload' },
      h('progress', { max: String(total || 1), value: String(loaded), testid: 'upload-progress',
        'aria-label': t('upload.label'), dataset: { loaded: String(loaded), total: String(total) } }),
      h('span', { class: 'small muted', testid: 'upload-percent', text: t('upload.progress', { percent,
        loaded: formatSize(loaded), total: formatSize(total) }) }),
      h('button', { type: 'button', class: 'link-button small', testid: 'upload-cancel', text: t('upload.cancel'),
        onclick: () => item.abort?.() })));
  }
  if (item.error) {
    parts.push(h('p', { class: 'field-error', role: 'alert', testid: 'message-error', text: item.error }),
      h('div', { class: 'bubble-actions' },
        item.retry ? h('button', { type: 'button', class: 'button small', testid: 'message-retry', text: t('message.retry'),
          onclick: () => item.retry() }) : null,
        h('button', { type: 'button', class: 'button small', testid: 'message-dismiss', text: t('message.dismiss'),
          onclick: () => dropLocal(item) })));
  }
  fill(box, parts);
}

function renderMeta(item, box) {
  const { view } = item;
  const status = item.local ? 'local' : view.status;
  const info = STATUS[status] ?? { icon: '?', key: 'status.unknown' };
  const time = h('time', { class: 'bubble-time', datetime: view.created_at, title: formatDateTime(view.created_at),
    text: formatTime(view.created_at) });
  const label = t(info.key);
  const parts = [time];
  if (item.local && item.error) {
    parts.push(h('span', { class: 'mark s-failed', testid: 'mark', title: t('status.unsent'), text: '!' }));
    fill(box, parts);
    return;
  }
  if (status === 'failed') {
    const reason = view.last_error || t('status.noReason');
    const detailId = `detail-${item.key}`;
    const detail = h('p', { class: 'failure-detail', id: detailId, testid: 'failure-detail', hidden: true },
      t('status.failedDetail', { attempts: view.attempts, max: view.max_attempts, reason }));
    const mark = h('button', { type: 'button', class: 'mark s-failed mark-button', testid: 'mark', title: reason,
      'aria-label': `${label}: ${reason}`, 'aria-expanded': 'false', 'aria-controls': detailId, text: '✗' });
    mark.addEventListener('click', () => toggleDetail(mark, detail));
    const resend = h('button', { type: 'button', class: 'button small resend', testid: 'resend', text: t('message.resend') });
    resend.addEventListener('click', () => redeliver(item, resend));
    // A failed message that holds its conversation back (strict ordering) can also be let go.
    const skip = view.blocking ? h('button', { type: 'button', class: 'button small skip', testid: 'skip',
      text: t('message.skip'), title: t('message.skipTitle') }) : null;
    skip?.addEventListener('click', () => skipMessage(item, skip));
    const blocks = view.blocking ? h('span', { class: 'blocking-note small', testid: 'blocking', text: t('status.blocking') })
      : null;
    parts.push(h('span', { class: 'failed-line' }, mark, resend, skip), blocks);
    fill(box, parts);
    box.append(detail);
    return;
  }
  const mark = h('span', { class: `mark s-${status}`, testid: 'mark', title: label, role: 'img', 'aria-label': label,
    text: info.icon });
  parts.push(mark);
  if (status === 'retrying' || status === 'held') {
    parts.push(retryLine(item));
  } else if (status === 'waiting') {
    parts.push(waitingLine(item));
  }
  fill(box, parts);
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
    const shown = head && state.items.get(head.id);
    if (shown) highlight(shown);
  });
  const tick = () => {
    if (!line.isConnected && line.dataset.started) return false;
    line.dataset.started = 'true';
    if (item.view !== view) return false;
    const parts = [t('status.waitingFor')];
    if (head?.status === 'failed') parts.push(t('status.headFailed'));
    if (head?.status === 'held') parts.push(t('status.heldShort'));
    const seconds = head?.status === 'retrying' ? secondsUntil(head.next_attempt_at) : null;
    if (seconds != null) parts.push(seconds > 0 ? t('status.headRetryIn', { s: seconds }) : t('status.tryingNow'));
    line.textContent = parts.join(' · ');
    return true;
  };
  everySecond(tick);
  return line;
}

/** "attempt n of max · next try in …s", counting down every second while it is on the page. */
function retryLine(item) {
  const { view } = item;
  const line = h('span', { class: 'retry-line small', testid: 'retry-info' });
  const tick = () => {
    if (!line.isConnected && line.dataset.started) return false;
    line.dataset.started = 'true';
    if (item.view !== view) return false;
    const parts = [];
    if (view.status === 'held') parts.push(t('status.heldShort'));
    if (view.max_attempts && view.attempts > 0) parts.push(t('status.attemptOf', { n: view.attempts, max: view.max_attempts }));
    // A held message waits for the circuit's probe rather than for a time of its own.
    const at = view.status === 'held' && state.circuit?.state === 'open' ? state.circuit.retry_at : view.next_attempt_at;
    const seconds = secondsUntil(at);
    if (seconds != null) parts.push(seconds > 0 ? t('status.nextIn', { s: seconds }) : t('status.tryingNow'));
    line.textContent = parts.join(' · ');
    line.dataset.seconds = seconds == null ? '' : String(seconds);
    return true;
  };
  everySecond(tick);
  return line;
}

function toggleDetail(button, detail, open = detail.hidden) {
  detail.hidden = !open;
  button.setAttribute('aria-expanded', String(open));
}

async function redeliver(item, button) {
  button.disabled = true;
  try {
    const view = await api(`/chat/messages/${encodeURIComponent(item.view.id)}/redeliver`, { method: 'POST' });
    if (view) upsertServerView(view);
    announce(t('announce.resent'));
  } catch (e) {
    button.disabled = false;
    const box = item.el.children[1];
    fill(box, h('p', { class: 'field-error', role: 'alert', testid: 'message-error', text: errorText(e) }));
    if (e.code === 'already_delivered' || e.code === 'delivery_in_progress') refreshMessage(item.view.id);
  }
}

async function skipMessage(item, button) {
  button.disabled = true;
  try {
    const view = await api(`/chat/messages/${encodeURIComponent(item.view.id)}/skip`, { method: 'POST' });
    if (view) upsertServerView(view);
    announce(t('announce.skipped'));
  } catch (e) {
    button.disabled = false;
    const box = item.el.children[1];
    fill(box, h('p', { class: 'field-error', role: 'alert', testid: 'message-error', text: errorText(e) }));
    if (e.code === 'already_delivered' || e.code === 'delivery_in_progress') refreshMessage(item.view.id);
  }
}

async function refreshMessage(id) {
  try {
    const view = await api(`/chat/messages/${encodeURIComponent(id)}`);
    if (view.phone === state.phone) upsertServerView(view);
  } catch {
    // the next event or reload brings it
  }
}

// ---------------------------------------------------------------- sending

function stageFiles(files) {
  for (const file of files) state.staged.push(file);
  renderStaged();
  clearComposerError();
}

function renderStaged() {
  fill(els.staged, state.staged.map((file, index) => {
    const tooBig = state.maxAttachmentBytes && file.size > state.maxAttachmentBytes;
    return h('li', { class: `chip staged-chip${tooBig ? ' has-error' : ''}`, testid: 'staged-file' },
      h('span', { class: 'chip-icon', 'aria-hidden': 'true', text: KIND_ICONS[guessKind(file)] }),
      h('span', { class: 'chip-info' },
        h('span', { class: 'chip-name', text: file.name }),
        h('span', { class: 'chip-size small muted', text: formatSize(file.size) })),
      h('button', { type: 'button', class: 'icon-button small', testid: 'staged-remove',
        title: t('composer.removeFile', { name: file.name }), 'aria-label': t('composer.removeFile', { name: file.name }),
        text: '✕', onclick: () => {
          state.staged.splice(index, 1);
          renderStaged();
          els.text.focus();
        } }));
  }));
}

function submitComposer(event) {
  event?.preventDefault();
  if (!state.phone) return;
  const text = els.text.value;
  const trimmed = text.trim();
  const files = state.staged;
  if (!trimmed && files.length === 0) {
    showComposerError(t('error.empty_message'));
    return;
  }
  if ([...text].length > MAX_TEXT) {
    showComposerError(t('error.text_too_long_n', { max: MAX_TEXT, n: [...text].length }));
    return;
  }
  const tooBig = files.find((f) => state.maxAttachmentBytes && f.size > state.maxAttachmentBytes);
  if (tooBig) {
    showComposerError(t('error.file_too_large', { name: tooBig.name, max: formatSize(state.maxAttachmentBytes) }));
    return;
  }
  clearComposerError();
  els.text.value = '';
  autosize();
  state.staged = [];
  renderStaged();
  els.text.focus();
  if (files.length === 0) {
    send(state.phone, trimmed ? text : '', null);
  } else {
    files.forEach((file, index) => send(state.phone, index === 0 && trimmed ? text : '', file));
  }
}

/** Shows the message at once, uploads its file if any, then asks the server to accept it. Never awaited. */
function send(phone, text, file) {
  localCounter += 1;
  const key = `local-${localCounter}`;
  const item = {
    key, local: true, phone, upload: null, error: null, file, text,
    view: { text: text || null, created_at: new Date().toISOString(), status: 'local',
      attachment: file ? { kind: guessKind(file), filename: file.name, size: file.size } : null },
  };
  if (file && guessKind(file) === 'image') item.previewUrl = URL.createObjectURL(file);
  if (!outgoing.has(phone)) outgoing.set(phone, new Map());
  outgoing.get(phone).set(key, item);
  if (phone === state.phone) {
    addItem(item);
    scrollToBottom();
  }
  attemptSend(item);
}

async function attemptSend(item) {
  item.error = null;
  item.retry = null;
  rerender(item);
  try {
    let attachmentId = item.attachmentId ?? null;
    if (item.file && !attachmentId) {
      item.upload = { loaded: 0, total: item.file.size };
      rerender(item);
      const job = upload(item.file, (loaded, total) => {
        item.upload = { loaded, total };
        updateProgress(item);
      });
      item.abort = job.abort;
      const attachment = await job.promise;
      item.upload = null;
      item.abort = null;
      item.attachmentId = attachment.id;
      attachmentId = attachment.id;
    }
    const body = { phone: item.phone };
    if (item.text) body.text = item.text;
    if (attachmentId) body.attachment_id = attachmentId;
    const view = await api('/chat/messages', { method: 'POST', body });
    accepted(item, view);
  } catch (e) {
    item.upload = null;
    item.abort = null;
    rejected(item, e);
  }
}

/** Progress events come fast: only the bar and its label change, not the bubble. */
function updateProgress(item) {
  const bar = item.el?.querySelector('[data-testid="upload-progress"]');
  if (!bar || item.phone !== state.phone) {
    rerender(item);
    return;
  }
  const { loaded, total } = item.upload;
  bar.max = total || 1;
  bar.value = loaded;
  bar.dataset.loaded = String(loaded);
  bar.dataset.total = String(total);
  const percent = total ? Math.floor((loaded / total) * 100) : 0;
  item.el.querySelector('[data-testid="upload-percent"]').textContent = t('upload.progress',
    { percent, loaded: formatSize(loaded), total: formatSize(total) });
}

function rerender(item) {
  if (item.phone === state.phone && state.items.get(item.key) === item) renderItem(item);
}

/** The server's view replaces the optimistic bubble (or joins the one an event already brought). */
function accepted(item, view) {
  outgoing.get(item.phone)?.delete(item.key);
  if (item.previewUrl) URL.revokeObjectURL(item.previewUrl);
  if (item.phone !== state.phone) return;
  state.items.delete(item.key);
  const known = state.items.get(view.id);
  if (known) {
    item.el.remove();
    if (isNewer(view, known.view)) {
      known.view = { ...known.view, ...view };
      renderItem(known);
    }
  } else {
    item.key = view.id;
    item.local = false;
    item.view = view;
    item.file = null;
    state.items.set(view.id, item);
    renderItem(item);
    const stick = isNearBottom();
    place(item);
    if (stick) scrollToBottom();
    takeEarlyEvent(item);
  }
}

/** Errors caused by what was typed go under the composer (text restored); the rest stay on the bubble. */
function rejected(item, error) {
  if (error.code === 'aborted') {
    dropLocal(item);
    return;
  }
  const aboutTyping = !item.file && ['text', 'phone'].includes(error.field);
  if (aboutTyping && item.phone === state.phone) {
    dropLocal(item);
    if (!els.text.value) {
      els.text.value = item.text;
      autosize();
    }
    showComposerError(errorText(error));
    return;
  }
  item.error = errorText(error);
  const retriable = error.status === 0 || error.status >= 500 || error.status === 429;
  item.retry = retriable && error.code !== 'aborted' ? () => attemptSend(item) : null;
  rerender(item);
  announce(item.error);
}

function dropLocal(item) {
  item.abort?.();
  outgoing.get(item.phone)?.delete(item.key);
  if (item.previewUrl) URL.revokeObjectURL(item.previewUrl);
  if (state.items.get(item.key) === item) {
    state.items.delete(item.key);
    item.el.remove();
  }
}

function showComposerError(text) {
  els.error.textContent = text;
  els.text.setAttribute('aria-invalid', 'true');
}

function clearComposerError() {
  els.error.textContent = '';
  els.text.setAttribute('aria-invalid', 'false');
}

function autosize() {
  els.text.style.height = 'auto';
  els.text.style.height = `${Math.min(els.text.scrollHeight, 160)}px`;
}

// ---------------------------------------------------------------- live events

/**
 * A delivery change: its conversation's row goes to the list; merged into the bubble when it is shown; an
 * unknown message of this thread is fetched.
 */
function onMessageEvent(event) {
  conversations.applyEvent(event);
  if (event.phone !== state.phone) return;
  const item = state.items.get(event.id);
  if (item) {
    applyEvent(item, event);
    return;
  }
  // Sent from another tab or client while nothing of ours is on its way: its row carries it whole, so the
  // bubble shows with the list's entry, from the same event.
  const last = event.conversation?.last_message;
  if (last?.id === event.id && !outgoing.get(event.phone)?.size) {
    const stick = isNearBottom();
    upsertServerView(last);
    if (stick) scrollToBottom();
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
    if (newest.phone !== state.phone) return;
    const known = state.items.get(event.id);
    if (known) applyEvent(known, newest);
    else fetchNew(event.id);
  }, 400);
}

function applyEvent(item, event) {
  if (!isNewer(event, item.view)) return;
  item.view = { ...item.view, ...event };
  renderItem(item);
  if (event.status === 'failed') announce(t('announce.failed'));
  followHead(event);
}

/** The messages that wait for this one show where it now stands (its retry, its failure). */
function followHead(event) {
  for (const other of state.items.values()) {
    const view = other.view;
    if (other.local || view.status !== 'waiting' || view.waiting_for?.id !== event.id) continue;
    other.view = { ...view, waiting_for: { ...view.waiting_for, status: event.status, attempts: event.attempts,
      next_attempt_at: event.next_attempt_at, last_error: event.last_error } };
    renderItem(other);
  }
}

/** A change that arrived before the message's bubble had its id. */
function takeEarlyEvent(item) {
  const event = early.get(item.key);
  if (!event) return;
  early.delete(item.key);
  applyEvent(item, event);
}

async function fetchNew(id) {
  try {
    const view = await api(`/chat/messages/${encodeURIComponent(id)}`);
    if (view.phone !== state.phone) return;
    const stick = isNearBottom();
    upsertServerView(view);
    if (stick) scrollToBottom();
  } catch {
    // it will be there after the next reload
  }
}

function onCircuitEvent(circuit) {
  state.circuit = circuit;
  renderCircuit();
}

function renderCircuit() {
  const c = state.circuit;
  for (const el of els.indicators) {
    if (!el) continue;
    const show = c && c.state !== 'closed';
    el.hidden = !show;
    if (!show) continue;
    el.dataset.state = c.state;
    el.className = `circuit-indicator ${c.state === 'open' ? 'is-open' : 'is-half-open'}`;
    const text = c.state === 'open' ? t('circuit.indicatorOpen') : t('circuit.indicatorHalfOpen');
    const icon = c.state === 'open' ? '🔴' : '🟡';
    // The list's header is narrow: there the dot alone, its words in the title and for screen readers.
    el.textContent = el.dataset.compact ? icon : `${icon} ${text}`;
    el.title = `${text}. ${t('circuit.indicatorTitle')}`;
    el.setAttribute('aria-label', el.title);
  }
}

function announce(text) {
  els.announcer.textContent = '';
  // a fresh text node each time so screen readers repeat the same message
  setTimeout(() => {
    els.announcer.textContent = text;
  }, 50);
}

// ---------------------------------------------------------------- wiring

function wire() {
  els.newPhone.addEventListener('input', () => {
    if (!els.newPhone.value.trim()) setPhoneHint(null);
    checkPhone();
  });
  els.newChat.addEventListener('submit', openNewChat);
  els.composer.addEventListener('submit', submitComposer);
  els.text.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      submitComposer();
    }
  });
  els.text.addEventListener('input', () => {
    autosize();
    if ([...els.text.value].length <= MAX_TEXT && els.error.textContent) clearComposerError();
  });
  els.attach.addEventListener('click', () => els.fileInput.click());
  els.fileInput.addEventListener('change', () => {
    stageFiles([...els.fileInput.files]);
    els.fileInput.value = '';
    els.text.focus();
  });
  els.older.addEventListener('click', loadOlder);
  els.listMore.addEventListener('click', () => conversations.loadMore());
  els.listScroller.addEventListener('scroll', () => conversations.loadMoreIfNearEnd(), { passive: true });
  els.back.addEventListener('click', () => {
    history.pushState(null, '', location.pathname);
    openFromHash();
  });
  window.addEventListener('hashchange', () => openFromHash().catch(() => {}));
  wireDragAndDrop();
  document.addEventListener('keydown', (event) => {
    if (event.key !== 'Escape') return;
    for (const detail of document.querySelectorAll('[data-testid="failure-detail"]:not([hidden])')) {
      const button = document.querySelector(`[aria-controls="${detail.id}"]`);
      if (button) toggleDetail(button, detail, false);
      else detail.hidden = true;
    }
    els.dropZone.hidden = true;
  });
  onLangChange(() => {
    conversations.redraw();
    for (const item of state.items.values()) {
      item.el.dataset.chipKey = '-';
      renderItem(item);
    }
    renderStaged();
    renderCircuit();
    search.redraw();
    if (phoneCheck) setPhoneHint(phoneCheck.result
      ? { ok: true, text: `${phoneCheck.result.display} · ${phoneCheck.result.phone}` }
      : { ok: false, text: errorText(phoneCheck.error) });
  });
}

function wireDragAndDrop() {
  const hasFiles = (event) => [...(event.dataTransfer?.types ?? [])].includes('Files');
  let depth = 0;
  // Anywhere on the page a dropped file must not make the browser open it in place of the chat.
  window.addEventListener('dragover', (event) => {
    if (hasFiles(event)) event.preventDefault();
  });
  window.addEventListener('drop', (event) => {
    if (hasFiles(event)) event.preventDefault();
  });
  const pane = byId('pane');
  pane.addEventListener('dragenter', (event) => {
    if (!hasFiles(event) || !state.phone) return;
    depth += 1;
    els.dropZone.hidden = false;
  });
  pane.addEventListener('dragleave', () => {
    depth = Math.max(0, depth - 1);
    if (depth === 0) els.dropZone.hidden = true;
  });
  pane.addEventListener('drop', (event) => {
    depth = 0;
    els.dropZone.hidden = true;
    if (!hasFiles(event) || !state.phone) return;
    event.preventDefault();
    stageFiles([...event.dataTransfer.files]);
    els.text.focus();
  });
}

async function loadConfig() {
  try {
    const data = await api('/chat/config');
    const mb = Number(data?.settings?.find((s) => s.key === 'MAX_ATTACHMENT_MB')?.value);
    if (mb > 0) state.maxAttachmentBytes = mb * 1024 * 1024;
  } catch {
    // the server still refuses a too-large file with 413
  }
}

async function loadAll() {
  await conversations.reload();
  await openFromHash();
  if (state.maxAttachmentBytes == null) loadConfig();
}

wire();
startPage({
  load: loadAll,
  handlers: { message: onMessageEvent, circuit: onCircuitEvent, contact: onContactEvent },
});
