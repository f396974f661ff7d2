// Campaign settings: for an operator, a form to change a running or paused campaign's budget, batch size,
// acquisition (with UCB's kappa) and target, with a reason (PATCH /api/campaigns/:id; a refusal's problems are
// listed under it); for everyone, the definition's versions: who changed what, when and why
// (GET /api/campaigns/:id/definitions). The form is redrawn only when the definition or the role changes (it
// holds what an operator types); only the fields an operator touched are sent.
import { api } from './api.js';
import { h } from './dom.js';

const ACQUISITIONS = [
  ['', "the strategy's default"],
  ['logEI', 'logEI: log expected improvement'],
  ['EI', 'EI: expected improvement'],
  ['UCB', 'UCB: upper confidence bound'],
  ['PI', 'PI: probability of improvement'],
  ['thompson', 'Thompson sampling (kind bayesian)'],
  ['exploration', 'exploration: largest variance'],
];
const LABELS = { budget: 'budget', batchSize: 'batch size', strategy: 'strategy', target: 'target' };

const card = { id: null, formKey: '', versionsKey: '', form: null, answer: null, versions: null, seq: 0 };

/** A list of messages (the answer, or every problem) in `host`, as the other forms show theirs. */
function report(host, message, problems = [], kind = 'error') {
  host.replaceChildren(
    h('p', { class: kind === 'error' ? 'error' : 'small' }, message),
    problems.length ? h('ul', { class: 'problems', 'data-testid': 'settings-problems' }, ...problems.map((p) => h('li', {}, p))) : '',
  );
  host.dataset.state = kind;
}

/** The acquisition a definition names: its kind ('' when the strategy's default) and UCB's kappa (κ = √β). */
function acquisitionOf(definition) {
  const a = definition.strategy?.acquisition;
  if (a === undefined || a === null) return { kind: '', kappa: '' };
  if (typeof a === 'string') return { kind: a, kappa: '' };
  return { kind: a.kind, kappa: a.kappa ?? (a.beta !== undefined ? Math.sqrt(a.beta) : '') };
}

/** A value as a version shows it. */
function shown(v) {
  if (v === null || v === undefined) return 'none';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/** One line per changed field, in the form's order; a strategy's change is named per field of the strategy. */
function changeLines(changes) {
  const order = Object.keys(LABELS);
  const rank = (field) => (order.includes(field) ? order.indexOf(field) : order.length);
  const entries = Object.entries(changes ?? {}).sort(([a], [b]) => rank(a) - rank(b));
  return entries.flatMap(([field, { from, to }]) => {
    if (field !== 'strategy' || typeof from !== 'object' || typeof to !== 'object' || !from || !to)
      return [`${LABELS[field] ?? field}: ${shown(from)} → ${shown(to)}`];
    const keys = [...new Set([...Object.keys(from), ...Object.keys(to)])];
    return keys.filter((k) => shown(from[k]) !== shown(to[k])).map((k) => `strategy.${k}: ${shown(from[k])} → ${shown(to[k])}`);
  });
}

/** Draws the Settings card of a campaign in `host`; `onChanged()` after a change was stored. */
export function renderSettings(host, c, { canOperate, onChanged, onError }) {
  if (card.id !== c.id || !host.childElementCount) {
    card.id = c.id;
    card.formKey = card.versionsKey = '';
    card.form = h('div');
    card.answer = h('div', { class: 'answer', role: 'status', 'data-testid': 'settings-answer' });
    card.versions = h('ol', { class: 'versions', reversed: true, 'data-testid': 'versions' });
    host.replaceChildren(h('h3', {}, 'Settings'), card.form, card.answer, h('h4', {}, 'Definition versions'), card.versions);
  }
  const editable = canOperate && (c.status === 'running' || c.status === 'paused');
  const formKey = JSON.stringify([editable, c.definitionVersion]);
  if (formKey !== card.formKey) {
    card.formKey = formKey;
    card.form.replaceChildren(editable ? settingsForm(c, onChanged) : facts(c));
  }
  const versionsKey = `${c.id}:${c.definitionVersion}`;
  if (versionsKey !== card.versionsKey) {
    card.versionsKey = versionsKey;
    loadVersions(c.id).catch((e) => {
      card.versionsKey = '';
      onError(e);
    });
  }
}

function facts(c) {
  const a = acquisitionOf(c.definition);
  return h(
    'dl',
    { class: 'facts', 'data-testid': 'settings-facts' },
    h('dt', {}, 'budget'),
    h('dd', {}, String(c.definition.budget)),
    h('dt', {}, 'batch size'),
    h('dd', {}, String(c.definition.batchSize)),
    h('dt', {}, 'acquisition'),
    h('dd', {}, a.kind ? `${a.kind}${a.kappa !== '' ? ` (kappa ${a.kappa})` : ''}` : "the strategy's default"),
    h('dt', {}, 'target'),
    h('dd', {}, shown(c.definition.objective.target)),
  );
}

function settingsForm(c, onChanged) {
  const d = c.definition;
  const a = acquisitionOf(d);
  const touched = new Set();
  const touch = (name) => () => touched.add(name);
  const field = (name, attrs) => h('input', { name, 'data-testid': `settings-${name}`, oninput: touch(name), ...attrs });
  const budget = field('budget', { type: 'number', min: 1, step: 1, value: d.budget, id: 'settings-budget' });
  const batchSize = field('batchSize', { type: 'number', min: 1, step: 1, value: d.batchSize, id: 'settings-batch' });
  const target = field('target', {
    type: 'number',
    step: 'any',
    value: d.objective.target ?? '',
    placeholder: 'none',
    id: 'settings-target',
  });
  const kappa = field('kappa', { type: 'number', min: 0, step: 'any', value: a.kappa, placeholder: 'default', id: 'settings-kappa' });
  const kappaLabel = h('label', { for: 'settings-kappa', hidden: a.kind !== 'UCB' }, 'kappa');
  const acquisition = h(
    'select',
    { name: 'acquisition', id: 'settings-acquisition', 'data-testid': 'settings-acquisition' },
    ...ACQUISITIONS.map(([value, label]) => h('option', { value, selected: value === a.kind }, label)),
  );
  const showKappa = () => {
    kappa.hidden = kappaLabel.hidden = acquisition.value !== 'UCB';
  };
  acquisition.addEventListener('change', () => (touched.add('acquisition'), showKappa()));
  kappa.hidden = a.kind !== 'UCB';
  const reason = h('input', {
    type: 'text',
    name: 'reason',
    id: 'settings-reason',
    maxlength: 2000,
    placeholder: 'why (required)',
    'data-testid': 'settings-reason',
  });
  const asNumber = (input) => (input.value.trim() === '' ? null : Number(input.value));
  const submit = async (ev) => {
    ev.preventDefault();
    const body = { reason: reason.value };
    if (touched.has('budget')) body.budget = asNumber(budget);
    if (touched.has('batchSize')) body.batchSize = asNumber(batchSize);
    if (touched.has('target')) body.target = asNumber(target);
    if (touched.has('acquisition') || touched.has('kappa')) {
      const kind = acquisition.value;
      const k = kind === 'UCB' ? asNumber(kappa) : null;
      body.strategy = { acquisition: kind === '' ? null : k === null ? kind : { kind, kappa: k } };
    }
    try {
      const v = await api('PATCH', `/api/campaigns/${c.id}`, body);
      const lines = changeLines(v.changes);
      if (v.version === c.definitionVersion) report(card.answer, 'Nothing changed: the values given are the current ones.', [], 'ok');
      else report(card.answer, `Version ${v.version}: ${lines.join('; ')}. The next batch is proposed under it.`, [], 'ok');
      onChanged();
    } catch (e) {
      report(card.answer, e.message, e.problems ?? []);
    }
  };
  return h(
    'form',
    { class: 'settings-form', 'data-testid': 'settings-form', onsubmit: submit },
    h('label', { for: 'settings-budget' }, 'budget'),
    budget,
    h('label', { for: 'settings-batch' }, 'batch size'),
    batchSize,
    h('label', { for: 'settings-acquisition' }, 'acquisition'),
    acquisition,
    kappaLabel,
    kappa,
    h('label', { for: 'settings-target' }, `target ${d.objective.name}`),
    target,
    h('label', { for: 'settings-reason' }, 'reason'),
    reason,
    h('button', { type: 'submit', 'data-testid': 'settings-save' }, 'Change settings'),
  );
}

async function loadVersions(campaignId) {
  const seq = ++card.seq;
  const versions = await api('GET', `/api/campaigns/${campaignId}/definitions`);
  if (seq !== card.seq || campaignId !== card.id) return;
  card.versions.replaceChildren(
    ...[...versions]
      .reverse()
      .map((v) =>
        h(
          'li',
          { dataset: { version: v.version }, 'data-testid': 'version' },
          h(
            'p',
            { class: 'small' },
            h('strong', {}, `v${v.version}`),
            ` · ${v.changedBy ?? 'as created'} · `,
            h('time', { datetime: v.changedAt }, new Date(v.changedAt).toLocaleString()),
          ),
          v.reason ? h('p', { class: 'small', 'data-testid': 'version-reason' }, v.reason) : '',
          h('ul', { class: 'small muted' }, ...changeLines(v.changes).map((line) => h('li', { 'data-testid': 'version-change' }, line))),
        ),
      ),
  );
}
