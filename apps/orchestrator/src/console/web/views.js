// Rendering of the campaign list, a campaign's head and its pending batch (the device list: devices.js).
import { h, num } from './dom.js';
import { batchNote } from './notes.js';

const POLICIES = [
  ['manual', 'manual', 'an operator decides every batch'],
  ['auto', 'auto', 'every batch is approved as proposed'],
  ['auto-unless-flagged', 'auto unless flagged', 'approved unless a proposal lies where the model extrapolates'],
];

export function progressOf(c) {
  const done = (c.counts.completed ?? 0) + (c.counts.failed ?? 0);
  return { done, budget: c.budget, share: Math.min(1, done / Math.max(1, c.budget)) };
}

export function renderCampaigns(list, campaigns, selectedId, onSelect) {
  if (campaigns.length === 0) return list.replaceChildren(h('li', { class: 'muted' }, 'No campaign yet.'));
  list.replaceChildren(
    ...campaigns.map((c) => {
      const p = progressOf(c);
      return h(
        'li',
        {},
        h(
          'button',
          {
            type: 'button',
            class: `campaign-item${c.id === selectedId ? ' selected' : ''}`,
            onclick: () => onSelect(c.id),
            dataset: { id: c.id },
          },
          h('span', { class: 'name' }, c.name),
          h('span', { class: `badge ${c.status}` }, c.status),
          h('span', { class: 'bar', title: `${p.done} of ${p.budget} done` }, h('span', { style: `width:${(p.share * 100).toFixed(1)}%` })),
          h('span', { class: 'small muted' }, `${p.done}/${p.budget} done${c.best ? ` · best ${num(c.best.value)}` : ''}`),
        ),
      );
    }),
  );
}

/** Campaign name, state, progress, best, pause/resume, approval policy, and why it stalled if it did. */
export function renderHead(host, c, { canOperate, onPause, onResume, onPolicy }) {
  const p = progressOf(c);
  const active = c.status === 'running' || c.status === 'paused';
  const policy = c.definition.approval ?? 'auto';
  const controls = [];
  if (canOperate && c.status === 'running')
    controls.push(h('button', { type: 'button', class: 'ghost', onclick: onPause, 'data-testid': 'pause' }, 'Pause'));
  if (canOperate && c.status === 'paused')
    controls.push(h('button', { type: 'button', onclick: onResume, 'data-testid': 'resume' }, 'Resume'));
  const select = h(
    'select',
    { id: 'policy', disabled: !(canOperate && active), onchange: (e) => onPolicy(e.target.value), 'data-testid': 'policy' },
    ...POLICIES.map(([value, label]) => h('option', { value, selected: value === policy }, label)),
  );
  const help = POLICIES.find(([value]) => value === policy)?.[2] ?? '';
  host.replaceChildren(
    h(
      'div',
      { class: 'head-row' },
      h('h2', {}, c.name),
      h('span', { class: `badge ${c.status}`, 'data-testid': 'status' }, c.status),
      h('span', { class: 'spacer' }),
      ...controls,
    ),
    h('div', { class: 'bar big' }, h('span', { style: `width:${(p.share * 100).toFixed(1)}%` })),
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, 'progress'),
      h('dd', { 'data-testid': 'progress' }, `${p.done} of ${p.budget} done`, c.counts.failed ? ` (${c.counts.failed} failed)` : ''),
      h('dt', {}, 'best'),
      h('dd', {}, c.best ? `${c.definition.objective.name} = ${num(c.best.value)} (experiment ${c.best.index})` : '–'),
      h('dt', {}, 'running'),
      h('dd', {}, `${(c.counts.dispatched ?? 0) + (c.counts.running ?? 0)} on devices, ${c.counts.queued ?? 0} queued`),
      ...(c.imported?.results ? [h('dt', {}, 'imported'), h('dd', { 'data-testid': 'imported' }, importedFacts(c))] : []),
      h('dt', {}, h('label', { for: 'policy' }, 'approval')),
      h('dd', {}, select, h('span', { class: 'policy-help small muted' }, `${help}; a change applies to the next batches`)),
    ),
    c.stopReason ? h('p', { class: 'muted' }, c.stopReason) : '',
    c.stalled
      ? h(
          'p',
          { class: 'warn', 'data-testid': 'stalled' },
          `Stalled: ${c.stalled.reason}. An operator can re-dispatch or fail what it waits for (POST /api/campaigns/${c.id}/stall/resolve).`,
        )
      : '',
  );
}

/** Earlier results imported into the campaign: how many, failures, the best and where it comes from. */
function importedFacts(c) {
  const i = c.imported;
  const failed = i.failed ? ` (${i.failed} failed)` : '';
  // Several objectives: how many are on their own Pareto front (drawn apart from the campaign's); one objective: the best.
  const front = c.pareto?.imported;
  const best = front
    ? `, ${front.front.length} on their Pareto front`
    : i.best
      ? `, best ${c.definition.objective.name} = ${num(i.best.value)} from ${i.best.source}`
      : '';
  return `${i.results} earlier results${failed}${best}; learned from, not counted in the budget`;
}

/**
 * The values of a proposal, one input each: a composition parameter carries
 * one number per component under `<name>.<component>` (each between 0 and its
 * total; the server checks the sum), every other parameter one value.
 */
function valueInputs(parameters) {
  return parameters.flatMap((p) =>
    p.type === 'composition' ? p.components.map((c) => ({ name: `${p.name}.${c}`, type: 'continuous', low: 0, high: p.total ?? 1 })) : [p],
  );
}

function input(param, value, disabled, onChange) {
  if (param.type === 'categorical') {
    return h(
      'select',
      { disabled, onchange: (e) => onChange(e.target.value) },
      ...param.choices.map((ch) => h('option', { value: ch, selected: ch === value }, ch)),
    );
  }
  return h('input', {
    type: 'number',
    inputmode: 'decimal',
    step: param.type === 'integer' ? 1 : 'any',
    min: param.low,
    max: param.high,
    value: typeof value === 'number' ? Number(value.toPrecision(6)) : value,
    disabled,
    'data-param': param.name,
    oninput: (e) => onChange(e.target.value === '' ? NaN : Number(e.target.value)),
  });
}

/**
 * The batch waiting for approval: per proposal its values (editable), the
 * prediction, the acquisition value and an extrapolation warning; a box
 * per proposal to leave it out; approve (with the edits) or reject.
 */
export function renderBatch(host, c, insights, draft, { canOperate, onApprove, onReject, onDraftChange }) {
  const batch = c.batches.find((b) => b.status === 'proposed');
  if (!batch) {
    const open = c.batches.filter((b) => b.status === 'approved').length;
    host.replaceChildren(
      h('h3', {}, 'Pending batch'),
      h('p', { class: 'muted', 'data-testid': 'no-batch' }, open ? 'The approved batch is running.' : 'No batch waiting for approval.'),
    );
    return;
  }
  const proposals = c.experiments.filter((e) => e.batchId === batch.id && e.status === 'proposed');
  const note = batchNote(batch.strategy);
  const model = new Map((insights?.pending ?? []).map((p) => [p.experimentId, p]));
  const params = valueInputs(c.definition.parameters);
  const edits = draft.edits;
  const cards = proposals.map((e) => {
    const edit = edits.get(e.id) ?? {};
    const m = model.get(e.id);
    const pred =
      e.prediction && e.prediction.mean !== undefined
        ? { mean: e.prediction.mean, sd: e.prediction.sd, source: 'strategy' }
        : m
          ? { mean: m.mean, sd: m.sd, source: 'console model' }
          : null;
    const warning = e.prediction?.extrapolation ?? m?.extrapolation ?? null;
    const excluded = draft.exclude.has(e.id);
    return h(
      'article',
      {
        class: `proposal${excluded ? ' excluded' : ''}${Object.keys(edit).length ? ' edited' : ''}`,
        dataset: { id: e.id, testid: 'proposal' },
      },
      h(
        'header',
        {},
        h('strong', {}, `#${e.index}`),
        warning ? h('span', { class: 'warn', title: warning, 'data-testid': 'extrapolation' }, '⚠ extrapolates') : '',
      ),
      h(
        'div',
        { class: 'params' },
        ...params.map((p) => {
          const value = p.name in edit ? edit[p.name] : e.params[p.name];
          const bad =
            typeof value === 'number' &&
            (!Number.isFinite(value) || value < p.low || value > p.high || (p.type === 'integer' && !Number.isInteger(value)));
          return h(
            'label',
            { class: `param${p.name in edit ? ' changed' : ''}${bad ? ' invalid' : ''}` },
            h('span', {}, p.name, p.unit ? ` (${p.unit})` : ''),
            input(p, value, !canOperate || excluded, (v) =>
              onDraftChange({ type: 'edit', id: e.id, param: p.name, value: v, original: e.params[p.name] }),
            ),
          );
        }),
      ),
      h(
        'p',
        { class: 'prediction' },
        pred
          ? h('span', { title: `from the ${pred.source}` }, `predicted ${num(pred.mean)} ± ${num(pred.sd, 3)}`)
          : h('span', { class: 'muted' }, 'no prediction yet'),
        e.prediction?.acquisition !== undefined ? h('span', {}, ` · acquisition ${num(e.prediction.acquisition)}`) : '',
      ),
      warning ? h('p', { class: 'warn small' }, warning) : '',
      canOperate
        ? h(
            'label',
            { class: 'run' },
            h('input', { type: 'checkbox', checked: !excluded, onchange: () => onDraftChange({ type: 'exclude', id: e.id }) }),
            ' run this one',
          )
        : '',
    );
  });
  const changes = [...edits.values()].filter((x) => Object.keys(x).length).length + draft.exclude.size;
  const actions = canOperate
    ? h(
        'form',
        { class: 'decide', onsubmit: (ev) => (ev.preventDefault(), onApprove()) },
        h('input', {
          id: 'reason',
          type: 'text',
          placeholder: changes ? 'reason for the changes (required)' : 'note (optional)',
          value: draft.reason,
          required: changes > 0,
          oninput: (ev) => onDraftChange({ type: 'reason', value: ev.target.value }),
          'aria-label': 'reason',
        }),
        h(
          'button',
          { type: 'submit', 'data-testid': 'approve' },
          changes ? `Approve with ${changes} change${changes === 1 ? '' : 's'}` : 'Approve batch',
        ),
        h('button', { type: 'button', class: 'danger', onclick: onReject, 'data-testid': 'reject' }, 'Reject batch'),
      )
    : h('p', { class: 'muted', 'data-testid': 'read-only' }, 'You are a viewer: operators approve, edit or reject batches.');
  host.replaceChildren(
    h(
      'div',
      { class: 'head-row' },
      h('h3', {}, `Pending batch ${batch.index}`),
      h('span', { class: 'small muted' }, `${proposals.length} proposals by ${batch.strategy?.name ?? 'the strategy'}`),
    ),
    note ? h('p', { class: 'small muted', 'data-testid': 'batch-note' }, note) : '',
    h('div', { class: 'proposals' }, ...cards),
    actions,
  );
}
