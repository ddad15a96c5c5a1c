// Messages the server has not accepted yet, by conversation. Each is shown at once as a local bubble; files upload
// side by side, but the messages of one conversation are posted one after the other in the order they were sent, so
// the order shown is the order the server receives them. When the server cannot be reached (a network error, not an
// HTTP answer) they wait "for connection" and go on by themselves, in order, once it answers again. Texts waiting
// are kept in localStorage so a reload does not lose them; files cannot be, so leaving with one unsent asks first.
import { api, errorText } from './api.js';
import { guessKind } from './dom.js';
import { uploadFile } from './uploads.js';

const PROBE_MS = 2000; // how often /healthz is asked while the server cannot be reached
const STORAGE_PREFIX = 'relay.outbox.';
const TAB_KEY = 'relay.tab';

/**
 * host: {show(item), update(item), progress(item), accepted(item, view), remove(item), refusedTyping(item, error),
 * cancelled(item), connection(online), announce(text)}: show/update/progress/accepted/remove redraw the item where it
 * is shown (if its conversation is open); refusedTyping(item, error) returns true when it took back a text refused
 * for what was typed; cancelled(item) is told of an upload the operator stopped; connection(online) of a change.
 */
export function createOutbox(host) {
  const byPhone = new Map(); // phone -> Map of key -> item, in the order they were sent
  const storageKey = STORAGE_PREFIX + tabId();
  let counter = 0;
  let online = true;
  let probe = null;

  /** Shows the message at once, uploads its file if any, then asks the server to accept it. Never awaited. */
  function send(phone, text, file) {
    const item = enqueue(phone, text, file, new Date().toISOString());
    save();
    host.show(item);
    if (file) startUpload(item);
    pump(phone);
  }

  function enqueue(phone, text, file, createdAt) {
    counter += 1;
    const key = `local-${counter}`;
    const item = {
      key, order: counter, local: true, phone, upload: null, error: null, offline: !online, file, text,
      view: { text: text || null, created_at: createdAt, status: 'local',
        attachment: file ? { kind: guessKind(file), filename: file.name, size: file.size } : null },
    };
    if (file && guessKind(file) === 'image') item.previewUrl = URL.createObjectURL(file);
    if (!byPhone.has(phone)) byPhone.set(phone, new Map());
    byPhone.get(phone).set(key, item);
    return item;
  }

  async function startUpload(item) {
    item.upload = { loaded: 0, total: item.file.size };
    host.update(item);
    const job = uploadFile(item.file, (loaded, total) => {
      item.upload = { loaded, total };
      host.progress(item);
    });
    item.abort = job.abort;
    try {
      item.attachmentId = (await job.promise).id;
      item.upload = null;
      item.abort = null;
      host.update(item);
      pump(item.phone);
    } catch (e) {
      item.upload = null;
      item.abort = null;
      // A dropped connection looks the same whether the server is down or refused a body too large: ask it.
      if (e.code === 'upload_failed' && !(await reachable())) {
        item.uploadAgain = true;
        host.update(item);
        wentOffline();
        return;
      }
      rejected(item, e);
    }
  }

  /** Posts the next message of a conversation whose turn it is: the first one not refused, once its file is up. */
  async function pump(phone) {
    const queue = byPhone.get(phone);
    const head = queue && [...queue.values()].find((item) => !item.error);
    if (!online || !head || head.posting || (head.file && !head.attachmentId)) return;
    head.posting = true;
    try {
      const body = { phone: head.phone };
      if (head.text) body.text = head.text;
      if (head.attachmentId) body.attachment_id = head.attachmentId;
      const view = await api('/chat/messages', { method: 'POST', body });
      forget(head);
      host.accepted(head, view);
    } catch (e) {
      if (e.code === 'network') {
        wentOffline();
        return;
      }
      rejected(head, e);
    } finally {
      head.posting = false;
    }
    pump(phone);
  }

  /** Errors caused by what was typed go back to the composer (text restored); the rest stay on the bubble. */
  function rejected(item, error) {
    if (error.code === 'aborted') {
      dismiss(item);
      host.cancelled(item);
      return;
    }
    const aboutTyping = !item.file && ['text', 'phone'].includes(error.field);
    if (aboutTyping && host.refusedTyping(item, error)) {
      dismiss(item);
      return;
    }
    item.error = errorText(error);
    const retriable = error.status === 0 || error.status >= 500 || error.status === 429;
    item.retry = retriable ? () => retry(item) : null;
    save();
    host.update(item);
    host.announce(item.error);
    pump(item.phone);
  }

  /** Tries a refused message again: it goes to the end of its conversation's line, where it is now shown. */
  function retry(item) {
    const queue = byPhone.get(item.phone);
    queue.delete(item.key);
    queue.set(item.key, item);
    counter += 1;
    item.order = counter;
    item.error = null;
    item.retry = null;
    item.offline = !online;
    save();
    host.show(item);
    host.update(item);
    if (item.file && !item.attachmentId) startUpload(item);
    pump(item.phone);
  }

  function wentOffline() {
    if (online) {
      online = false;
      host.connection(false);
    }
    for (const item of waiting()) {
      if (!item.offline) {
        item.offline = true;
        host.update(item);
      }
    }
    if (!probe) probe = setInterval(() => reachable().then((up) => up && backOnline()), PROBE_MS);
  }

  /** The server answers again (a probe, or the event stream reconnected): everything waiting goes, in order. */
  function backOnline() {
    clearInterval(probe);
    probe = null;
    if (!online) {
      online = true;
      host.connection(true);
    }
    for (const item of waiting()) {
      item.offline = false;
      host.update(item);
      if (item.uploadAgain) {
        item.uploadAgain = false;
        startUpload(item);
      }
    }
    for (const phone of byPhone.keys()) pump(phone);
  }

  function waiting() {
    return [...byPhone.values()].flatMap((queue) => [...queue.values()]).filter((item) => !item.error);
  }

  function forget(item) {
    byPhone.get(item.phone)?.delete(item.key);
    if (item.previewUrl) URL.revokeObjectURL(item.previewUrl);
    save();
  }

  /** Drops an unsent message: its upload stops and its bubble goes. */
  function dismiss(item) {
    item.abort?.();
    forget(item);
    host.remove(item);
    pump(item.phone);
  }

  /** The texts still to send, kept per tab (a reload keeps its tab's sessionStorage) so two tabs never both send one. */
  function save() {
    const texts = waiting().filter((item) => !item.file)
      .map((item) => ({ phone: item.phone, text: item.text, created_at: item.view.created_at }));
    try {
      if (texts.length) localStorage.setItem(storageKey, JSON.stringify(texts));
      else localStorage.removeItem(storageKey);
    } catch {
      // storage full or refused: the texts still go while the page stays open
    }
  }

  function restore() {
    let texts = [];
    try {
      texts = JSON.parse(localStorage.getItem(storageKey) ?? '[]');
    } catch {
      texts = [];
    }
    for (const { phone, text, created_at: createdAt } of Array.isArray(texts) ? texts : []) {
      if (typeof phone === 'string' && typeof text === 'string') host.show(enqueue(phone, text, null, createdAt));
    }
    for (const phone of byPhone.keys()) pump(phone);
  }

  // Leaving now would lose a file not yet accepted by the server (only texts are kept): the browser asks first.
  window.addEventListener('beforeunload', (event) => {
    if (waiting().some((item) => item.file)) {
      event.preventDefault();
      event.returnValue = '';
    }
  });

  return {
    send,
    dismiss,
    restore,
    backOnline,
    /** The messages of a conversation not accepted yet, in the order they were sent. */
    pending: (phone) => [...(byPhone.get(phone)?.values() ?? [])],
  };
}

/** Whether the server answers at all (any HTTP status will do: only a network error means it cannot be reached). */
async function reachable() {
  try {
    await fetch('/healthz', { cache: 'no-store' });
    return true;
  } catch {
    return false;
  }
}

function tabId() {
  try {
    let id = sessionStorage.getItem(TAB_KEY);
    if (!id) {
      id = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
      sessionStorage.setItem(TAB_KEY, id);
    }
    return id;
  } catch {
    return 'default';
  }
}
