// The sidebar's conversations: the pages loaded so far, newest first, kept current by the live events (each
// carries its conversation's row, with a revision that tells which of two copies is newer) instead of being
// fetched again. The next page loads as the list is scrolled near its end; the list is fetched afresh only
// when the page (re)connects. Each row shows its contact's name beside the phone and how many of its messages
// came since the operator last had it open (kept in this browser, shared by its tabs).
import { api, errorText } from './api.js';
import { fill, h, KIND_ICONS, STATUS } from './dom.js';
import { formatDateTime, formatNumber, formatTime, t } from './i18n.js';

const PAGE_SIZE = 50;
const NEAR_END_PX = 300; // how close to the end of the list scrolling starts loading the next page
const SEEN_KEY = 'relay.seen'; // localStorage: phone -> the sequence of the last message the operator saw
// A User Timing mark put once, when the list first has a row: "page ready" of `make bench` (docs/performance.md).
const FIRST_ROW_MARK = 'relay:first-conversation';

/**
 * The last message seen of each phone, by its sequence (one per phone, counting up): unread = last - seen.
 * A phone met for the first time starts as seen up to its last message, so a first visit shows no backlog;
 * kept in localStorage so a reload, and the other tabs, know it too.
 */
function createSeen(onOtherTab) {
  let seen = read();
  function read() {
    try {
      return new Map(Object.entries(JSON.parse(localStorage.getItem(SEEN_KEY) ?? '{}')));
    } catch {
      return new Map();
    }
  }
  // Written a moment after a change, as one write for a whole page of rows, and before the page goes away.
  let timer = null;
  function write() {
    clearTimeout(timer);
    timer = null;
    try {
      localStorage.setItem(SEEN_KEY, JSON.stringify(Object.fromEntries(seen)));
    } catch {
      // storage full or refused: the counts last until the page is closed
    }
  }
  function save() {
    timer ??= setTimeout(write, 300);
  }
  window.addEventListener('pagehide', () => {
    if (timer) write();
  });
  window.addEventListener('storage', (event) => {
    if (event.key !== SEEN_KEY) return;
    seen = read();
    onOtherTab();
  });
  return {
    /** Records a phone's baseline the first time it is met: `sequence` when loaded, one less for live news. */
    meet(phone, sequence) {
      if (seen.has(phone) || sequence == null) return;
      seen.set(phone, sequence);
      save();
    },
    markSeen(phone, sequence) {
      if (sequence == null || (seen.get(phone) ?? -1) >= sequence) return;
      seen.set(phone, sequence);
      save();
    },
    unread(phone, sequence) {
      const last = seen.get(phone);
      return last == null || sequence == null ? 0 : Math.max(0, sequence - last);
    },
  };
}

/** A row's place in the server's order: its last message's time, then its id; a chat with none comes first. */
function placeOf(row) {
  const last = row.last_message;
  return last ? [Date.parse(last.created_at), last.id] : [Infinity, ''];
}

function isAbove(a, b) {
  return a[0] > b[0] || (a[0] === b[0] && a[1] > b[1]);
}

/**
 * els: {list, empty, more, scroller}. host: {openPhone(), openDisplay(), draftOf(phone), announce(text)}:
 * the open conversation, what its title shows, the unsent draft of a phone ({text, files} or null).
 */
export function createConversations(els, host) {
  const rows = new Map(); // phone -> the newest copy of its row, plus `unseen`
  const shown = new Map(); // phone -> {li, a, signature}: rows are updated and moved in place, not rebuilt
  let edge = null; // the place of the last row loaded while more exist; rows below it are not loaded (null: all are)
  let nextBefore = null;
  let generation = 0; // bumps on every reload, so a page asked for before it is dropped
  let loading = false;
  let pinned = null; // the open conversation's row while it lies below the loaded ones
  let renderQueued = false;
  let firstRowMarked = false;
  const fetching = new Set(); // phones whose row is being fetched on its own
  const names = new Map(); // phone -> its contact's name, or null: from rows, threads and `contact` events
  const seen = createSeen(() => redraw());

  /** The open conversation's messages count as seen while the operator can see them. */
  function visible() {
    return document.visibilityState === 'visible';
  }

  function noteSeen(row, live, known) {
    const sequence = row.last_message?.sequence;
    if (row.phone === host.openPhone() && visible()) seen.markSeen(row.phone, sequence);
    // News of a phone met for the first time: its newest message is the unread one (or all, when there is no
    // older copy to tell how many came).
    else if (live) seen.meet(row.phone, known?.last_message?.sequence ?? (sequence == null ? null : sequence - 1));
    else seen.meet(row.phone, sequence);
  }

  /**
   * Takes a copy of a row unless a newer one is known. `live`: it came with an event, so it may be news the
   * operator has not seen: a new message, or a new failure, in a conversation that is not open.
   * Rows below the loaded ones are left for their page, but the open one is pinned on top.
   */
  function merge(row, live) {
    const known = rows.get(row.phone) ?? (pinned?.phone === row.phone ? pinned : null);
    if (known && known.revision > row.revision) return false;
    const open = row.phone === host.openPhone();
    const news = live && !open && (!known || known.last_message?.id !== row.last_message?.id
      || (row.summary?.failed ?? 0) > (known.summary?.failed ?? 0));
    const merged = { ...row, unseen: !open && (news || Boolean(known?.unseen) || Boolean(row.unseen)) };
    names.set(row.phone, row.contact_name ?? null);
    noteSeen(row, live, known);
    if (rows.has(row.phone) || edge === null || !isAbove(edge, placeOf(row))) {
      rows.set(row.phone, merged);
      if (pinned?.phone === row.phone) pinned = null;
    } else if (open) {
      pinned = merged;
    } else {
      return false;
    }
    return true;
  }

  function addPage(data) {
    const page = data?.conversations ?? [];
    edge = data?.has_more && page.length ? placeOf(page[page.length - 1]) : null;
    nextBefore = data?.has_more ? data.next_before : null;
    for (const row of page) merge(row, false);
  }

  /** The first page again; what events brought meanwhile is kept where it is newer. */
  async function reload() {
    const mine = ++generation;
    const data = await api(`/chat/conversations?limit=${PAGE_SIZE}`);
    if (mine !== generation) return;
    const before = [...rows.values()];
    rows.clear();
    loading = false;
    addPage(data);
    for (const row of before) merge(row, false);
    render();
    loadMoreIfNearEnd();
  }

  async function loadMore() {
    if (loading || !nextBefore) return;
    const mine = generation;
    loading = true;
    renderMore();
    let loaded = false;
    try {
      const data = await api(`/chat/conversations?limit=${PAGE_SIZE}&before=${encodeURIComponent(nextBefore)}`);
      if (mine !== generation) return;
      addPage(data);
      loaded = true;
    } catch (e) {
      host.announce(errorText(e));
    } finally {
      if (mine === generation) loading = false;
      render();
    }
    // A tall screen may still show the end of the list: go on. Not after a failure, which would loop.
    if (loaded) loadMoreIfNearEnd();
  }

  function loadMoreIfNearEnd() {
    const s = els.scroller;
    // A hidden list (the thread fills a phone's screen) has no height and is not being scrolled.
    if (s.clientHeight === 0) return;
    if (s.scrollHeight - s.scrollTop - s.clientHeight < NEAR_END_PX) loadMore();
  }

  /** Fetches one phone's row: the open conversation below the loaded ones, or one an event came without. */
  async function fetchOne(phone, live) {
    if (fetching.has(phone)) return;
    fetching.add(phone);
    try {
      const data = await api(`/chat/conversations?phone=${encodeURIComponent(phone)}`);
      const row = data?.conversations?.[0];
      if (row && merge(row, live)) render();
    } catch {
      // the next event or reload brings it
    } finally {
      fetching.delete(phone);
    }
  }

  /** A live `message` event. Bursts of them are drawn once per frame. */
  function applyEvent(event) {
    if (!event.conversation) {
      fetchOne(event.phone, true);
      return;
    }
    if (merge(event.conversation, true) && !renderQueued) {
      renderQueued = true;
      requestAnimationFrame(() => {
        renderQueued = false;
        render();
      });
    }
  }

  function rowOf(phone) {
    return rows.get(phone) ?? (pinned?.phone === phone ? pinned : null);
  }

  /** A conversation was opened: its news are seen; below the loaded ones, its row is fetched to pin it. */
  function opened(phone) {
    const row = rowOf(phone);
    if (row) {
      row.unseen = false;
      if (visible()) seen.markSeen(phone, row.last_message?.sequence);
    } else if (edge !== null) fetchOne(phone, false);
    render();
  }

  function displayOf(phone) {
    return rowOf(phone)?.phone_display ?? null;
  }

  /** The contact's name of a phone, when one is known (null: none, or not known here). */
  function nameOf(phone) {
    return names.get(phone) ?? null;
  }

  /** What a thread's answer said of its phone's name, for a phone the list has no row of. */
  function learnName(phone, name) {
    names.set(phone, name ?? null);
  }

  /** A live `contact` event: the name changed in some tab (or script); every row of that phone shows it. */
  function applyContact(contact) {
    names.set(contact.phone, contact.contact_name ?? null);
    const row = rowOf(contact.phone);
    if (row) row.contact_name = contact.contact_name ?? null;
    render();
  }

  // Back on the page: the open conversation's news are now seen.
  document.addEventListener('visibilitychange', () => {
    const phone = host.openPhone();
    if (!visible() || !phone) return;
    seen.markSeen(phone, rowOf(phone)?.last_message?.sequence);
    render();
  });

  function render() {
    const open = host.openPhone();
    const ordered = [...rows.values()].sort((a, b) => {
      const [pa, pb] = [placeOf(a), placeOf(b)];
      if (isAbove(pa, pb)) return -1;
      return isAbove(pb, pa) ? 1 : 0;
    });
    if (open && !rows.has(open)) {
      ordered.unshift(pinned?.phone === open ? pinned
        : { phone: open, phone_display: host.openDisplay() ?? open, last_message: null, summary: null });
    }
    const keep = new Set();
    ordered.forEach((row, index) => {
      const li = rowElement(row, row.phone === open);
      keep.add(row.phone);
      // Only a row whose place changed is moved, so a focused row elsewhere keeps its focus.
      if (els.list.children[index] !== li) els.list.insertBefore(li, els.list.children[index] ?? null);
    });
    for (const [phone, item] of shown) {
      if (keep.has(phone)) continue;
      item.li.remove();
      shown.delete(phone);
    }
    els.empty.hidden = ordered.length > 0;
    if (ordered.length && !firstRowMarked) {
      firstRowMarked = true;
      performance.mark(FIRST_ROW_MARK);
    }
    renderMore();
  }

  function renderMore() {
    els.more.hidden = !nextBefore;
    els.more.disabled = loading;
    els.more.textContent = t(loading ? 'conv.loading' : 'conv.more');
  }

  function rowElement(row, active) {
    const draft = active ? null : host.draftOf(row.phone);
    const unread = active ? 0 : seen.unread(row.phone, row.last_message?.sequence);
    const signature = JSON.stringify([row.revision, row.last_message?.id, row.phone_display, row.contact_name,
      active, row.unseen, unread, draft?.text, draft?.files.map((f) => f.name)]);
    let item = shown.get(row.phone);
    if (!item) {
      const a = h('a', { testid: 'conversation' });
      item = { li: h('li', {}, a), a, signature: null };
      shown.set(row.phone, item);
    }
    if (item.signature !== signature) {
      item.signature = signature;
      fillRow(item.a, row, active, draft, unread);
    }
    return item.li;
  }

  /** Forgets how rows were drawn, e.g. after a change of language. */
  function redraw() {
    for (const item of shown.values()) item.signature = null;
    render();
  }

  return { reload, loadMore, loadMoreIfNearEnd, applyEvent, applyContact, opened, displayOf, nameOf, learnName,
    render, redraw };
}

function fillRow(a, row, active, draft, unread) {
  a.className = `conversation${active ? ' active' : ''}${row.unseen ? ' unseen' : ''}`;
  a.href = `#phone=${encodeURIComponent(row.phone)}`;
  a.dataset.phone = row.phone;
  a.dataset.unseen = String(Boolean(row.unseen));
  a.dataset.unread = String(unread);
  if (active) a.setAttribute('aria-current', 'page');
  else a.removeAttribute('aria-current');
  const last = row.last_message;
  fill(a,
    h('span', { class: 'avatar', 'aria-hidden': 'true', text: '👤' }),
    h('span', { class: 'conversation-main' },
      h('span', { class: 'conversation-top' },
        row.contact_name ? h('span', { class: 'conversation-name', testid: 'conversation-name',
          text: row.contact_name }) : null,
        // elementtiming: the browser notes when a row is first painted, which `make bench` reads as "page ready".
        h('span', { class: `conversation-phone${row.contact_name ? ' muted small' : ''}`, testid: 'conversation-phone',
          elementtiming: 'relay:conversation', text: row.phone_display || row.phone }),
        last ? h('time', { class: 'muted small', datetime: last.created_at, title: formatDateTime(last.created_at),
          text: formatTime(last.created_at) }) : null),
      h('span', { class: 'conversation-bottom' },
        draft ? h('span', { class: 'conversation-preview draft', testid: 'conversation-draft',
          text: `✏️ ${t('conv.draft', { text: draftText(draft) })}` })
          : h('span', { class: 'conversation-preview muted', testid: 'conversation-preview',
            text: last ? previewOf(last) : t('conv.new') }),
        unread > 0 ? h('span', { class: 'unread-count', testid: 'conversation-unread', role: 'img',
          title: t('conv.unread', { n: unread }), 'aria-label': t('conv.unread', { n: unread }),
          text: formatNumber(unread) })
          : row.unseen ? h('span', { class: 'unseen-dot', testid: 'conversation-unseen', role: 'img',
            title: t('conv.unseen'), 'aria-label': t('conv.unseen'), text: '●' }) : null,
        row.blocked_by ? h('span', { class: 'blocked-flag', testid: 'conversation-blocked', role: 'img',
          title: t('conv.blocked'), 'aria-label': t('conv.blocked'), text: '⛔' }) : null,
        row.summary ? summaryBadge(row.summary) : null)));
}

function draftText(draft) {
  const files = draft.files.map((file) => `📎 ${file.name}`);
  return [draft.text.trim(), ...files].filter(Boolean).join(' ');
}

/** A message in one line: its status mark and its text or file. */
export function previewOf(message) {
  const mark = message.status ? `${STATUS[message.status]?.icon ?? ''} ` : '';
  if (message.text) return mark + message.text;
  if (message.attachment) return `${mark}${KIND_ICONS[message.attachment.kind] ?? '📎'} ${message.attachment.filename}`;
  return mark;
}

function summaryBadge(summary) {
  const parts = [];
  const pending = (summary.queued ?? 0) + (summary.sending ?? 0);
  if (summary.failed) parts.push(['failed', `✗ ${summary.failed}`]);
  if (summary.retrying) parts.push(['retrying', `↻ ${summary.retrying}`]);
  if (summary.held) parts.push(['held', `⏸ ${summary.held}`]);
  if (pending) parts.push(['queued', `🕓 ${pending}`]);
  if (summary.delivered) parts.push(['delivered', `✓ ${summary.delivered}`]);
  const label = t('conv.summary', { delivered: summary.delivered ?? 0, failed: summary.failed ?? 0,
    pending: pending + (summary.retrying ?? 0) + (summary.held ?? 0) });
  return h('span', { class: 'summary', testid: 'conversation-summary', title: label, 'aria-label': label },
    parts.map(([cls, text]) => h('span', { class: `summary-part s-${cls}`, text })));
}
