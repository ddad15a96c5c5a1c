// The settings page, in sections its index links to: the webhook (address, test event), delivery (queue, success
// rate, resend all failed), the circuit (live, in plain words, reset), the built-in demo receiver when it is on,
// recent failures (paged) and the configuration in force. Every open tab follows the event stream.
import { api, errorText } from './api.js';
import { byId, everySecond, fill, h, KIND_ICONS, throttle } from './dom.js';
import { formatDateTime, formatNumber, formatSize, onLangChange, relativeTime, t } from './i18n.js';
import { showConfig } from './config-form.js';
import { startPage } from './page.js';

const POLL_MS = 5000;
const FAILURES_PAGE = 50;
const STATES = ['queued', 'waiting', 'sending', 'retrying', 'held', 'failed', 'delivered'];
const QUEUE_ICONS = { queued: '🕓', waiting: '⏳', sending: '📤', retrying: '↻', held: '⏸', failed: '✗', delivered: '✓' };
const CIRCUIT = {
  closed: { icon: '🟢', key: 'circuit.closed' },
  half_open: { icon: '🟡', key: 'circuit.halfOpen' },
  open: { icon: '🔴', key: 'circuit.open' },
};

const els = {
  state: byId('circuit-state'),
  countdown: byId('circuit-countdown'),
  explain: byId('circuit-explain'),
  reason: byId('circuit-reason'),
  warning: byId('webhook-warning'),
  webhookFacts: byId('webhook-facts'),
  deliveryFacts: byId('delivery-facts'),
  circuitFacts: byId('circuit-facts'),
  queue: byId('queue'),
  reset: byId('reset-circuit'),
  resetResult: byId('reset-result'),
  test: byId('test-webhook'),
  testResult: byId('test-result'),
  redeliver: byId('redeliver-failed'),
  redeliverResult: byId('redeliver-result'),
  failures: byId('failures-rows'),
  failuresEmpty: byId('failures-empty'),
  failuresMore: byId('failures-more'),
  config: byId('config'),
  demoPanel: byId('demo'),
  demoIndexEntry: byId('demo-index-entry'),
  demoRows: byId('demo-received'),
  demoEmpty: byId('demo-empty'),
  demoError: byId('demo-error'),
  modes: [...document.querySelectorAll('[data-mode]')],
};

const state = {
  status: null,
  // When the next probe is due, on this browser's clock: from seconds_until_retry so a skewed clock does not matter.
  probeAt: null,
  config: null,
  demo: null, // {mode, received} while the demo receiver answers
  // Failures older than the status's latest ones, loaded page by page from the top: {items, nextBefore}.
  olderFailures: null,
  // Set by a reset until a delivery succeeds: the circuit opening again meanwhile means the reset did not help,
  // and the reset's notice must say so rather than stay a success beside a red "open".
  // {closings, delivered, reopened}: closings seen before the reset, successful attempts after its answer (null
  // until then), and the circuit that opened again when that came before the answer.
  resetWatch: null,
  closings: 0, // how many `circuit` events said "closed": orders a re-opening after the reset's closing
};

// ---------------------------------------------------------------- status

let statusInFlight = null;

function loadStatus() {
  statusInFlight ??= api('/chat/webhook-status')
    .then(renderStatus)
    .finally(() => {
      statusInFlight = null;
    });
  return statusInFlight;
}

const refreshStatus = throttle(() => loadStatus().catch(() => {}), 1000);

function renderStatus(status) {
  state.status = status;
  const watch = state.resetWatch;
  if (watch?.delivered != null && (status.stats?.delivered ?? 0) > watch.delivered) state.resetWatch = null;
  setCircuit(status.circuit);
  renderQueue();
  renderFailures();
  const warning = status.webhook?.warning;
  els.warning.hidden = !warning;
  els.warning.textContent = warning ? `⚠️ ${warning}` : '';
}

function setCircuit(circuit) {
  if (!state.status) state.status = {};
  state.status.circuit = circuit;
  const secs = circuit.seconds_until_retry;
  if (secs != null) state.probeAt = Date.now() + secs * 1000;
  else state.probeAt = circuit.retry_at ? Date.parse(circuit.retry_at) : null;
  renderCircuit();
}

/** A live change of the circuit; an opening after the reset's own closing turns the reset's notice around. */
function onCircuitEvent(circuit) {
  if (circuit.state === 'closed') state.closings += 1;
  setCircuit(circuit);
  const watch = state.resetWatch;
  if (watch && circuit.state === 'open' && state.closings > watch.closings) {
    watch.reopened = circuit;
    // Before the reset's own answer, that answer tells it; after, this event does.
    if (watch.delivered != null) {
      state.resetWatch = null;
      showResult(els.resetResult, { ok: false, text: reopenedText(circuit) });
    }
  }
  refreshStatus();
}

function reopenedText(circuit) {
  return t(circuit.paused_reason ? 'circuit.resetPausedAgain' : 'circuit.resetReopened');
}

/** What the circuit's state is called on this page: a 410 pause is its own, since only a reset ends it. */
function circuitLook(circuit) {
  if (circuit.state === 'open' && circuit.paused_reason) {
    return { icon: '⛔', key: 'circuit.paused', explain: 'circuit.explainPaused' };
  }
  const info = CIRCUIT[circuit.state];
  return info ? { ...info, explain: `circuit.explain.${circuit.state}` }
    : { icon: '⚪', key: 'circuit.unknown', explain: null };
}

function renderCircuit() {
  const circuit = state.status?.circuit;
  if (!circuit) return;
  const look = circuitLook(circuit);
  els.state.textContent = `${look.icon} ${t(look.key)}`;
  els.state.dataset.state = circuit.state;
  els.state.dataset.paused = String(Boolean(circuit.paused_reason));
  els.state.className = `circuit-state s-${circuit.state}`;
  els.explain.textContent = look.explain ? t(look.explain, { max: circuit.failure_threshold,
    s: circuit.open_seconds }) : '';
  els.reason.hidden = !circuit.paused_reason;
  els.reason.textContent = circuit.paused_reason ? t('circuit.pausedBecause', { reason: circuit.paused_reason }) : '';
  tickCountdown();
  renderFacts();
}

function tickCountdown() {
  const circuit = state.status?.circuit;
  const open = circuit && circuit.state === 'open' && !circuit.paused_reason && state.probeAt != null;
  els.countdown.hidden = !open;
  if (!open) {
    els.countdown.textContent = '';
    els.countdown.dataset.seconds = '';
    return;
  }
  const seconds = Math.max(0, Math.ceil((state.probeAt - Date.now()) / 1000));
  els.countdown.dataset.seconds = String(seconds);
  els.countdown.textContent = seconds > 0 ? t('circuit.nextProbe', { s: seconds }) : t('circuit.probing');
}

function fact(label, value, testid, title = null) {
  return [h('dt', { text: label }), h('dd', { testid, title, text: value })];
}

function timeFact(label, iso, testid) {
  return fact(label, iso ? formatDateTime(iso) : t('common.never'), testid, iso ? relativeTime(iso) : null);
}

function renderFacts() {
  const s = state.status;
  if (!s?.circuit || !s.stats) return;
  const c = s.circuit;
  const rate = s.stats.success_rate == null ? '—'
    : formatNumber(s.stats.success_rate, { style: 'percent', maximumFractionDigits: 1 });
  fill(els.webhookFacts,
    fact(t('webhook.url'), s.webhook?.url ?? t('common.notSet'), 'webhook-url'));
  fill(els.deliveryFacts,
    fact(t('stats.successRate'), s.stats.attempts === 0 ? t('stats.noAttempts')
      : `${rate} (${t('stats.attempts', { n: s.stats.attempts, ok: s.stats.delivered, failed: s.stats.failed })})`,
    'success-rate'),
    timeFact(t('stats.lastSuccess'), s.stats.last_success_at, 'last-success'),
    timeFact(t('stats.lastFailure'), s.stats.last_failure_at, 'last-failure'));
  // Failures that were already on their way when the circuit opened still count: the threshold is what matters.
  const counted = Math.min(c.consecutive_failures, c.failure_threshold);
  fill(els.circuitFacts,
    fact(t('circuit.failures'), t('circuit.failuresOf', { n: counted, max: c.failure_threshold }), 'circuit-failures'),
    c.paused_reason ? fact(t('circuit.pausedLabel'), t('circuit.untilReset'), 'circuit-open-seconds')
      : fact(t('circuit.openFor'), t('circuit.seconds', { s: c.open_seconds }), 'circuit-open-seconds'),
    c.opened_at ? timeFact(t(c.paused_reason ? 'circuit.pausedAt' : 'circuit.openedAt'), c.opened_at,
      'circuit-opened-at') : null);
}

function renderQueue() {
  const queue = state.status?.queue ?? {};
  fill(els.queue, STATES.map((name) => h('li', { class: `queue-item s-${name}`, testid: `queue-${name}`,
    dataset: { count: String(queue[name] ?? 0) } },
  h('span', { class: 'queue-count', text: `${QUEUE_ICONS[name]} ${formatNumber(queue[name] ?? 0)}` }),
  h('span', { class: 'queue-label muted small', text: t(`queue.${name}`) }))));
  const failed = queue.failed ?? 0;
  els.redeliver.textContent = t('actions.redeliverFailed', { n: failed });
  els.redeliver.disabled = failed === 0;
}

/** The chat page's address of a message; it finds the conversation from the id alone when no phone is given. */
function messageHref(id, phone) {
  const params = new URLSearchParams();
  if (phone) params.set('phone', phone);
  params.set('message', id);
  return `/#${params}`;
}

function messageLink(id, phone) {
  if (!id || !id.startsWith('msg_')) return h('span', { class: 'mono', text: id ?? '—' });
  return h('a', { class: 'mono', href: messageHref(id, phone), testid: 'message-link', text: id });
}

function timeCell(iso) {
  return h('time', { datetime: iso, title: relativeTime(iso), text: formatDateTime(iso) });
}

/** A table cell that names its column, so that a table stacked on a narrow screen still says what is what. */
function cell(labelKey, props, ...children) {
  return h('td', { ...props, 'data-label': t(labelKey) }, ...children);
}

/** The latest failures (from the status, always fresh) followed by the older pages loaded, each once. */
function failureList() {
  const seen = new Set();
  const all = [...(state.status?.recent_failures ?? []), ...(state.olderFailures?.items ?? [])];
  return all.filter((f) => {
    const key = `${f.at}|${f.message_id}|${f.attempt}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function renderFailures() {
  const failures = failureList();
  fill(els.failures, failures.map(failureRow));
  els.failuresEmpty.hidden = failures.length > 0;
  // The status carries the latest 20: fewer means there is nothing older.
  const older = state.olderFailures;
  els.failuresMore.hidden = older ? !older.nextBefore : (state.status?.recent_failures?.length ?? 0) < 20;
}

function failureRow(f) {
  const what = f.filename ? `${KIND_ICONS[f.kind] ?? '📎'} ${f.filename}` : f.snippet || f.message_id || '—';
  const result = f.status_code ? `HTTP ${f.status_code}${f.error && f.error !== `HTTP ${f.status_code}` ? ` · ${f.error}` : ''}`
    : f.error ?? '—';
  const link = f.message_id?.startsWith('msg_')
    ? h('a', { href: messageHref(f.message_id, f.phone), testid: 'message-link', dataset: { id: f.message_id },
      title: f.message_id, text: what })
    : h('span', { text: what });
  return h('tr', { testid: 'failure-row', dataset: { id: f.message_id ?? '' } },
    cell('failures.when', {}, timeCell(f.at)),
    cell('failures.to', { testid: 'failure-to' },
      f.contact_name ? h('span', { class: 'failure-name', testid: 'failure-name', text: f.contact_name }) : null,
      f.phone ? h('span', { class: f.contact_name ? 'muted small failure-phone' : 'failure-phone',
        text: f.phone_display ?? f.phone }) : '—'),
    cell('failures.message', { class: 'failure-what', testid: 'failure-what' }, link),
    cell('failures.attempt', { class: 'num', text: String(f.attempt ?? '—') }),
    cell('failures.result', { testid: 'failure-result', text: result }));
}

async function loadOlderFailures() {
  els.failuresMore.disabled = true;
  try {
    const older = state.olderFailures;
    const shown = failureList().length;
    const query = older?.nextBefore ? `limit=${FAILURES_PAGE}&before=${encodeURIComponent(older.nextBefore)}`
      : `limit=${shown + FAILURES_PAGE}`;
    const page = await api(`/chat/failures?${query}`);
    state.olderFailures = { items: [...(older?.items ?? []), ...(page?.failures ?? [])],
      nextBefore: page?.has_more ? page.next_before : null };
    renderFailures();
  } catch (e) {
    showResult(els.redeliverResult, { ok: false, text: errorText(e) });
  } finally {
    els.failuresMore.disabled = false;
  }
}

/** A contact's name changed in some tab: the failures of that phone show the new one. */
function onContactEvent(contact) {
  for (const f of failureList()) {
    if (f.phone === contact.phone) f.contact_name = contact.contact_name;
  }
  renderFailures();
}

// ---------------------------------------------------------------- actions

function showResult(el, { ok, text }) {
  el.className = `action-result ${ok ? 'ok' : 'bad'}`;
  el.textContent = text;
}

async function runAction(button, result, action) {
  button.disabled = true;
  result.className = 'action-result';
  result.textContent = t('actions.working');
  try {
    showResult(result, await action());
  } catch (e) {
    showResult(result, { ok: false, text: errorText(e) });
  } finally {
    button.disabled = false;
    renderQueue();
  }
}

function resetCircuit() {
  // A closed circuit is reset without a closing event: then any opening after this counts.
  const closings = state.closings - (state.status?.circuit?.state === 'closed' ? 1 : 0);
  return runAction(els.reset, els.resetResult, async () => {
    // Watched from before the call: the held messages go out at once, and the circuit may open again before
    // this answer arrives (the event stream is another connection).
    const watch = { closings, delivered: null, reopened: null };
    state.resetWatch = watch;
    let status;
    try {
      status = await api('/chat/reset-webhook-circuit', { method: 'POST' });
    } catch (e) {
      state.resetWatch = null;
      throw e;
    }
    if (status?.circuit) renderStatus(status);
    else await loadStatus();
    if (watch.reopened) setCircuit(watch.reopened); // newer than the answer
    const circuit = state.status?.circuit;
    if (circuit?.state === 'open') {
      state.resetWatch = null;
      return { ok: false, text: reopenedText(circuit) };
    }
    watch.delivered = state.status?.stats?.delivered ?? 0;
    return { ok: true, text: t('actions.resetDone') };
  });
}

function testWebhook() {
  return runAction(els.test, els.testResult, async () => {
    const r = await api('/chat/webhook-test', { method: 'POST' });
    refreshStatus();
    const parts = [];
    if (r.status_code != null) parts.push(`HTTP ${r.status_code}`);
    if (r.duration_ms != null) parts.push(t('actions.ms', { ms: r.duration_ms }));
    if (r.error) parts.push(r.error);
    const ok = r.status === 'delivered';
    const head = `${ok ? '✓' : '✗'} ${t(`test.${r.status}`)}`;
    return { ok, text: parts.length ? `${head} — ${parts.join(' · ')}` : head };
  });
}

function redeliverFailed() {
  return runAction(els.redeliver, els.redeliverResult, async () => {
    const r = await api('/chat/redeliver-failed', { method: 'POST' });
    await loadStatus();
    return { ok: true, text: t('actions.requeued', { n: r.requeued }) };
  });
}

// ---------------------------------------------------------------- configuration

async function loadConfig() {
  const data = await api('/chat/config');
  state.config = data?.settings ?? [];
  renderConfig();
  showConfig(data);
}

function renderConfig() {
  fill(els.config, (state.config ?? []).map((s) => h('tr', { testid: 'config-row', dataset: { key: s.key } },
    h('th', { scope: 'row', class: 'mono', text: s.key }),
    cell('config.value', { class: `mono${s.value == null ? ' muted' : ''}`, testid: 'config-value',
      text: s.value == null ? t('common.notSet') : s.value }),
    cell('config.source', {}, h('span', { class: `badge source-${sourceClass(s.source)}`, testid: 'config-source',
      text: t(`source.${sourceClass(s.source)}`) })))));
}

function sourceClass(source) {
  if (source === '.env') return 'file';
  if (source === 'environment') return 'environment';
  if (source === 'saved') return 'saved';
  return 'default';
}

// ---------------------------------------------------------------- demo receiver

async function loadDemo() {
  if (!state.status?.webhook?.demo_receiver) {
    state.demo = null;
    renderDemo();
    return;
  }
  try {
    state.demo = await api('/demo/webhook');
  } catch {
    state.demo = null;
  }
  renderDemo();
}

function renderDemo() {
  els.demoPanel.hidden = !state.demo;
  els.demoIndexEntry.hidden = !state.demo;
  if (!state.demo) return;
  for (const button of els.modes) {
    const on = button.dataset.mode === state.demo.mode;
    button.setAttribute('aria-pressed', String(on));
    button.classList.toggle('on', on);
  }
  const received = state.demo.received ?? [];
  fill(els.demoRows, received.map(demoRow));
  els.demoEmpty.hidden = received.length > 0;
}

function demoRow(r) {
  const what = [h('span', { 'aria-hidden': 'true', text: `${KIND_ICONS[r.kind] ?? '🧪'} ` })];
  if (r.type === 'message') what.push(messageLink(r.webhook_id, r.phone));
  else what.push(h('span', { class: 'mono', text: r.type ?? r.webhook_id }));
  if (r.filename) what.push(h('span', { class: 'small', text: ` ${r.filename}` }));
  if (r.size != null) what.push(h('span', { class: 'small muted', text: ` (${formatSize(r.size)})` }));
  if (r.duplicate) what.push(h('span', { class: 'badge dup', testid: 'demo-duplicate', text: t('demo.duplicate') }));
  const signature = { valid: ['✓', 'ok'], invalid: ['✗', 'bad'], unsigned: ['—', 'muted'] }[r.signature] ?? ['?', 'muted'];
  const sha = r.sha256_ok == null ? ['—', 'muted'] : r.sha256_ok ? ['✓', 'ok'] : ['✗', 'bad'];
  return h('tr', { testid: 'demo-row', dataset: { id: r.webhook_id ?? '' } },
    cell('demo.received', {}, timeCell(r.received_at)),
    cell('demo.what', {}, what),
    cell('demo.signature', { class: signature[1], testid: 'demo-signature', title: t(`demo.sig.${r.signature}`),
      'aria-label': t(`demo.sig.${r.signature}`), text: signature[0] }),
    cell('demo.sha', { class: sha[1], testid: 'demo-sha', title: t(`demo.shaState.${String(r.sha256_ok)}`),
      'aria-label': t(`demo.shaState.${String(r.sha256_ok)}`), text: sha[0] }),
    cell('demo.answered', { class: `num ${r.answered >= 200 && r.answered < 300 ? 'ok' : 'bad'}`,
      text: String(r.answered ?? '—') }));
}

function onDemoEvent(item) {
  if (!state.demo) return;
  state.demo.received = [item, ...(state.demo.received ?? [])].slice(0, 100);
  renderDemo();
}

/** Another tab (or a script) switched the mode: shown here too. */
function onDemoModeEvent({ mode }) {
  if (!state.demo) {
    loadDemo();
    return;
  }
  state.demo.mode = mode;
  renderDemo();
}

async function setDemoMode(mode) {
  els.demoError.textContent = '';
  try {
    const r = await api('/demo/webhook/mode', { method: 'POST', body: { mode } });
    if (state.demo) state.demo.mode = r?.mode ?? mode;
    renderDemo();
  } catch (e) {
    els.demoError.textContent = errorText(e);
  }
}

// ---------------------------------------------------------------- wiring

async function loadAll() {
  await Promise.all([loadStatus(), loadConfig()]);
  await loadDemo();
}

els.reset.addEventListener('click', resetCircuit);
els.test.addEventListener('click', testWebhook);
els.redeliver.addEventListener('click', redeliverFailed);
els.failuresMore.addEventListener('click', loadOlderFailures);
for (const button of els.modes) button.addEventListener('click', () => setDemoMode(button.dataset.mode));
everySecond(tickCountdown);
renderQueue();
setInterval(() => {
  if (!document.hidden) refreshStatus();
}, POLL_MS);
onLangChange(() => {
  renderCircuit();
  renderQueue();
  renderFailures();
  renderConfig();
  renderDemo();
});

startPage({
  load: loadAll,
  handlers: {
    circuit: onCircuitEvent,
    message: refreshStatus,
    contact: onContactEvent,
    demo: onDemoEvent,
    demo_mode: onDemoModeEvent,
    config(data) {
      state.config = data.settings ?? state.config;
      renderConfig();
      showConfig(data);
      refreshStatus();
    },
  },
});
