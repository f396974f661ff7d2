// Experiment controls: the experiments in progress of the selected campaign, with an Abort button for each
// (operator), and for those a person runs ("deviceKind": "manual") a form to report the value or the failure.
// REST: POST /api/experiments/:id/abort and /result. Own card and file, so other console parts stay apart.
import { api } from './api.js';
import { h, num } from './dom.js';

const IN_PROGRESS = new Set(['queued', 'dispatched', 'running']);
const WAITING_FOR_PERSON = 'waiting for a person';

let rendered = '';

/**
 * Renders the card; re-renders only when what it shows changed (a re-render while an operator types a value
 * would lose it). `onDone(message)` after an action succeeded; `onError(error)` when it was refused.
 */
export function renderControls(host, c, { canOperate, onDone, onError }) {
  const rows = c.experiments.filter((e) => IN_PROGRESS.has(e.status));
  const shown = JSON.stringify([c.id, canOperate, rows.map((e) => [e.id, e.status, e.deviceId, e.waitingReason])]);
  if (shown === rendered && host.childElementCount) return;
  rendered = shown;
  host.hidden = rows.length === 0;
  const objective = c.definition.objective.name;
  const manual = rows.filter((e) => e.waitingReason?.startsWith(WAITING_FOR_PERSON));
  const act = (promise, message) => promise.then(() => onDone(message), onError);
  const abort = (e) =>
    act(api('POST', `/api/experiments/${e.id}/abort`, { reason: `aborted from the console` }), `Experiment ${e.index} aborted.`);
  host.replaceChildren(
    h('h3', {}, 'In progress'),
    manual.length
      ? h('p', { class: 'small muted' }, `${manual.length} waiting for a person: report each one's result once it has run.`)
      : '',
    h(
      'ul',
      { class: 'controls-list', 'data-testid': 'in-progress' },
      ...rows.map((e) => {
        const isManual = manual.includes(e);
        return h(
          'li',
          { dataset: { id: e.id }, class: isManual ? 'manual' : '' },
          h('span', {}, `#${e.index} `),
          h('span', { class: 'status' }, isManual ? 'waiting for a person' : e.status),
          e.deviceId ? h('span', { class: 'small muted' }, ` on ${e.deviceId}`) : '',
          h(
            'span',
            { class: 'small muted' },
            ` ${Object.entries(e.params)
              .map(([k, v]) => `${k}=${typeof v === 'number' ? num(v) : v}`)
              .join(', ')}`,
          ),
          canOperate && isManual ? reportForm(e, objective, act) : '',
          canOperate
            ? h('button', { type: 'button', class: 'ghost danger', 'data-testid': 'abort', onclick: () => abort(e) }, 'Abort')
            : '',
        );
      }),
    ),
  );
}

function reportForm(e, objective, act) {
  const value = h('input', {
    type: 'number',
    step: 'any',
    name: 'value',
    'aria-label': `${objective} of experiment ${e.index}`,
    'data-testid': 'report-value',
  });
  const reason = h('input', {
    type: 'text',
    name: 'reason',
    maxlength: 1024,
    placeholder: 'or: why it failed',
    'data-testid': 'report-reason',
  });
  const scope = h(
    'select',
    { name: 'scope', 'aria-label': 'failure scope' },
    h('option', { value: 'experiment' }, 'the condition failed (learned from)'),
    h('option', { value: 'device' }, 'the set-up failed (not learned from)'),
  );
  const submit = (ev) => {
    ev.preventDefault();
    const why = reason.value.trim();
    const body = why ? { failed: { scope: scope.value, reason: why } } : { values: { [objective]: Number(value.value) } };
    if (!why && value.value.trim() === '') return act(Promise.reject(new Error(`Give the measured ${objective}, or why it failed.`)), '');
    act(
      api('POST', `/api/experiments/${e.id}/result`, body),
      why ? `Experiment ${e.index} reported failed.` : `Experiment ${e.index}: ${objective} = ${value.value} stored.`,
    );
  };
  return h(
    'form',
    { class: 'report-form', 'data-testid': 'report-form', onsubmit: submit },
    h('label', {}, objective, ' ', value),
    reason,
    scope,
    h('button', { type: 'submit', 'data-testid': 'report' }, 'Report'),
  );
}
