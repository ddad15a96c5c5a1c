// The composer: the text, the files staged for the next message (each with a preview and an optional caption), and
// what was typed in other conversations. The composer always shows the open conversation's draft (that one lives in
// the composer, not in `drafts`), so what is sent is what the operator sees, and switching conversation takes each
// draft along with its conversation. Drafts' texts are kept in localStorage so a reload does not lose them.
import { byId, fill, guessKind, h, KIND_ICONS } from './dom.js';
import { formatNumber, formatSize, t } from './i18n.js';

export const MAX_TEXT = 4096; // code points, as the server counts them
const COUNTER_FROM = 3800; // the counter shows from here on, when the limit starts to matter
const MAX_HEIGHT_PX = 160;
const DRAFTS_KEY = 'relay.drafts';

/** A text's length as the server counts it: code points, so an emoji is one, not two. */
function codePoints(text) {
  return [...text].length;
}

/**
 * els: {form, text, error, staged, fileInput, attach, dropZone, pane}.
 * host: {send(phone, text, file), maxAttachmentBytes()}: sends one message (text, file or both) without waiting.
 */
export function createComposer(els, host) {
  let phone = null; // the conversation whose draft the composer shows
  let staged = []; // {file, caption, preview}: files chosen for the next message, in the order they will be sent
  const drafts = loadDrafts(); // phone -> {text, files} typed for another conversation and not sent
  const counter = h('p', { class: 'composer-counter small muted', id: 'composer-counter', testid: 'composer-counter',
    hidden: true });
  els.error.before(counter);
  els.text.setAttribute('aria-describedby', `${els.text.getAttribute('aria-describedby') ?? ''} composer-counter`.trim());

  /** Opens another conversation (or none): the draft stays with the one left, the next one's comes back. */
  function switchTo(next) {
    keepDraft();
    phone = next;
    showDraft(drafts.get(next));
  }

  function keepDraft() {
    if (!phone) return;
    const text = els.text.value;
    if (text.trim() || staged.length) drafts.set(phone, { text, files: staged });
    else drafts.delete(phone);
    saveDrafts();
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
    changed();
    renderStaged();
    clearError();
  }

  function stage(files) {
    for (const file of files) {
      staged.push({ file, caption: '', preview: guessKind(file) === 'image' ? URL.createObjectURL(file) : null });
    }
    renderStaged();
    clearError();
  }

  function unstage(entry) {
    staged = staged.filter((other) => other !== entry);
    if (entry.preview) URL.revokeObjectURL(entry.preview);
    renderStaged();
  }

  /** The preview strip: a thumbnail (images) or the kind's icon, name, size, a caption box and remove. */
  function renderStaged() {
    const max = host.maxAttachmentBytes();
    fill(els.staged, staged.map((entry) => {
      const { file } = entry;
      const tooBig = max && file.size > max;
      const caption = h('input', { type: 'text', class: 'staged-caption', testid: 'staged-caption', placeholder: t('composer.caption'), 'aria-label': t('composer.captionFor', { name: file.name }),
        value: entry.caption });
      caption.addEventListener('input', () => {
        entry.caption = caption.value;
      });
      caption.addEventListener('keydown', (event) => {
        if (event.key === 'Enter' && !event.isComposing) {
          event.preventDefault();
          submit();
        }
      });
      const look = entry.preview
        ? h('img', { class: 'staged-thumb', src: entry.preview, alt: '', testid: 'staged-thumb' })
        : h('span', { class: 'chip-icon', 'aria-hidden': 'true', text: KIND_ICONS[guessKind(file)] });
      return h('li', { class: `chip staged-chip${tooBig ? ' has-error' : ''}`, testid: 'staged-file' },
        h('div', { class: 'staged-row' }, look,
          h('span', { class: 'chip-info' },
            h('span', { class: 'chip-name', text: file.name, title: file.name }),
            h('span', { class: 'chip-size small muted', testid: 'staged-size', text: formatSize(file.size) })),
          h('button', { type: 'button', class: 'icon-button small', testid: 'staged-remove',
            title: t('composer.removeFile', { name: file.name }), 'aria-label': t('composer.removeFile', { name: file.name }),
            text: '✕', onclick: () => {
              unstage(entry);
              els.text.focus();
            } })),
        caption);
    }));
  }

  /**
   * Sends what the composer holds, in the order shown: each file with its caption, then the text — or the text as the
   * first file's caption when that one has none, as it was typed beside it.
   */
  function submit(event) {
    event?.preventDefault();
    if (!phone) return;
    const text = els.text.value.trim() ? els.text.value : '';
    const messages = staged.map((entry) => ({ text: entry.caption.trim() ? entry.caption : '', file: entry.file }));
    if (text && messages.length && !messages[0].text) messages[0].text = text;
    else if (text) messages.push({ text, file: null });
    if (messages.length === 0) {
      showError(t('error.empty_message'));
      return;
    }
    const tooLong = messages.find((m) => codePoints(m.text) > MAX_TEXT);
    if (tooLong) {
      showError(t('error.text_too_long_n', { max: MAX_TEXT, n: codePoints(tooLong.text) }));
      return;
    }
    const max = host.maxAttachmentBytes();
    const tooBig = messages.find((m) => max && m.file && m.file.size > max);
    if (tooBig) {
      showError(t('error.file_too_large', { name: tooBig.file.name, max: formatSize(max) }));
      return;
    }
    clearError();
    els.text.value = '';
    for (const entry of staged) if (entry.preview) URL.revokeObjectURL(entry.preview);
    staged = [];
    changed();
    renderStaged();
    saveDrafts();
    els.text.focus();
    for (const m of messages) host.send(phone, m.text, m.file);
  }

  /** Puts back a text that did not go (refused for what it says, or its upload cancelled), keeping what is there. */
  function restore(text) {
    if (!text) return;
    els.text.value = els.text.value ? `${els.text.value}\n${text}` : text;
    changed();
  }

  /** After every change of the text: its height, its counter, and the draft kept for a reload. */
  function changed() {
    els.text.style.height = 'auto';
    els.text.style.height = `${Math.min(els.text.scrollHeight, MAX_HEIGHT_PX)}px`;
    const n = codePoints(els.text.value);
    counter.hidden = n < COUNTER_FROM;
    counter.textContent = counter.hidden ? '' : t('composer.counter', { n: formatNumber(n), max: formatNumber(MAX_TEXT) });
    counter.classList.toggle('over', n > MAX_TEXT);
    counter.dataset.count = String(n);
  }

  function showError(text) {
    els.error.textContent = text;
    els.text.setAttribute('aria-invalid', 'true');
  }

  function clearError() {
    els.error.textContent = '';
    els.text.setAttribute('aria-invalid', 'false');
  }

  /** Only texts are kept: files cannot be stored, and a staged file is lost on reload like any file input's. */
  function saveDrafts() {
    const texts = {};
    for (const [of, draft] of drafts) if (draft.text.trim()) texts[of] = draft.text;
    if (phone && els.text.value.trim()) texts[phone] = els.text.value;
    try {
      localStorage.setItem(DRAFTS_KEY, JSON.stringify(texts));
    } catch {
      // storage full or refused: drafts still live while the page is open
    }
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
      changed();
      saveDraftsSoon();
      if (codePoints(els.text.value) <= MAX_TEXT && els.error.textContent) clearError();
    });
    // Pasted images and files (a screenshot, a file copied in a file manager) are staged like chosen ones.
    els.form.addEventListener('paste', (event) => {
      const files = [...(event.clipboardData?.files ?? [])];
      if (files.length === 0 || !phone) return;
      event.preventDefault();
      stage(files);
    });
    els.attach.addEventListener('click', () => els.fileInput.click());
    els.fileInput.addEventListener('change', () => {
      stage([...els.fileInput.files]);
      els.fileInput.value = '';
      els.text.focus();
    });
    window.addEventListener('pagehide', saveDrafts);
    wireDragAndDrop();
  }

  let saveTimer = null;
  function saveDraftsSoon() {
    clearTimeout(saveTimer);
    saveTimer = setTimeout(saveDrafts, 500);
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
    draftOf: (of) => {
      const draft = drafts.get(of);
      return draft ? { text: draft.text, files: draft.files.map((entry) => entry.file) } : null;
    },
    restore,
    showError,
    clearError,
    focus: () => els.text.focus(),
    hideDropZone() {
      els.dropZone.hidden = true;
    },
    redraw() {
      renderStaged();
      changed();
    },
  };
}

function loadDrafts() {
  const drafts = new Map();
  try {
    const texts = JSON.parse(localStorage.getItem(DRAFTS_KEY) ?? '{}');
    for (const [phone, text] of Object.entries(texts ?? {})) {
      if (typeof text === 'string') drafts.set(phone, { text, files: [] });
    }
  } catch {
    // an unreadable store starts empty
  }
  return drafts;
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
