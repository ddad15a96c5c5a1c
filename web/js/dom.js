// Small DOM helpers. Everything that comes from the server or the user is put in the page as text
// (textContent / text nodes), never parsed as HTML: message text and file names are attacker-controlled.

/**
 * Creates an element. props: class, text, testid, dataset, on<event> listeners, any other attribute
 * (true = empty attribute, null/false = left out). Children: nodes or strings (added as text).
 */
export function h(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value == null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'text') node.textContent = value;
    else if (key === 'testid') node.dataset.testid = value;
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key.startsWith('on') && typeof value === 'function') node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children.flat()) {
    if (child == null || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
}

/** Replaces all children of node. */
export function fill(node, ...children) {
  node.replaceChildren();
  append(node, children);
  return node;
}

export function byId(id) {
  return document.getElementById(id);
}

/** Calls fn at most once per `ms`, always running a last time after the burst ends. */
export function throttle(fn, ms) {
  let timer = null;
  let again = false;
  const run = () => {
    timer = null;
    if (again) {
      again = false;
      fn();
      timer = setTimeout(run, ms);
    }
  };
  return () => {
    if (timer) {
      again = true;
      return;
    }
    fn();
    timer = setTimeout(run, ms);
  };
}

/** Calls fn once `ms` after the last call. */
export function debounce(fn, ms) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

export const KIND_ICONS = { image: '📸', pdf: '📄', document: '📝', audio: '🎵', video: '🎬', text: '💬' };

/** Each delivery state's mark and the i18n key of its name; `local` is a message the server has not accepted yet. */
export const STATUS = {
  local: { icon: '🕓', key: 'status.sending' },
  queued: { icon: '🕓', key: 'status.queued' },
  sending: { icon: '🕓', key: 'status.sending' },
  retrying: { icon: '↻', key: 'status.retrying' },
  held: { icon: '⏸', key: 'status.held' },
  waiting: { icon: '⏳', key: 'status.waiting' },
  delivered: { icon: '✓', key: 'status.delivered' },
  failed: { icon: '✗', key: 'status.failed' },
};

/** A best guess of the kind of a local file, for its chip before the server has looked at its bytes. */
export function guessKind(file) {
  const type = file.type || '';
  if (type.startsWith('image/')) return 'image';
  if (type.startsWith('audio/')) return 'audio';
  if (type.startsWith('video/')) return 'video';
  if (type === 'application/pdf' || /\.pdf$/i.test(file.name)) return 'pdf';
  return 'document';
}

/** Seconds from now until an ISO time, never negative; null when there is no time. */
export function secondsUntil(iso) {
  if (!iso) return null;
  return Math.max(0, Math.ceil((Date.parse(iso) - Date.now()) / 1000));
}

/**
 * One timer for every live countdown on the page: each registered function is called every second
 * (and once at once) so "next try in …s" ticks without re-rendering the rest.
 */
const tickers = new Set();
setInterval(() => {
  for (const tick of tickers) {
    if (tick() === false) tickers.delete(tick);
  }
}, 1000);

/** Registers tick; it is dropped when it returns false (e.g. once its element left the page). */
export function everySecond(tick) {
  if (tick() !== false) tickers.add(tick);
}
