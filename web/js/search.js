// The sidebar's search: names, phones and message text, answered by the server (GET /chat/search) a page of each
// kind at a time. While a query is typed the results take the conversation list's place; clearing it brings the
// list back. Results link to their conversation, or to the message in it.
import { api, errorText } from './api.js';
import { debounce, fill, h, KIND_ICONS } from './dom.js';
import { formatDateTime, formatTime, t } from './i18n.js';
import { previewOf } from './conversations.js';

const PAGE_SIZE = 20;
const TYPING_MS = 250;

/** els: {form, input, results, list}: the search box, where results go, and the list they stand in for. */
export function createSearch(els) {
  let query = '';
  let generation = 0; // bumps on every new query, so an answer to an older one is dropped
  let answer = null; // {text_searched, conversations: {items, next_before}, messages: {items, next_before}}
  let error = null;
  let loadingMore = null; // 'conversations' | 'messages' while its next page loads

  async function run() {
    const q = els.input.value.trim();
    if (q === query) return;
    query = q;
    const mine = ++generation;
    answer = null;
    error = null;
    showing(Boolean(q));
    if (!q) return;
    render();
    try {
      const data = await api(`/chat/search?q=${encodeURIComponent(q)}&limit=${PAGE_SIZE}`);
      if (mine !== generation) return;
      answer = data;
    } catch (e) {
      if (mine !== generation) return;
      error = e;
    }
    render();
  }

  async function more(kind) {
    const section = answer?.[kind];
    if (!section?.next_before || loadingMore) return;
    const mine = generation;
    loadingMore = kind;
    render();
    try {
      const data = await api(`/chat/search?q=${encodeURIComponent(query)}&limit=${PAGE_SIZE}&in=${kind}`
        + `&before=${encodeURIComponent(section.next_before)}`);
      if (mine !== generation) return;
      const next = data[kind];
      answer[kind] = { ...next, items: [...section.items, ...(next?.items ?? [])] };
    } catch (e) {
      if (mine !== generation) return;
      error = e;
    } finally {
      if (mine === generation) loadingMore = null;
    }
    render();
  }

  function showing(on) {
    els.results.hidden = !on;
    els.list.hidden = on;
    if (!on) fill(els.results);
  }

  function render() {
    if (!query) return;
    if (error) {
      fill(els.results, h('p', { class: 'field-error search-note', testid: 'search-error', text: errorText(error) }));
      return;
    }
    if (!answer) {
      fill(els.results, h('p', { class: 'muted search-note', text: t('search.searching') }));
      return;
    }
    const conversations = answer.conversations?.items ?? [];
    const messages = answer.messages?.items ?? [];
    fill(els.results,
      conversations.length ? group('conversations', t('search.conversations'), conversations.map(conversationHit))
        : null,
      messages.length ? group('messages', t('search.messages'), messages.map((m) => messageHit(m))) : null,
      !conversations.length && !messages.length
        ? h('p', { class: 'muted search-note', testid: 'search-none', text: t('search.none', { q: query }) }) : null,
      answer.text_searched ? null
        : h('p', { class: 'muted small search-note', testid: 'search-short', text: t('search.short') }));
  }

  function group(kind, title, items) {
    const next = answer[kind]?.next_before;
    return h('section', { class: 'search-group', testid: `search-${kind}`, 'aria-label': title },
      h('h2', { class: 'search-title', text: title }),
      h('ul', {}, items),
      next ? h('button', { type: 'button', class: 'button small conversations-more', testid: `search-more-${kind}`,
        disabled: loadingMore === kind, text: t(loadingMore === kind ? 'search.loading' : 'search.more'),
        onclick: () => more(kind) }) : null);
  }

  const typed = debounce(run, TYPING_MS);
  els.input.addEventListener('input', typed);
  els.form.addEventListener('submit', (event) => {
    event.preventDefault();
    run();
  });
  els.input.addEventListener('keydown', (event) => {
    if (event.key !== 'Escape' || !els.input.value) return;
    event.stopPropagation();
    els.input.value = '';
    run();
  });
  return {
    /** Draws the results again, e.g. in another language. */
    redraw: render,
  };
}

function who(row) {
  const phone = row.phone_display || row.phone;
  return [
    h('span', { class: 'conversation-name', text: row.contact_name ?? phone }),
    row.contact_name ? h('span', { class: 'conversation-phone muted small', text: phone }) : null,
  ];
}

function conversationHit(row) {
  const last = row.last_message;
  return h('li', {}, h('a', { class: 'conversation search-hit', testid: 'search-conversation',
    href: `#phone=${encodeURIComponent(row.phone)}`, dataset: { phone: row.phone } },
  h('span', { class: 'avatar', 'aria-hidden': 'true', text: '👤' }),
  h('span', { class: 'conversation-main' },
    h('span', { class: 'conversation-top' }, who(row),
      last ? h('time', { class: 'muted small', datetime: last.created_at, title: formatDateTime(last.created_at),
        text: formatTime(last.created_at) }) : null),
    h('span', { class: 'conversation-bottom' },
      h('span', { class: 'conversation-preview muted', text: last ? previewOf(last) : t('conv.new') })))));
}

function messageHit(hit) {
  const href = `#phone=${encodeURIComponent(hit.phone)}&message=${encodeURIComponent(hit.id)}`;
  return h('li', {}, h('a', { class: 'conversation search-hit', testid: 'search-message', href,
    dataset: { phone: hit.phone, id: hit.id } },
  h('span', { class: 'avatar', 'aria-hidden': 'true', text: KIND_ICONS[hit.kind] ?? '💬' }),
  h('span', { class: 'conversation-main' },
    h('span', { class: 'conversation-top' }, who(hit),
      h('time', { class: 'muted small', datetime: hit.created_at, title: formatDateTime(hit.created_at),
        text: formatTime(hit.created_at) })),
    h('span', { class: 'search-snippet', testid: 'search-snippet' }, snippet(hit)))));
}

/** The snippet with the match marked; built from text nodes, never parsed as HTML. */
function snippet(hit) {
  const text = hit.snippet ?? '';
  const parts = [];
  if (hit.filename) parts.push(`📎 ${hit.filename}${text ? ' · ' : ''}`);
  const mark = hit.highlight;
  if (mark && mark.start >= 0 && mark.end <= text.length && mark.start < mark.end) {
    parts.push(text.slice(0, mark.start), h('mark', { text: text.slice(mark.start, mark.end) }), text.slice(mark.end));
  } else {
    parts.push(text);
  }
  return parts;
}
