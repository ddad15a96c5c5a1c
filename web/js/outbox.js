// Messages the server has not accepted yet, by conversation: shown at once as local bubbles, their files uploaded,
// then posted. They survive switching conversations and are shown after the server's messages of their thread.
import { api, errorText } from './api.js';
import { guessKind } from './dom.js';
import { uploadFile } from './uploads.js';

/**
 * host: {show(item), update(item), progress(item), accepted(item, view), remove(item), refusedTyping(item, error),
 * announce(text)}: show/update/progress/accepted/remove redraw the item where it is shown (if its conversation is
 * open); refusedTyping(item, error) returns true when it took back a text refused for what was typed.
 */
export function createOutbox(host) {
  const byPhone = new Map(); // phone -> Map of key -> item, in the order they were sent
  let counter = 0;

  /** Shows the message at once, uploads its file if any, then asks the server to accept it. Never awaited. */
  function send(phone, text, file) {
    counter += 1;
    const key = `local-${counter}`;
    const item = {
      key, order: counter, local: true, phone, upload: null, error: null, file, text,
      view: { text: text || null, created_at: new Date().toISOString(), status: 'local',
        attachment: file ? { kind: guessKind(file), filename: file.name, size: file.size } : null },
    };
    if (file && guessKind(file) === 'image') item.previewUrl = URL.createObjectURL(file);
    if (!byPhone.has(phone)) byPhone.set(phone, new Map());
    byPhone.get(phone).set(key, item);
    host.show(item);
    attempt(item);
  }

  async function attempt(item) {
    item.error = null;
    item.retry = null;
    host.update(item);
    try {
      if (item.file && !item.attachmentId) {
        item.upload = { loaded: 0, total: item.file.size };
        host.update(item);
        const job = uploadFile(item.file, (loaded, total) => {
          item.upload = { loaded, total };
          host.progress(item);
        });
        item.abort = job.abort;
        const attachment = await job.promise;
        item.upload = null;
        item.abort = null;
        item.attachmentId = attachment.id;
      }
      const body = { phone: item.phone };
      if (item.text) body.text = item.text;
      if (item.attachmentId) body.attachment_id = item.attachmentId;
      const view = await api('/chat/messages', { method: 'POST', body });
      forget(item);
      host.accepted(item, view);
    } catch (e) {
      item.upload = null;
      item.abort = null;
      rejected(item, e);
    }
  }

  /** Errors caused by what was typed go back to the composer (text restored); the rest stay on the bubble. */
  function rejected(item, error) {
    if (error.code === 'aborted') {
      dismiss(item);
      return;
    }
    const aboutTyping = !item.file && ['text', 'phone'].includes(error.field);
    if (aboutTyping && host.refusedTyping(item, error)) {
      dismiss(item);
      return;
    }
    item.error = errorText(error);
    const retriable = error.status === 0 || error.status >= 500 || error.status === 429;
    item.retry = retriable ? () => attempt(item) : null;
    host.update(item);
    host.announce(item.error);
  }

  function forget(item) {
    byPhone.get(item.phone)?.delete(item.key);
    if (item.previewUrl) URL.revokeObjectURL(item.previewUrl);
  }

  /** Drops an unsent message: its upload stops and its bubble goes. */
  function dismiss(item) {
    item.abort?.();
    forget(item);
    host.remove(item);
  }

  return {
    send,
    dismiss,
    /** The messages of a conversation not accepted yet, in the order they were sent. */
    pending: (phone) => [...(byPhone.get(phone)?.values() ?? [])],
  };
}
