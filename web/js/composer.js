// The composer: the text, the files staged for the next message, and what was typed in other conversations.
// The composer always shows the open conversation's draft (that one lives in the composer, not in `drafts`), so
// what is sent is what the operator sees, and switching conversation takes each draft along with its conversation.
import { byId, fill, guessKind, h, KIND_ICONS } from './dom.js';
import { formatSize, t } from './i18n.js';

export const MAX_TEXT = 4096; // code points, as the server counts them
const MAX_HEIGHT_PX = 160;

/** A text's length as the server counts it: code points, so an emoji is one, not two. */
export function codePoints(text) {
  return [...text].length;
}

/**
 * els: {form, text, error, staged, fileInput, attach, dropZone, pane}.
 * host: {send(phone, text, file), maxAttachmentBytes()}: sends one message (text, file or both) without waiting.
 */
export function createComposer(els, host) {
  let phone = null; // the conversation whose draft the composer shows
  let staged = []; // files chosen for the next message
  const drafts = new Map(); // phone -> {text, files} typed for another conversation and not sent

  /** Opens another conversation (or none): the draft stays with the one left, the next one's comes back. */
  function switchTo(next) {
    if (phone) {
      const text = els.text.value;
      if (text.trim() || staged.length) drafts.set(phone, { text, files: staged });
      else drafts.delete(phone);
    }
    phone = next;
    showDraft(drafts.get(next));
  }

  /** The open conversation under its canonical number: that one's draft comes back unless something was typed. */
  function rename(canonical) {
    phone = canonical;
    if (!els.text.value && staged.length === 0) showDraft(drafts.get(canonical));
  }

  function showDraft(draft) {
    if (phone) drafts.delete(phone);
    els.text.value = draft?.text ?? '';
    staged = draft ? [...draft.files] : [];
    autosize();
    renderStaged();
    clearError();
  }

  function stage(files) {
    staged.push(...files);
    renderStaged();
    clearError();
  }

  function renderStaged() {
    const max = host.maxAttachmentBytes();
    fill(els.staged, staged.map((file, index) => {
      const tooBig = max && file.size > max;
      return h('li', { class: `chip staged-chip${tooBig ? ' has-error' : ''}`, testid: 'staged-file' },
        h('span', { class: 'chip-icon', 'aria-hidden': 'true', text: KIND_ICONS[guessKind(file)] }),
        h('span', { class: 'chip-info' },
          h('span', { class: 'chip-name', text: file.name }),
          h('span', { class: 'chip-size small muted', text: formatSize(file.size) })),
        h('button', { type: 'button', class: 'icon-button small', testid: 'staged-remove',
          title: t('composer.removeFile', { name: file.name }), 'aria-label': t('composer.removeFile', { name: file.name }),
          text: '✕', onclick: () => {
            staged.splice(index, 1);
            renderStaged();
            els.text.focus();
          } }));
    }));
  }

  function submit(event) {
    event?.preventDefault();
    if (!phone) return;
    const text = els.text.value;
    const trimmed = text.trim();
    const files = staged;
    if (!trimmed && files.length === 0) {
      showError(t('error.empty_message'));
      return;
    }
    if (codePoints(text) > MAX_TEXT) {
      showError(t('error.text_too_long_n', { max: MAX_TEXT, n: codePoints(text) }));
      return;
    }
    const max = host.maxAttachmentBytes();
    const tooBig = files.find((f) => max && f.size > max);
    if (tooBig) {
      showError(t('error.file_too_large', { name: tooBig.name, max: formatSize(max) }));
      return;
    }
    clearError();
    els.text.value = '';
    autosize();
    staged = [];
    renderStaged();
    els.text.focus();
    if (files.length === 0) {
      host.send(phone, trimmed ? text : '', null);
    } else {
      files.forEach((file, index) => host.send(phone, index === 0 && trimmed ? text : '', file));
    }
  }

  /** Puts back a text the server refused for what it says, unless something new was typed meanwhile. */
  function restore(text) {
    if (els.text.value) return;
    els.text.value = text;
    autosize();
  }

  function showError(text) {
    els.error.textContent = text;
    els.text.setAttribute('aria-invalid', 'true');
  }

  function clearError() {
    els.error.textContent = '';
    els.text.setAttribute('aria-invalid', 'false');
  }

  function autosize() {
    els.text.style.height = 'auto';
    els.text.style.height = `${Math.min(els.text.scrollHeight, MAX_HEIGHT_PX)}px`;
  }

  function wire() {
    els.form.addEventListener('submit', submit);
    els.text.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        submit();
      }
    });
    els.text.addEventListener('input', () => {
      autosize();
      if (codePoints(els.text.value) <= MAX_TEXT && els.error.textContent) clearError();
    });
    els.attach.addEventListener('click', () => els.fileInput.click());
    els.fileInput.addEventListener('change', () => {
      stage([...els.fileInput.files]);
      els.fileInput.value = '';
      els.text.focus();
    });
    wireDragAndDrop();
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
    els.pane.addEventListener('dragenter', (event) => {
      if (!hasFiles(event) || !phone) return;
      depth += 1;
      els.dropZone.hidden = false;
    });
    els.pane.addEventListener('dragleave', () => {
      depth = Math.max(0, depth - 1);
      if (depth === 0) els.dropZone.hidden = true;
    });
    els.pane.addEventListener('drop', (event) => {
      depth = 0;
      els.dropZone.hidden = true;
      if (!hasFiles(event) || !phone) return;
      event.preventDefault();
      stage([...event.dataTransfer.files]);
      els.text.focus();
    });
  }

  wire();
  return {
    switchTo,
    rename,
    /** What was typed and staged for a conversation that is not open ({text, files}), or null. */
    draftOf: (of) => drafts.get(of) ?? null,
    restore,
    showError,
    clearError,
    focus: () => els.text.focus(),
    hideDropZone() {
      els.dropZone.hidden = true;
    },
    redraw: renderStaged,
  };
}

/** The composer's elements on the chat page. */
export function composerElements() {
  return {
    form: byId('composer'),
    text: byId('composer-text'),
    error: byId('composer-error'),
    staged: byId('staged'),
    fileInput: byId('file-input'),
    attach: byId('attach-button'),
    dropZone: byId('drop-zone'),
    pane: byId('pane'),
  };
}
