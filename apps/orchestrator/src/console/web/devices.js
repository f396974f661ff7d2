// The device list of the sidebar: each device's state (a stopped one says who stopped it and why), and for an
// operator the emergency Stop (with an optional reason) and Resume (REST: POST /api/devices/:id/stop, /resume).
// Redrawn only when what it shows changed, so that a reason being typed is not lost to a live update.
import { api } from './api.js';
import { h } from './dom.js';

/** The drawn list's key; the device whose stop form is open, and the reason typed in it (kept across redraws). */
const list = { key: '', stopping: null, reason: '' };

/** What a device's row says of its state: a stopped device is stopped whatever its connection. */
function stateOf(d) {
  return d.stopped ? 'stopped' : d.status;
}

function stoppedLine(d) {
  const s = d.stopped;
  const by = s.by ? ` by ${s.by}` : '';
  const at = s.at ? ` at ${new Date(s.at).toLocaleString()}` : '';
  return `stopped${by}${at}${s.reason ? `: ${s.reason}` : ''}`;
}

/** Whether the device has answered its stop command (re-sent until it does, while it is online). */
function ackLine(c) {
  if (!c) return '';
  if (!c.ackedAt) return `stop sent ${c.sends} time${c.sends === 1 ? '' : 's'}, not acknowledged yet`;
  return `stop acknowledged: ${c.ackStatus}${c.ackDetail ? ` (${c.ackDetail})` : ''}`;
}

function stopForm(d, act) {
  const reason = h('input', {
    type: 'text',
    name: 'reason',
    maxlength: 1024,
    placeholder: 'why (optional)',
    'aria-label': `why ${d.id} is stopped`,
    'data-testid': 'stop-reason',
    value: list.reason,
    oninput: (ev) => (list.reason = ev.target.value),
  });
  const submit = (ev) => {
    ev.preventDefault();
    const why = reason.value.trim();
    act(api('POST', `/api/devices/${encodeURIComponent(d.id)}/stop`, why ? { reason: why } : {}), `Device ${d.id} stopped.`);
  };
  return h(
    'form',
    { class: 'stop-form', 'data-testid': 'stop-form', onsubmit: submit },
    reason,
    h('button', { type: 'submit', class: 'danger', 'data-testid': 'confirm-stop' }, 'Stop now'),
    h('button', { type: 'button', class: 'ghost', onclick: () => act(null) }, 'Cancel'),
  );
}

function deviceItem(d, { canOperate, act, openStop }) {
  const state = stateOf(d);
  const controls = [];
  if (canOperate && d.stopped)
    controls.push(
      h(
        'button',
        {
          type: 'button',
          class: 'ghost',
          'data-testid': 'resume-device',
          onclick: () => act(api('POST', `/api/devices/${encodeURIComponent(d.id)}/resume`), `Device ${d.id} resumed.`),
        },
        'Resume',
      ),
    );
  else if (canOperate && list.stopping !== d.id)
    controls.push(
      h('button', { type: 'button', class: 'ghost danger', 'data-testid': 'stop-device', onclick: () => openStop(d.id) }, 'Stop'),
    );
  return h(
    'li',
    { class: `device${d.stopped ? ' stopped' : ''}`, dataset: { id: d.id, status: d.status, state } },
    h('span', { class: `dot ${state}`, 'aria-hidden': 'true' }),
    h('span', { class: 'name' }, d.id),
    h('span', { class: 'small muted' }, `${d.kind ?? 'any kind'} · capacity ${d.capacity} · ${d.status}`),
    d.stopped ? h('span', { class: 'small stop-note', 'data-testid': 'stopped' }, stoppedLine(d)) : '',
    d.stopped && d.stopCommand ? h('span', { class: 'small muted', 'data-testid': 'stop-ack' }, ackLine(d.stopCommand)) : '',
    controls.length ? h('span', { class: 'device-actions' }, ...controls) : '',
    canOperate && list.stopping === d.id && !d.stopped ? stopForm(d, act) : '',
  );
}

/**
 * Online (and stopped) devices first; the offline ones folded away (a lab's broker remembers many).
 * `onDone(message)` after a stop or resume succeeded, `onError(error)` when it was refused.
 */
export function renderDevices(host, devices, { canOperate, onDone, onError }) {
  const key = JSON.stringify([
    canOperate,
    list.stopping,
    devices.map((d) => [d.id, d.status, d.kind, d.capacity, d.stopped?.by, d.stopped?.reason, d.stopped?.at, ackLine(d.stopCommand)]),
  ]);
  if (key === list.key && host.childElementCount) return;
  list.key = key;
  const redraw = () => renderDevices(host, devices, { canOperate, onDone, onError });
  const openStop = (id) => {
    list.stopping = id;
    list.reason = '';
    redraw();
  };
  const act = (promise, message) => {
    list.stopping = null;
    if (!promise) return redraw();
    redraw();
    promise.then(() => onDone(message), onError);
  };
  if (devices.length === 0) return host.replaceChildren(h('li', { class: 'muted' }, 'No device has connected.'));
  const item = (d) => deviceItem(d, { canOperate, act, openStop });
  const shown = devices.filter((d) => d.status === 'online' || d.stopped);
  const offline = devices.filter((d) => !shown.includes(d));
  const open = host.querySelector('details')?.open ?? false;
  host.replaceChildren(
    ...(shown.length ? shown.map(item) : [h('li', { class: 'muted' }, 'No device is online.')]),
    offline.length
      ? h(
          'li',
          {},
          h(
            'details',
            { open },
            h('summary', { class: 'small muted' }, `${offline.length} offline`),
            h('ul', { class: 'devices' }, ...offline.map(item)),
          ),
        )
      : '',
  );
}
