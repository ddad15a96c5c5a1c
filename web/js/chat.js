// The chat page: conversations on the left, the open thread on the right, a composer that never waits. This module
// wires the parts (list, thread, composer, outbox, new chat) to the address bar and the live events.
import { api, errorText } from './api.js';
import { composerElements, createComposer } from './composer.js';
import { wireContactEditor } from './contacts.js';
import { createConversations } from './conversations.js';
import { byId } from './dom.js';
import { onLangChange, t } from './i18n.js';
import { messageInfoEvent, wireMessageInfo } from './message-info.js';
import { checkPhone, createNewChat } from './newchat.js';
import { createOutbox } from './outbox.js';
import { startPage } from './page.js';
import { createSearch } from './search.js';
import { createThread } from './thread.js';

const PAGE_SIZE = 50;
const MAX_PAGES_TO_FIND = 40; // how far back a #message= link is searched
// A User Timing mark put each time a thread has loaded and shows its newest message: "thread ready" of `make bench`.
const THREAD_READY_MARK = 'relay:thread-ready';

const els = {
  list: byId('conversation-list'),
  listEmpty: byId('conversations-empty'),
  listMore: byId('conversations-more'),
  listScroller: byId('conversations'),
  title: byId('thread-title'),
  subtitle: byId('thread-subtitle'),
  placeholder: byId('placeholder'),
  thread: byId('thread'),
  messages: byId('messages'),
  older: byId('load-older'),
  composer: byId('composer'),
  back: byId('back-button'),
  indicators: [byId('circuit-indicator'), byId('circuit-indicator-thread')],
  announcer: byId('announcer'),
};

const state = {
  phone: null, // E.164 of the open conversation
  phoneDisplay: null,
  hasMore: false,
  maxAttachmentBytes: null,
  circuit: null,
  threadLoad: 0, // bumps on every thread load so a slow answer for another phone is dropped
};
// The display the phone check gave for a chat that has no message yet.
let newChat = null;

const conversations = createConversations(
  { list: els.list, empty: els.listEmpty, more: els.listMore, scroller: els.listScroller },
  {
    openPhone: () => state.phone,
    openDisplay: () => state.phoneDisplay,
    draftOf: (phone) => composer.draftOf(phone),
    announce,
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

const thread = createThread(
  { thread: els.thread, messages: els.messages, newMessages: byId('new-messages') },
  {
    phone: () => state.phone,
    circuit: () => state.circuit,
    announce,
    dismiss: (item) => outbox.dismiss(item),
    sending: (phone) => outbox.pending(phone).length > 0,
  },
);

const outbox = createOutbox({
  show(item) {
    if (item.phone !== state.phone) return;
    thread.addLocal(item);
    thread.scrollToBottom();
  },
  update: (item) => thread.rerender(item),
  progress: (item) => thread.showProgress(item),
  accepted: (item, view) => thread.accepted(item, view),
  remove: (item) => thread.remove(item),
  refusedTyping(item, error) {
    if (item.phone !== state.phone) return false;
    composer.restore(item.text);
    composer.showError(errorText(error));
    return true;
  },
  cancelled(item) {
    if (item.phone === state.phone) composer.restore(item.text);
  },
  connection(online) {
    byId('offline-banner').hidden = online;
  },
  announce,
});

const composer = createComposer(composerElements(), {
  send: (phone, text, file) => outbox.send(phone, text, file),
  maxAttachmentBytes: () => state.maxAttachmentBytes,
});

const newChatForm = createNewChat({ form: byId('new-chat'), input: byId('new-chat-phone'), hint: byId('new-chat-hint') },
  (phone, display) => {
    newChat = { phone, display };
    location.hash = `phone=${encodeURIComponent(phone)}`;
  });

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
    const known = conversations.displayOf(phone) ?? (newChat?.phone === phone ? newChat.display : null);
    const checked = known ? { phone, display: known } : await checkedOrRefused(phone);
    if (!checked) return;
    if (checked.phone !== phone) {
      history.replaceState(null, '', `#phone=${encodeURIComponent(checked.phone)}${message ? `&message=${encodeURIComponent(message)}` : ''}`);
    }
    if (checked.phone !== state.phone) openConversation(checked.phone, checked.display);
    composer.focus();
  }
  try {
    await loadThread({ find: message });
  } catch (e) {
    if (e.field !== 'phone') throw e;
    els.subtitle.textContent = errorText(e);
    els.subtitle.classList.add('field-error');
  }
}

/**
 * A number from the address that no conversation has yet: checked before anything is opened, so a wrong one shows
 * why in "new chat" and creates no entry in the list.
 */
async function checkedOrRefused(phone) {
  try {
    return await checkPhone(phone);
  } catch (e) {
    if (e.field !== 'phone') throw e;
    history.replaceState(null, '', location.pathname);
    closeThread();
    newChatForm.refused(phone, e);
    return null;
  }
}

function openConversation(phone, display) {
  contactEditor.closeQuietly();
  state.phone = phone;
  state.phoneDisplay = display;
  state.hasMore = false;
  composer.switchTo(phone);
  thread.reset();
  document.body.classList.add('thread-open');
  els.placeholder.hidden = true;
  els.thread.hidden = false;
  els.composer.hidden = false;
  renderThreadHeader();
  conversations.opened(phone);
}

function closeThread() {
  contactEditor.closeQuietly();
  state.phone = null;
  state.phoneDisplay = null;
  composer.switchTo(null);
  thread.reset();
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

function pageOf(phone, before) {
  const from = before ? `&before=${encodeURIComponent(before)}` : '';
  return api(`/chat/messages?phone=${encodeURIComponent(phone)}&limit=${PAGE_SIZE}${from}`);
}

/** Loads the newest page of the open thread (or pages back until `find` is among them) and merges it. */
async function loadThread({ find = null } = {}) {
  const phone = state.phone;
  if (!phone) return;
  const load = ++state.threadLoad;
  let data = await pageOf(phone);
  if (load !== state.threadLoad || phone !== state.phone) return;
  let views = data.messages ?? [];
  let hasMore = data.has_more;
  for (let page = 0; find && hasMore && !views.some((m) => m.id === find) && page < MAX_PAGES_TO_FIND; page += 1) {
    data = await pageOf(phone, views[0].id);
    if (load !== state.threadLoad || phone !== state.phone) return;
    views = [...(data.messages ?? []), ...views];
    hasMore = data.has_more;
  }
  if (data.phone && data.phone !== phone) {
    // A link with the number written another way: continue under its canonical form, with that one's draft
    // unless something was typed already.
    state.phone = data.phone;
    composer.rename(data.phone);
    conversations.opened(data.phone);
    const hash = `phone=${encodeURIComponent(data.phone)}${find ? `&message=${encodeURIComponent(find)}` : ''}`;
    history.replaceState(null, '', `#${hash}`);
  }
  if (data.phone_display) state.phoneDisplay = data.phone_display;
  if ('contact_name' in data) conversations.learnName(state.phone, data.contact_name);
  renderThreadHeader();
  conversations.render();
  // A reload must not offer older pages again once they have all been loaded.
  state.hasMore = thread.size === 0 ? hasMore : state.hasMore && hasMore;
  els.older.hidden = !state.hasMore;
  const stick = thread.isNearBottom();
  thread.upsertViews(views);
  for (const item of outbox.pending(state.phone)) thread.addLocal(item);
  if (find && thread.has(find)) {
    thread.highlight(thread.get(find));
  } else if (stick || views.length) {
    thread.scrollToBottom();
  }
  performance.mark(THREAD_READY_MARK, { detail: { phone: state.phone, newest: views.at(-1)?.id ?? null } });
}

async function loadOlder() {
  const phone = state.phone;
  const first = thread.oldest();
  if (!phone || !first) return;
  els.older.disabled = true;
  try {
    const data = await pageOf(phone, first.view.id);
    if (phone !== state.phone) return;
    const before = els.thread.scrollHeight - els.thread.scrollTop;
    thread.upsertViews(data.messages ?? []);
    els.thread.scrollTop = els.thread.scrollHeight - before;
    state.hasMore = data.has_more;
    els.older.hidden = !state.hasMore;
  } catch (e) {
    announce(errorText(e));
  } finally {
    els.older.disabled = false;
  }
}

// ---------------------------------------------------------------- live events

/** A delivery change: its conversation's row goes to the list, and the bubble changes when it is shown. */
function onMessageEvent(event) {
  messageInfoEvent(event);
  conversations.applyEvent(event);
  if (event.phone === state.phone) thread.applyMessageEvent(event);
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
  wireMessageInfo(els.messages);
  els.older.addEventListener('click', loadOlder);
  els.listMore.addEventListener('click', () => conversations.loadMore());
  els.listScroller.addEventListener('scroll', () => conversations.loadMoreIfNearEnd(), { passive: true });
  els.back.addEventListener('click', () => {
    history.pushState(null, '', location.pathname);
    openFromHash();
  });
  window.addEventListener('hashchange', () => openFromHash().catch(() => {}));
  document.addEventListener('keydown', (event) => {
    if (event.key !== 'Escape') return;
    thread.closeDetails();
    composer.hideDropZone();
  });
  onLangChange(() => {
    conversations.redraw();
    thread.redraw();
    composer.redraw();
    renderCircuit();
    search.redraw();
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
let outboxRestored = false;

/**
 * The event stream is open: what waits in the outbox goes (restored from storage the first time). Not before, or the
 * delivery of a message sent while the page still loads could happen before the page listens, and never be shown.
 */
function onConnected() {
  if (outboxRestored) {
    outbox.backOnline();
  } else {
    outboxRestored = true;
    outbox.restore();
  }
}

startPage({
  load: loadAll,
  handlers: { message: onMessageEvent, circuit: onCircuitEvent, contact: onContactEvent },
  connected: onConnected,
});
