// The settings page: the circuit monitor (live), its actions, recent failures, the configuration in force
// and, when it is on, the built-in demo receiver with its mode switch.
import { api, errorText } from './api.js';
import { byId, everySecond, fill, h, KIND_ICONS, throttle } from './dom.js';
import { formatDateTime, formatNumber, formatSize, onLangChange, relativeTime, t } from './i18n.js';
import { startPage } from './page.js';
import { showConfig } from './config-form.js';

const POLL_MS = 5000;
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
  reason: byId('circuit-reason'),
  warning: byId('webhook-warning'),
  facts: byId('circuit-facts'),
  queue: byId('queue'),
  reset: byId('reset-circuit'),
  test: byId('test-webhook'),
  redeliver: byId('redeliver-failed'),
  result: byId('action-result'),
  failures: byId('failures'),
  failuresEmpty: byId('failures-empty'),
  config: byId('config'),
  demoPanel: byId('demo-panel'),
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
  setCircuit(status.circuit);
  renderFacts();
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

function renderCircuit() {
  const circuit = state.status?.circuit;
  if (!circuit) return;
  const info = CIRCUIT[circuit.state] ?? { icon: '⚪', key: 'circuit.unknown' };
  els.state.textContent = `${info.icon} ${t(info.key)}`;
  els.state.dataset.state = circuit.state;
  els.state.className = `circuit-state s-${circuit.state}`;
  els.reason.hidden = !circuit.paused_reason;
  els.reason.textContent = circuit.paused_reason ?? '';
  tickCountdown();
  renderFacts();
}

function tickCountdown() {
  const circuit = state.status?.circuit;
  const open = circuit && circuit.state === 'open' && state.probeAt != null;
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
  fill(els.facts,
    fact(t('circuit.failures'), t('circuit.failuresOf', { n: c.consecutive_failures, max: c.failure_threshold }),
      'circuit-failures'),
    fact(t('circuit.openFor'), t('circuit.seconds', { s: c.open_seconds }), 'circuit-open-seconds'),
    fact(t('stats.successRate'), s.stats.attempts === 0 ? t('stats.noAttempts')
      : `${rate} (${t('stats.attempts', { n: s.stats.attempts, ok: s.stats.delivered, failed: s.stats.failed })})`,
    'success-rate'),
    timeFact(t('stats.lastSuccess'), s.stats.last_success_at, 'last-success'),
    timeFact(t('stats.lastFailure'), s.stats.last_failure_at, 'last-failure'),
    fact(t('webhook.url'), s.webhook?.url ?? t('common.notSet'), 'webhook-url'),
    c.opened_at ? timeFact(t('circuit.openedAt'), c.opened_at, 'circuit-opened-at') : null);
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

/** A link to the message on the chat page; the chat page finds the conversation from the id alone. */
function messageLink(id, phone) {
  if (!id || !id.startsWith('msg_')) return h('span', { class: 'mono', text: id ?? '—' });
  const params = new URLSearchParams();
  if (phone) params.set('phone', phone);
  params.set('message', id);
  return h('a', { class: 'mono', href: `/#${params}`, testid: 'message-link', text: id });
}

function timeCell(iso) {
  return h('time', { datetime: iso, title: relativeTime(iso), text: formatDateTime(iso) });
}

function renderFailures() {
  const failures = state.status?.recent_failures ?? [];
  fill(els.failures, failures.map((f) => h('tr', { testid: 'failure-row' },
    h('td', {}, timeCell(f.at)),
    h('td', {}, messageLink(f.message_id, f.phone)),
    h('td', { class: 'num', text: String(f.attempt ?? '—') }),
    h('td', { text: f.status_code ? `HTTP ${f.status_code}${f.error && f.error !== `HTTP ${f.status_code}` ? ` · ${f.error}` : ''}`
      : f.error ?? '—' }))));
  els.failuresEmpty.hidden = failures.length > 0;
}

// ---------------------------------------------------------------- actions

async function runAction(button, action) {
  button.disabled = true;
  els.result.className = 'action-result';
  els.result.textContent = t('actions.working');
  try {
    const { text, ok } = await action();
    els.result.textContent = text;
    els.result.classList.add(ok ? 'ok' : 'bad');
  } catch (e) {
    els.result.textContent = errorText(e);
    els.result.classList.add('bad');
  } finally {
    button.disabled = false;
    renderQueue();
  }
}

function resetCircuit() {
  return runAction(els.reset, async () => {
    const status = await api('/chat/reset-webhook-circuit', { method: 'POST' });
    if (status?.circuit) renderStatus(status);
    else await loadStatus();
    return { ok: true, text: t('actions.resetDone') };
  });
}

function testWebhook() {
  return runAction(els.test, async () => {
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
  return runAction(els.redeliver, async () => {
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
    h('td', { class: `mono${s.value == null ? ' muted' : ''}`, testid: 'config-value',
      text: s.value == null ? t('common.notSet') : s.value }),
    h('td', {}, h('span', { class: `badge source-${sourceClass(s.source)}`, testid: 'config-source',
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
    h('td', {}, timeCell(r.received_at)),
    h('td', {}, what),
    h('td', { class: signature[1], testid: 'demo-signature', title: t(`demo.sig.${r.signature}`),
      'aria-label': t(`demo.sig.${r.signature}`), text: signature[0] }),
    h('td', { class: sha[1], testid: 'demo-sha', title: t(`demo.shaState.${String(r.sha256_ok)}`),
      'aria-label': t(`demo.shaState.${String(r.sha256_ok)}`), text: sha[0] }),
    h('td', { class: `num ${r.answered >= 200 && r.answered < 300 ? 'ok' : 'bad'}`, text: String(r.answered ?? '—') }));
}

function onDemoEvent(item) {
  if (!state.demo) return;
  state.demo.received = [item, ...(state.demo.received ?? [])].slice(0, 100);
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
    circuit(circuit) {
      setCircuit(circuit);
      refreshStatus();
    },
    message: refreshStatus,
    demo: onDemoEvent,
    config(data) {
      state.config = data.settings ?? state.config;
      renderConfig();
      showConfig(data);
      refreshStatus();
    },
  },
});
