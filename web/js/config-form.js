// The live configuration form on the settings page: the delivery settings the server lets the operator
// change while it runs (PUT /chat/config, only the fields changed), a test event to a new webhook URL before
// saving it (POST /chat/config/test), and the same form kept current when another tab changes it (the
// `config` event). The server checks every value as it checks .env and answers the field at fault.
import { api, errorText } from './api.js';
import { byId, fill, h } from './dom.js';
import { onLangChange, t } from './i18n.js';

const KINDS = ['text', 'image', 'pdf', 'document', 'audio', 'video'];

/** Each field: its key, the input it takes, and for numbers the range .env accepts (the server checks again). */
const FIELDS = [
  { key: 'WEBHOOK_URL', type: 'url', write: 'masked' },
  { key: 'WEBHOOK_TIMEOUT', type: 'number', min: 1, max: 30 },
  { key: 'WEBHOOK_MAX_RETRIES', type: 'number', min: 0, max: 10 },
  ...KINDS.map((kind) => ({ key: `WEBHOOK_MAX_RETRIES_${kind.toUpperCase()}`, type: 'number', min: 0, max: 10, kind })),
  { key: 'WEBHOOK_RETRY_BASE_SECONDS', type: 'number', min: 1, max: 3600 },
  { key: 'WEBHOOK_RETRY_MAX_SECONDS', type: 'number', min: 1, max: 86400 },
  { key: 'WEBHOOK_CONCURRENCY', type: 'number', min: 1, max: 256 },
  { key: 'WEBHOOK_ORDERING', type: 'select', options: ['conversation', 'strict', 'none'] },
  { key: 'CIRCUIT_FAILURE_THRESHOLD', type: 'number', min: 1, max: 100 },
  { key: 'CIRCUIT_OPEN_SECONDS', type: 'number', min: 1, max: 3600 },
  { key: 'WEBHOOK_ATTACHMENTS', type: 'select', options: ['inline', 'url'] },
  { key: 'WEBHOOK_SECRET', type: 'password', write: 'only' },
];

const els = {
  form: byId('live-config-form'),
  result: byId('live-config-result'),
};

const inputs = new Map(); // key -> input
const errors = new Map(); // key -> its error line
let settings = []; // as GET /chat/config answers

function idOf(key) {
  return `cfg-${key.toLowerCase().replaceAll('_', '-')}`;
}

function fieldOf(key) {
  return key.toLowerCase();
}

function valueOf(key) {
  return settings.find((s) => s.key === key)?.value ?? null;
}

/** The i18n key of where a value comes from, as the configuration table names it. */
const SOURCES = { '.env': 'source.file', environment: 'source.environment', default: 'source.default',
  saved: 'source.saved' };

function sourceOf(key) {
  return SOURCES[settings.find((s) => s.key === key)?.source] ?? 'source.default';
}

function labelOf(field) {
  return field.kind ? t('liveConfig.retriesFor', { kind: t(`liveConfig.kind.${field.kind}`) })
    : t(`liveConfig.${field.key}`);
}

function inputFor(field) {
  const common = { id: idOf(field.key), name: fieldOf(field.key), testid: `cfg-${fieldOf(field.key)}`,
    'aria-describedby': `${idOf(field.key)}-error ${idOf(field.key)}-hint` };
  if (field.type === 'select') {
    return h('select', common, field.options.map((o) => h('option', { value: o, text: o })));
  }
  if (field.type === 'number') {
    return h('input', { ...common, type: 'number', inputmode: 'numeric', min: field.min, max: field.max, step: 1 });
  }
  if (field.type === 'password') {
    return h('input', { ...common, type: 'password', autocomplete: 'new-password', spellcheck: 'false' });
  }
  return h('input', { ...common, type: 'url', autocomplete: 'off', spellcheck: 'false' });
}

/** The line under a field: where its value comes from, and for write-only fields what leaving it empty means. */
function hintOf(field) {
  const source = t('liveConfig.from', { source: t(sourceOf(field.key)) });
  if (field.write === 'only') return `${t('liveConfig.secretHint')} · ${source}`;
  if (field.write === 'masked') {
    return `${t('liveConfig.urlHint', { url: valueOf(field.key) ?? t('common.notSet') })} · ${source}`;
  }
  return source;
}

function build() {
  inputs.clear();
  errors.clear();
  const rows = FIELDS.map((field) => {
    const input = inputFor(field);
    const error = h('p', { class: 'field-error', id: `${idOf(field.key)}-error`, role: 'alert',
      testid: `cfg-error-${fieldOf(field.key)}` });
    inputs.set(field.key, input);
    errors.set(field.key, error);
    input.addEventListener('input', () => clearError(field.key));
    return h('div', { class: 'cfg-field', dataset: { key: field.key } },
      h('label', { for: idOf(field.key), text: labelOf(field) }),
      input,
      field.key === 'WEBHOOK_URL'
        ? h('button', { type: 'button', class: 'button small', testid: 'cfg-test-url', onclick: tryUrl,
          text: t('liveConfig.testUrl') })
        : null,
      h('p', { class: 'muted small', id: `${idOf(field.key)}-hint`, testid: `cfg-hint-${fieldOf(field.key)}`,
        text: hintOf(field) }),
      error);
  });
  fill(els.form,
    rows,
    h('div', { class: 'actions' },
      h('button', { type: 'submit', class: 'button primary', testid: 'cfg-save', text: t('liveConfig.save') })));
  showValues();
}

/**
 * Puts the values in force in the fields; write-only and masked ones stay empty (empty = unchanged). The field
 * being typed in is left alone: a change from another tab must not overwrite it.
 */
function showValues() {
  for (const field of FIELDS) {
    const input = inputs.get(field.key);
    if (!input) continue;
    if (input !== document.activeElement) input.value = field.write ? '' : valueOf(field.key) ?? '';
    input.placeholder = field.write === 'masked' ? valueOf(field.key) ?? '' : '';
    const hint = byId(`${idOf(field.key)}-hint`);
    if (hint) hint.textContent = hintOf(field);
  }
}

/** Only what the operator changed goes: an unchanged field keeps its source (.env, default) as it is. */
function changes() {
  const body = {};
  for (const field of FIELDS) {
    const value = inputs.get(field.key).value.trim();
    if (field.write) {
      if (value) body[fieldOf(field.key)] = value;
    } else if (value !== (valueOf(field.key) ?? '')) {
      body[fieldOf(field.key)] = value;
    }
  }
  return body;
}

function clearError(key) {
  const input = inputs.get(key);
  input?.removeAttribute('aria-invalid');
  const error = errors.get(key);
  if (error) error.textContent = '';
}

function showError(e) {
  const key = e?.field ? e.field.toUpperCase() : null;
  if (key && errors.has(key)) {
    errors.get(key).textContent = e.message;
    inputs.get(key).setAttribute('aria-invalid', 'true');
    inputs.get(key).focus();
  }
  say(false, t('liveConfig.refused', { message: errorText(e) }));
}

function say(ok, text) {
  els.result.className = `action-result ${ok ? 'ok' : 'bad'}`;
  els.result.textContent = text;
}

async function save(event) {
  event.preventDefault();
  for (const key of inputs.keys()) clearError(key);
  const body = changes();
  if (Object.keys(body).length === 0) {
    say(true, t('liveConfig.nothing'));
    return;
  }
  const button = els.form.querySelector('[type=submit]');
  button.disabled = true;
  say(true, t('actions.working'));
  try {
    const answer = await api('/chat/config', { method: 'PUT', body });
    settings = answer?.settings ?? settings;
    showValues();
    say(true, t('liveConfig.saved', { keys: (answer?.changed ?? []).join(', ') || t('liveConfig.none') }));
  } catch (e) {
    showError(e);
  } finally {
    button.disabled = false;
  }
}

/** A signed test event to the URL typed (or the one in force when empty), without saving anything. */
async function tryUrl() {
  const input = inputs.get('WEBHOOK_URL');
  clearError('WEBHOOK_URL');
  const url = input.value.trim();
  say(true, t('actions.working'));
  try {
    const r = url
      ? await api('/chat/config/test', { method: 'POST', body: { webhook_url: url } })
      : await api('/chat/webhook-test', { method: 'POST' });
    const parts = [];
    if (r.status_code != null) parts.push(`HTTP ${r.status_code}`);
    if (r.duration_ms != null) parts.push(t('actions.ms', { ms: r.duration_ms }));
    if (r.error) parts.push(r.error);
    const ok = r.status === 'delivered';
    const head = `${ok ? '✓' : '✗'} ${t(`test.${r.status}`)}`;
    say(ok, parts.length ? `${head} — ${parts.join(' · ')}` : head);
  } catch (e) {
    showError(e);
  }
}

/** The configuration as GET /chat/config or a `config` event gives it. */
export function showConfig(data) {
  settings = data?.settings ?? settings;
  showValues();
}

if (els.form) {
  els.form.addEventListener('submit', save);
  build();
  onLangChange(() => {
    build();
    els.result.textContent = '';
  });
}
