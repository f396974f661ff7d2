// The operator console: log in with a token, follow campaigns live, decide batches, watch the pictures.
import { api, ApiError, connect, session } from './api.js';
import { drawBest, drawCrossValidation, drawImportance, drawSpace } from './charts.js';
import { renderBatch, renderCampaigns, renderHead } from './views.js';
import { renderDevices } from './devices.js';
import { renderSettings } from './settings.js';
import { renderPareto } from './pareto.js';
import { renderModel } from './model-view.js';
import { renderControls } from './controls.js';
import { renderCandidates, wireUpload } from './candidates.js';

const $ = (id) => document.getElementById(id);
const ROLE_RANK = { viewer: 0, operator: 1, admin: 2 };

const state = {
  me: null,
  socket: null,
  campaigns: [],
  devices: [],
  selectedId: null,
  detail: null,
  insights: null,
  draft: newDraft(null),
};

function newDraft(batchId) {
  return { batchId, edits: new Map(), exclude: new Set(), reason: '' };
}

const canOperate = () => state.me && ROLE_RANK[state.me.role] >= ROLE_RANK.operator;

function flash(message, kind = 'info') {
  const el = $('flash');
  el.textContent = message;
  el.className = `flash ${kind}`;
  el.dataset.testid = kind === 'error' ? 'error' : 'flash';
}

function describeError(e) {
  const problems = e.problems?.length ? `: ${e.problems.join('; ')}` : '';
  return `${e.message}${problems}`;
}

// ---- session -------------------------------------------------------------------------------

async function login(token) {
  const me = await api('GET', '/api/auth/me', undefined, token);
  session.token = token;
  state.me = me;
  $('whoami').textContent = `${me.role}:${me.name}`;
  $('login').hidden = true;
  $('app').hidden = false;
  $('session').hidden = false;
  $('candidate-list-card').hidden = !canOperate();
  state.socket = connect(token, onEvent, onSocketState);
  await Promise.all([loadCampaigns(), loadDevices()]);
  const first = state.selectedId ?? new URLSearchParams(location.hash.slice(1)).get('campaign') ?? state.campaigns[0]?.id;
  if (first) await select(first);
}

function logout(message = '') {
  state.socket?.close();
  state.socket = null;
  session.token = null;
  state.me = null;
  $('app').hidden = true;
  $('session').hidden = true;
  $('login').hidden = false;
  $('login-error').textContent = message;
}

function onSocketState(s, detail) {
  $('live').className = `live ${s}`;
  $('live').title = s === 'connected' ? 'live updates' : `not live: ${detail ?? s}`;
  if (s === 'refused') logout('The service refused the token.');
  if (s === 'connected') refresh(true);
}

// ---- data ----------------------------------------------------------------------------------

async function loadCampaigns() {
  state.campaigns = await api('GET', '/api/campaigns');
  renderCampaigns($('campaigns'), state.campaigns, state.selectedId, select);
}

async function loadDevices() {
  const devices = await api('GET', '/api/devices');
  // A stopped device: whether it has acknowledged its stop (its command log, newest last).
  await Promise.all(
    devices
      .filter((d) => d.stopped)
      .map(async (d) => {
        const log = await api('GET', `/api/devices/${encodeURIComponent(d.id)}/commands`);
        d.stopCommand = log.filter((c) => c.type === 'stop').at(-1) ?? null;
      }),
  );
  state.devices = devices;
  drawDevices();
}

function drawDevices() {
  renderDevices($('devices'), state.devices, {
    canOperate: canOperate(),
    onDone: (message) => {
      flash(message);
      refresh(false, { devices: true });
    },
    onError: showError,
  });
}

async function loadSelected() {
  if (!state.selectedId) return;
  const id = state.selectedId;
  const [detail, insights] = await Promise.all([api('GET', `/api/campaigns/${id}`), api('GET', `/api/campaigns/${id}/insights`)]);
  if (id !== state.selectedId) return;
  state.detail = detail;
  state.insights = insights;
  const pending = detail.batches.find((b) => b.status === 'proposed');
  if ((pending?.id ?? null) !== state.draft.batchId) state.draft = newDraft(pending?.id ?? null);
  renderSelected();
}

async function select(id) {
  state.selectedId = id;
  history.replaceState(null, '', `#campaign=${id}`);
  renderCampaigns($('campaigns'), state.campaigns, state.selectedId, select);
  await loadSelected().catch(showError);
}

let timer = null;
let devicesDirty = false;
let selectedDirty = false;
/** Coalesces bursts of events into one reload. */
function refresh(all = false, { devices = false, selected = false } = {}) {
  devicesDirty ||= all || devices;
  selectedDirty ||= all || selected;
  if (timer) return;
  timer = setTimeout(async () => {
    timer = null;
    const jobs = [loadCampaigns()];
    if (devicesDirty) jobs.push(loadDevices());
    if (selectedDirty) jobs.push(loadSelected());
    devicesDirty = selectedDirty = false;
    await Promise.all(jobs).catch(showError);
  }, 250);
}

/** Someone else's change, said in the flash line (one's own is said by the form that made it). */
function byOther(by) {
  return state.me && by !== `${state.me.role}:${state.me.name}`;
}

function onEvent(name, payload) {
  if (name === 'device.controlled' && byOther(payload.by))
    flash(`Device ${payload.deviceId} ${payload.action} by ${payload.by}${payload.reason ? `: ${payload.reason}` : ''}.`);
  if (name === 'campaign.definitionChanged' && payload.campaignId === state.selectedId && byOther(payload.changedBy))
    flash(`Settings changed by ${payload.changedBy} (${payload.fields.join(', ')}): ${payload.reason}`);
  if (name === 'device.updated' || name === 'device.controlled') return refresh(false, { devices: true });
  if (name === 'command.acknowledged') refresh(false, { devices: true });
  if (payload && typeof payload === 'object' && 'campaignId' in payload)
    refresh(false, { selected: payload.campaignId === state.selectedId });
}

function showError(e) {
  if (e instanceof ApiError && e.status === 401) return logout('The token is no longer accepted.');
  flash(describeError(e), 'error');
}

// ---- rendering -----------------------------------------------------------------------------

/** Which input has the focus, so that a re-render does not take it away while someone types. */
function focusKey() {
  const a = document.activeElement;
  if (!a || !$('batch').contains(a)) return null;
  if (a.id === 'reason') return { reason: true };
  return a.dataset.param ? { id: a.closest('[data-id]')?.dataset.id, param: a.dataset.param } : null;
}

function restoreFocus(key) {
  if (!key) return;
  const el = key.reason ? $('reason') : document.querySelector(`#batch [data-id="${key.id}"] [data-param="${key.param}"]`);
  el?.focus();
}

function renderSelected() {
  const c = state.detail;
  $('campaign-empty').hidden = Boolean(c);
  $('campaign-view').hidden = !c;
  if (!c) return;
  renderHead($('campaign-head'), c, {
    canOperate: canOperate(),
    onPause: () => command('campaign.pause', { campaignId: c.id }, 'Paused.'),
    onResume: () => command('campaign.resume', { campaignId: c.id }, 'Resumed.'),
    onPolicy: (policy) =>
      command('campaign.setApproval', { campaignId: c.id, policy }, `Approval policy: ${policy}. It applies to the next batches.`),
  });
  renderBatchNow();
  renderControls($('controls'), c, {
    canOperate: canOperate(),
    onDone: (message) => {
      flash(message);
      refresh(false, { selected: true });
    },
    onError: showError,
  });
  // The import form is not re-rendered (it holds what an operator is typing and choosing): only shown or hidden.
  $('import-form').hidden = !(canOperate() && (c.status === 'running' || c.status === 'paused'));
  // Several objectives or outcome limits: the Pareto plot, the hypervolume and the proposals' predicted outcomes.
  renderPareto($('pareto'), c, () => renderSelected());
  const i = state.insights;
  if (i) {
    drawBest($('chart-best'), i);
    drawCrossValidation($('chart-cv'), i);
    drawSpace($('chart-space'), i);
    drawImportance($('chart-importance'), i);
  }
  renderSettings($('settings'), c, { canOperate: canOperate(), onChanged: () => refresh(false, { selected: true }), onError: showError });
  renderModel($('model-card'), c).catch(showError);
  renderCandidates($('candidates'), c, {
    canOperate: canOperate(),
    onChanged: () => refresh(false, { selected: true }),
  }).catch(showError);
}

let renderedBatch = '';
/**
 * Re-renders the pending batch only when what it shows has changed: replacing the cards while an operator
 * clicks or types would lose the click (mouse down and up on different elements) or the keystroke.
 */
function renderBatchNow() {
  const d = state.draft;
  const c = state.detail;
  const shown = JSON.stringify([
    canOperate(),
    c.definition.parameters,
    c.batches.map((b) => [b.id, b.status]),
    c.experiments.filter((e) => e.batchId === d.batchId).map((e) => [e.id, e.status, e.params, e.prediction]),
    state.insights?.pending ?? null,
    d.batchId,
    [...d.edits],
    [...d.exclude],
  ]);
  if (shown === renderedBatch && $('batch').childElementCount) return;
  renderedBatch = shown;
  const key = focusKey();
  renderBatch($('batch'), state.detail, state.insights, state.draft, {
    canOperate: canOperate(),
    onApprove: approve,
    onReject: reject,
    onDraftChange: changeDraft,
  });
  restoreFocus(key);
}

function changeDraft(change) {
  const d = state.draft;
  if (change.type === 'reason') {
    d.reason = change.value;
    return; // the text box keeps its own value; nothing else depends on it until submit
  }
  if (change.type === 'exclude') {
    if (d.exclude.has(change.id)) d.exclude.delete(change.id);
    else d.exclude.add(change.id);
  }
  if (change.type === 'edit') {
    const edit = { ...(d.edits.get(change.id) ?? {}) };
    if (change.value === change.original) delete edit[change.param];
    else edit[change.param] = change.value;
    d.edits.set(change.id, edit);
  }
  renderBatchNow();
}

// ---- commands ------------------------------------------------------------------------------

async function command(name, request, done) {
  if (!state.socket) return;
  try {
    const detail = await state.socket.command(name, request);
    flash(done);
    if (detail?.id === state.selectedId) state.detail = detail;
    refresh(false, { selected: true });
  } catch (e) {
    flash(describeError(e), 'error');
    refresh(false, { selected: true });
  }
}

function approve() {
  const c = state.detail;
  const d = state.draft;
  const edits = [...d.edits].filter(([, p]) => Object.keys(p).length).map(([experimentId, params]) => ({ experimentId, params }));
  const exclude = [...d.exclude];
  const reason = d.reason.trim();
  if (edits.length || exclude.length) {
    if (!reason) return flash('Say why the batch is changed before approving it.', 'error');
    return command(
      'batch.editAndApprove',
      { campaignId: c.id, batchId: d.batchId, edits, exclude, reason },
      `Batch approved with ${edits.length} edit(s) and ${exclude.length} left out.`,
    );
  }
  return command('batch.approve', { campaignId: c.id, batchId: d.batchId, ...(reason ? { note: reason } : {}) }, 'Batch approved.');
}

function reject() {
  const c = state.detail;
  const reason = state.draft.reason.trim();
  return command(
    'batch.reject',
    { campaignId: c.id, batchId: state.draft.batchId, ...(reason ? { note: reason } : {}) },
    'Batch rejected: another will be proposed.',
  );
}

// ---- results in and out --------------------------------------------------------------------

/** The campaign's results as a CSV file (the table an import reads). */
async function downloadResults() {
  const c = state.detail;
  if (!c) return;
  const res = await fetch(`/api/campaigns/${c.id}/results.csv`, { headers: { authorization: `Bearer ${session.token}` } });
  if (!res.ok) throw new ApiError(res.status, await res.json().catch(() => undefined));
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = `${c.name.replace(/[^\w.-]+/g, '_')}-results.csv`;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** Sends the chosen CSV file as an import; the answer (or every problem) goes to the flash line. */
async function importResults(e) {
  e.preventDefault();
  const file = $('import-file').files[0];
  if (!file) return flash('Choose a CSV file to import.', 'error');
  try {
    const r = await api('POST', `/api/campaigns/${state.selectedId}/imports`, {
      source: $('import-source').value.trim(),
      csv: await file.text(),
    });
    const ignored = r.ignoredColumns.length ? `; columns not read: ${r.ignoredColumns.join(', ')}` : '';
    flash(`Imported ${r.results} earlier results (${r.failed} failed) from ${r.source}${ignored}.`);
    $('import-form').reset();
    refresh(false, { selected: true });
  } catch (err) {
    showError(err);
  }
}

// ---- start ---------------------------------------------------------------------------------

$('login-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  $('login-error').textContent = '';
  try {
    await login($('token').value.trim());
    $('token').value = '';
  } catch (err) {
    $('login-error').textContent = err instanceof ApiError && err.status === 401 ? 'That token is not accepted.' : describeError(err);
  }
});
$('logout').addEventListener('click', () => logout());
$('download-results').addEventListener('click', () => downloadResults().catch(showError));
$('import-form').addEventListener('submit', importResults);
wireUpload($('candidate-list-form'), $('candidate-list-answer'));

if (session.token) login(session.token).catch(() => logout());
else logout();
