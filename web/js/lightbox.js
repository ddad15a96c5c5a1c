// The picture viewer: one modal <dialog> over the page (the browser traps focus in it and closes it on Escape),
// the arrow keys, its buttons or a swipe move between the thread's pictures, and closing gives focus back to the
// picture it was opened from.
import { fill, h } from './dom.js';
import { onLangChange, t } from './i18n.js';

/** A horizontal move at least this long (CSS px), and longer than it is tall, is a swipe. */
const SWIPE_PX = 50;

let viewer = null; // the dialog's parts, built on first use
const shown = { pictures: [], index: 0, opener: null };

/**
 * Shows pictures[index] ({src, alt}); closing focuses opener again when it is still on the page.
 */
export function openLightbox(pictures, index, opener) {
  if (pictures.length === 0) return;
  viewer ??= build();
  shown.pictures = pictures;
  shown.index = index;
  shown.opener = opener;
  render();
  if (!viewer.dialog.open) viewer.dialog.showModal();
  viewer.close.focus();
}

function build() {
  const img = h('img', { class: 'lightbox-img', testid: 'lightbox-image', alt: '' });
  const caption = h('p', { class: 'lightbox-caption', id: 'lightbox-caption', testid: 'lightbox-caption' });
  const counter = h('span', { class: 'lightbox-counter small', testid: 'lightbox-counter', 'aria-live': 'polite' });
  const close = h('button', { type: 'button', class: 'icon-button lightbox-close', testid: 'lightbox-close', text: '✕',
    onclick: () => dialog.close() });
  const prev = h('button', { type: 'button', class: 'icon-button lightbox-prev', testid: 'lightbox-prev', text: '‹',
    onclick: () => step(-1) });
  const next = h('button', { type: 'button', class: 'icon-button lightbox-next', testid: 'lightbox-next', text: '›',
    onclick: () => step(1) });
  const stage = h('div', { class: 'lightbox-stage' }, prev, img, next);
  const dialog = h('dialog', { class: 'lightbox', testid: 'lightbox', 'aria-labelledby': 'lightbox-caption' },
    h('div', { class: 'lightbox-bar' }, counter, caption, close), stage);
  dialog.addEventListener('keydown', (event) => {
    if (event.key === 'ArrowLeft') step(-1);
    else if (event.key === 'ArrowRight') step(1);
    else return;
    event.preventDefault();
  });
  // A click on the dark background around the picture closes, as in other viewers.
  dialog.addEventListener('click', (event) => {
    if (event.target === dialog || event.target === stage) dialog.close();
  });
  dialog.addEventListener('close', () => {
    if (shown.opener?.isConnected) shown.opener.focus();
  });
  wireSwipe(dialog);
  document.body.append(dialog);
  onLangChange(() => {
    if (dialog.open) render();
  });
  return { dialog, img, caption, counter, close, prev, next };
}

function wireSwipe(dialog) {
  let start = null;
  dialog.addEventListener('pointerdown', (event) => {
    start = event.pointerType === 'mouse' ? null : { x: event.clientX, y: event.clientY };
  });
  dialog.addEventListener('pointerup', (event) => {
    if (!start) return;
    const dx = event.clientX - start.x;
    const dy = event.clientY - start.y;
    start = null;
    if (Math.abs(dx) >= SWIPE_PX && Math.abs(dx) > Math.abs(dy)) step(dx < 0 ? 1 : -1);
  });
  dialog.addEventListener('pointercancel', () => {
    start = null;
  });
}

function step(by) {
  const target = shown.index + by;
  if (target < 0 || target >= shown.pictures.length) return;
  shown.index = target;
  render();
}

function render() {
  const { img, caption, counter, close, prev, next } = viewer;
  const picture = shown.pictures[shown.index];
  img.src = picture.src;
  img.alt = picture.alt;
  fill(caption, picture.alt);
  const many = shown.pictures.length > 1;
  counter.hidden = !many;
  counter.textContent = many ? t('lightbox.counter', { n: shown.index + 1, total: shown.pictures.length }) : '';
  prev.hidden = !many;
  next.hidden = !many;
  prev.disabled = shown.index === 0;
  next.disabled = shown.index === shown.pictures.length - 1;
  for (const [button, key] of [[close, 'lightbox.close'], [prev, 'lightbox.prev'], [next, 'lightbox.next']]) {
    button.title = t(key);
    button.setAttribute('aria-label', t(key));
  }
}
