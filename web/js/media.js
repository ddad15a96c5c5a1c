// Attachments shown as what they are: a picture opens in the viewer over the page, sound and video play in the
// bubble, a PDF opens in a new tab and any other file is saved. Every source is the attachment's own URL on this
// origin (or, for a picture still uploading, its local blob), so the page's CSP needs nothing more than 'self'.
import { h } from './dom.js';
import { t } from './i18n.js';
import { openLightbox } from './lightbox.js';

const THUMBS = 'img[data-testid="attachment-thumb"]';

/**
 * What the bubble shows above the file's name: a picture (a button opening the viewer), a player for sound and
 * video; null for the other kinds, and for sound and video not uploaded yet (there is nothing to play).
 * @param attachment the message's attachment view ({kind, filename, url})
 * @param localUrl   a blob URL of the picture while it uploads
 */
export function mediaPreview(attachment, localUrl = null) {
  const { kind, filename, url } = attachment;
  if (kind === 'image' && (url || localUrl)) return picture(url ?? localUrl, filename);
  if (!url) return null;
  // "metadata": the length and the first frame, not the whole file, for every player in a long thread.
  if (kind === 'audio') {
    return h('audio', { class: 'media-audio', controls: true, preload: 'metadata', src: url, testid: 'attachment-audio',
      'aria-label': filename });
  }
  if (kind === 'video') {
    return h('video', { class: 'media-video', controls: true, preload: 'metadata', playsinline: true, src: url,
      testid: 'attachment-video', 'aria-label': filename });
  }
  return null;
}

/** The links beside the file's name: a PDF opens in a new tab as well; every kind can be saved. */
export function attachmentLinks(attachment) {
  const { kind, filename, url } = attachment;
  if (!url) return [];
  const open = kind === 'pdf' ? h('a', { class: 'icon-button chip-open', href: url, target: '_blank',
    rel: 'noopener noreferrer', testid: 'attachment-open-tab', title: t('media.openTab', { name: filename }),
    'aria-label': t('media.openTab', { name: filename }), text: '↗' }) : null;
  const save = h('a', { class: 'icon-button chip-download', href: url, download: filename,
    testid: 'attachment-download', title: t('chip.download', { name: filename }),
    'aria-label': t('chip.download', { name: filename }), text: '⬇' });
  return [open, save].filter(Boolean);
}

function picture(src, filename) {
  const img = h('img', { class: 'thumb', src, alt: filename, loading: 'lazy', testid: 'attachment-thumb' });
  return h('button', { type: 'button', class: 'thumb-link', testid: 'attachment-view',
    'aria-label': t('media.view', { name: filename }), onclick: (event) => showPicture(event.currentTarget, img) }, img);
}

/** Opens the viewer on this picture, with every picture of its thread (in the thread's order) to move between. */
function showPicture(opener, img) {
  const thread = opener.closest('[data-testid="messages"]') ?? document;
  const thumbs = [...thread.querySelectorAll(THUMBS)];
  const pictures = thumbs.map((thumb) => ({ src: thumb.currentSrc || thumb.src, alt: thumb.alt }));
  openLightbox(pictures, Math.max(0, thumbs.indexOf(img)), opener);
}
