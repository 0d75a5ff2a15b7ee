// The live ops dashboard: every 2 s it reads the service's own /metrics (no auth, per the contract),
// /v1/admin/status (service key) and /health/ready (the overall status and each role's state, as a load balancer
// sees them), derives rates and latency quantiles from counter and bucket deltas, and draws the last two minutes.
import { ApiError, call, formatNumber } from '../shared/api.js';
import { draw } from './chart.js';
import { buckets, bucketDelta, byLabel, parse, quantile, rate, total } from './prometheus.js';

const KEY = 'vh.serviceKey';
const POLL_MS = 2000;
const CAPACITY = 60; // readings kept: two minutes at one per 2 s
const LATENCY_WINDOW = 5; // readings: quantiles over the last ~10 s, steadier than one 2 s delta

const $ = (id) => document.getElementById(id);
let key = null;
let timer = null;
let inFlight = null;
const readings = []; // { at, ingest, processed, lag, dlq, rejected: Map, latency: buckets }
const series = { ingest: [], processing: [], lag: [], dlq: [], p50: [], p99: [] };

function say(message, error = false) {
  $('status').textContent = message;
  $('status').classList.toggle('error', error);
}

function push(name, value) {
  series[name].push(value);
  if (series[name].length > CAPACITY) series[name].shift();
}

function formatSeconds(s) {
  if (s === null) return '—';
  return s < 1 ? `${formatNumber(s * 1000, s < 0.01 ? 1 : 0)} ms` : `${formatNumber(s, 2)} s`;
}

function setHealth(pillId, valueId, healthy) {
  const pill = $(pillId);
  pill.classList.toggle('ok', healthy === true);
  pill.classList.toggle('failing', healthy === false);
  $(valueId).textContent = healthy === null || healthy === undefined ? 'not used' : healthy ? 'healthy' : 'failing';
}

function renderStatus(status) {
  $('mode').textContent = status.mode;
  $('async-percent').textContent = status.mode === 'async' ? `${status.asyncPercent}%` : `${status.asyncPercent}% (applies in async)`;
  $('roles').textContent = status.roles.join(', ');
  $('consumption').textContent = status.consumption;
  $('consumption-pill').classList.toggle('failing', status.consumption === 'paused');
  $('queue-kind').textContent = `(${status.queue.kind})`;
  $('store-kind').textContent = `(${status.store.kind})`;
  setHealth('queue-health-pill', 'queue-health', status.queue.healthy);
  setHealth('store-health-pill', 'store-health', status.store.healthy);
  renderConfiguration(status.configuration);
}

// A refused configuration reload (GET /v1/admin/status "configuration"): shown until a valid reload replaces it.
function renderConfiguration(configuration) {
  const refused = configuration ? !configuration.valid : false;
  $('config-refused').hidden = !refused;
  if (!refused) return;
  $('config-refused-at').textContent = new Date(configuration.refusedAt).toLocaleString();
  $('config-refused-at').dateTime = configuration.refusedAt;
  $('config-refused-file').textContent = configuration.file ?? 'the configuration';
  $('config-errors').replaceChildren(...configuration.errors.map((error) => {
    const item = document.createElement('li');
    const setting = document.createElement('code');
    setting.textContent = error.setting ?? '(the whole file)';
    item.append(setting, `: ${error.reason}`);
    return item;
  }));
}

function renderRejected(current, previous, seconds) {
  const body = $('rejected');
  body.replaceChildren();
  let sum = 0;
  for (const [reason, count] of [...current.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))) {
    const perSecond = previous ? rate(previous.get(reason) ?? 0, count, seconds) : null;
    sum += perSecond ?? 0;
    const row = document.createElement('tr');
    if (perSecond) row.className = 'active';
    for (const text of [reason.replace(/_/g, ' '), formatNumber(count), formatNumber(perSecond, 1)]) {
      const cell = document.createElement('td');
      cell.textContent = text;
      row.append(cell);
    }
    body.append(row);
  }
  $('rejected-rate').textContent = previous ? formatNumber(sum, 1) : '—';
}

function renderMetrics(reading) {
  const previous = readings.length > 1 ? readings[readings.length - 2] : null;
  const seconds = previous ? (reading.at - previous.at) / 1000 : 0;
  const ingestRate = previous ? rate(previous.ingest, reading.ingest, seconds) : null;
  const processingRate = previous ? rate(previous.processed, reading.processed, seconds) : null;
  const base = readings[Math.max(0, readings.length - 1 - LATENCY_WINDOW)];
  const window = base === reading ? reading.latency : bucketDelta(base.latency, reading.latency);
  const p50 = quantile(0.5, window);
  const p99 = quantile(0.99, window);

  push('ingest', ingestRate);
  push('processing', processingRate);
  push('lag', reading.lag);
  push('dlq', reading.dlq);
  push('p50', p50);
  push('p99', p99);

  $('ingest-rate').textContent = formatNumber(ingestRate, ingestRate !== null && ingestRate < 10 ? 1 : 0);
  $('processing-rate').textContent = formatNumber(processingRate, processingRate !== null && processingRate < 10 ? 1 : 0);
  $('ingest-total').textContent = formatNumber(reading.ingest);
  $('processed-total').textContent = formatNumber(reading.processed);
  $('queue-lag').textContent = formatNumber(reading.lag);
  $('dlq').textContent = formatNumber(reading.dlq);
  $('latency-p50').textContent = formatSeconds(p50);
  $('latency-p99').textContent = formatSeconds(p99);
  renderRejected(reading.rejected, previous?.rejected, seconds);

  draw($('ingest-chart'), [{ values: series.ingest, className: 'a' }], { capacity: CAPACITY });
  draw($('processing-chart'), [{ values: series.processing, className: 'a' }], { capacity: CAPACITY });
  draw($('lag-chart'), [{ values: series.lag, className: 'a' }], { capacity: CAPACITY });
  draw($('dlq-chart'), [{ values: series.dlq, className: 'a' }], { capacity: CAPACITY });
  draw($('latency-chart'), [{ values: series.p50, className: 'a' }, { values: series.p99, className: 'b' }], { capacity: CAPACITY });
  $('updated').textContent = `Updated ${new Date(reading.at).toLocaleTimeString()}`;
}

async function readMetrics(signal) {
  const response = await fetch('/metrics', { cache: 'no-store', signal });
  if (!response.ok) throw new Error(`/metrics answered ${response.status}`);
  const samples = parse(await response.text());
  return {
    at: Date.now(),
    ingest: total(samples, 'vh_ingest_events_total'),
    processed: total(samples, 'vh_processed_events_total'),
    lag: total(samples, 'vh_queue_lag_events'),
    dlq: total(samples, 'vh_dlq_events'),
    rejected: byLabel(samples, 'vh_ingest_rejected_total', 'reason'),
    latency: buckets(samples, 'vh_end_to_end_latency_seconds'),
  };
}

// /health/ready answers JSON with 200 (ready, degraded) and 503 (unready) alike: read the body either way.
async function readReadiness(signal) {
  try {
    const response = await fetch('/health/ready', { cache: 'no-store', signal });
    const body = await response.json();
    return { status: body.status, roles: body.roles ?? {} };
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    return { status: 'unreachable', roles: {} };
  }
}

function renderReadiness(readiness) {
  const pill = $('ready-pill');
  pill.classList.toggle('ok', readiness.status === 'ready');
  pill.classList.toggle('degraded', readiness.status === 'degraded');
  pill.classList.toggle('failing', readiness.status !== 'ready' && readiness.status !== 'degraded');
  $('ready').textContent = readiness.status;
  const list = $('role-states');
  list.replaceChildren();
  for (const [role, state] of Object.entries(readiness.roles)) {
    const item = document.createElement('li');
    item.className = `pill health ${state === 'ok' ? 'ok' : 'failing'}`;
    item.id = `role-${role}`;
    item.dataset.role = role;
    const label = document.createElement('span');
    label.className = 'k';
    label.textContent = role;
    const value = document.createElement('strong');
    value.textContent = state;
    item.append(label, ' ', value);
    list.append(item);
  }
}

async function poll() {
  const controller = new AbortController();
  inFlight = controller;
  try {
    const [status, reading, ready] = await Promise.all([
      call('/v1/admin/status', key, { signal: controller.signal }),
      readMetrics(controller.signal),
      readReadiness(controller.signal),
    ]);
    if (controller.signal.aborted) return;
    renderStatus(status);
    renderReadiness(ready);
    readings.push(reading);
    if (readings.length > CAPACITY + LATENCY_WINDOW) readings.shift();
    renderMetrics(reading);
    if ($('status').classList.contains('error')) say('Connected again.');
  } catch (e) {
    if (e.name === 'AbortError') return;
    if (e instanceof ApiError && (e.status === 401 || e.status === 403)) {
      signOut();
      say(e.status === 401 ? 'That service key was refused. Please sign in again.' : 'That key may not read the service status: use a service key.', true);
      return;
    }
    say(`Cannot read the service right now (${e.message}). Retrying every ${POLL_MS / 1000} s.`, true);
  } finally {
    if (inFlight === controller) inFlight = null;
  }
  if (key) timer = setTimeout(poll, POLL_MS);
}

function signIn(value) {
  key = value;
  sessionStorage.setItem(KEY, value);
  $('sign-in').hidden = true;
  $('dashboard').hidden = false;
  $('session').hidden = false;
  say('Signed in. Reading the service every 2 seconds.');
  poll();
}

function signOut() {
  key = null;
  clearTimeout(timer);
  inFlight?.abort();
  sessionStorage.removeItem(KEY);
  readings.length = 0;
  for (const s of Object.values(series)) s.length = 0;
  $('sign-in').hidden = false;
  $('dashboard').hidden = true;
  $('session').hidden = true;
  $('key').value = '';
  say('');
  $('key').focus();
}

$('sign-in-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const value = $('key').value.trim().replace(/^Bearer\s+/i, '');
  if (!value) {
    say('Enter the service key first.', true);
    $('key').focus();
    return;
  }
  signIn(value);
  $('dashboard-title').focus();
});
$('sign-out').addEventListener('click', signOut);

const saved = sessionStorage.getItem(KEY);
if (saved) signIn(saved);
