// Candidate lists: the Candidates card of a campaign that proposes rows of a list (GET /api/campaigns/:id/candidates:
// the list's size, rows proposed, rows left, rows excluded with their reasons), with a form for an operator to exclude
// rows (POST .../candidates/exclusions); and the upload of a new list from a CSV file (POST /api/candidate-lists).
// Own card and file, so other console parts stay apart. Forms are built once per campaign and role and never
// re-rendered by live updates (they hold what an operator types); only the summary is redrawn.
import { api } from './api.js';
import { h } from './dom.js';
import { parseRows } from './row-numbers.js';

/** A list of messages (the answer, or every problem) in `host`. */
function report(host, message, problems = [], kind = 'error') {
  host.replaceChildren(
    h('p', { class: kind === 'error' ? 'error' : 'small' }, message),
    problems.length ? h('ul', { class: 'problems', 'data-testid': 'problems' }, ...problems.map((p) => h('li', {}, p))) : '',
  );
  host.dataset.state = kind;
}

const refused = (e) => ({ message: e.message, problems: e.problems ?? [] });

const card = { key: '', summary: null, answer: null, seq: 0 };

/**
 * Draws the Candidates card of a campaign's detail in `host` (hidden where the campaign has no candidate list).
 * `onChanged()` after an exclusion was stored, so the rest of the page reloads.
 */
export async function renderCandidates(host, detail, { canOperate, onChanged }) {
  const source = detail.definition.candidates;
  host.hidden = !source;
  if (!source) {
    card.key = '';
    host.replaceChildren();
    return;
  }
  const key = JSON.stringify([detail.id, canOperate]);
  if (key !== card.key || !host.childElementCount) {
    card.key = key;
    card.summary = h('div', { 'data-testid': 'candidates-summary' });
    card.answer = h('div', { class: 'answer', role: 'status', 'data-testid': 'exclude-answer' });
    host.replaceChildren(
      h('h3', {}, 'Candidates'),
      card.summary,
      canOperate ? excludeForm(detail.id, onChanged) : '',
      canOperate ? card.answer : '',
    );
  }
  await loadSummary(detail.id);
}

async function loadSummary(campaignId) {
  const seq = ++card.seq;
  const c = await api('GET', `/api/campaigns/${campaignId}/candidates`);
  if (seq === card.seq) drawSummary(c);
}

function drawSummary(c) {
  const counts = [
    ['rows', c.list.rows, 'rows in the list'],
    ['proposed', c.proposed, 'proposed'],
    ['available', c.available, 'left'],
    ['excluded', c.excluded.length, 'excluded'],
  ];
  card.summary.replaceChildren(
    h(
      'p',
      { class: 'small muted' },
      `List "${c.list.name}" (${c.list.id})`,
      c.replicates > 1 ? `, each row up to ${c.replicates} times` : '',
      c.list.descriptors.length ? `; descriptors: ${c.list.descriptors.join(', ')}` : '',
    ),
    h(
      'dl',
      { class: 'candidate-counts' },
      ...counts.flatMap(([name, value, label]) => [h('dt', {}, label), h('dd', { 'data-count': name }, String(value))]),
    ),
    c.excluded.length
      ? h(
          'ul',
          { class: 'excluded-rows', 'data-testid': 'excluded-rows' },
          ...c.excluded.map((x) =>
            h(
              'li',
              { dataset: { row: x.row } },
              h('strong', {}, `row ${x.row}`),
              `: ${x.reason} `,
              h('span', { class: 'small muted' }, `(${x.excludedBy})`),
            ),
          ),
        )
      : '',
  );
}

function excludeForm(campaignId, onChanged) {
  const rows = h('input', { type: 'text', name: 'rows', required: true, placeholder: 'e.g. 3, 7-9', 'data-testid': 'exclude-rows' });
  const reason = h('input', {
    type: 'text',
    name: 'reason',
    required: true,
    maxlength: 1024,
    placeholder: 'e.g. ligand out of stock',
    'data-testid': 'exclude-reason',
  });
  const submit = async (ev) => {
    ev.preventDefault();
    const parsed = parseRows(rows.value);
    const why = reason.value.trim();
    const problems = [...parsed.problems, ...(why ? [] : ['say why the rows are excluded'])];
    if (problems.length) return report(card.answer, 'Nothing was excluded:', problems);
    try {
      const c = await api('POST', `/api/campaigns/${campaignId}/candidates/exclusions`, { rows: parsed.rows, reason: why });
      if (JSON.parse(card.key || '[]')[0] === campaignId) {
        card.seq++; // a summary loaded before this answer is older than it
        drawSummary(c);
      }
      report(card.answer, `Excluded ${parsed.rows.length} row(s); ${c.available} left to propose.`, [], 'ok');
      ev.target.reset();
      onChanged();
    } catch (e) {
      const r = refused(e);
      report(card.answer, r.message, r.problems);
    }
  };
  return h(
    'form',
    { class: 'import-form', 'data-testid': 'exclude-form', onsubmit: submit },
    h('p', { class: 'small muted' }, 'Leave rows of the list out of the proposals from now on (1 = the first row after the header).'),
    h('label', {}, 'Rows'),
    rows,
    h('label', {}, 'Reason'),
    reason,
    h('button', { type: 'submit', 'data-testid': 'exclude' }, 'Exclude'),
  );
}

/** Wires the upload form (index.html, #candidate-list-form): a CSV file, a name and descriptor columns. */
export function wireUpload(form, answer) {
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const file = form.elements.file.files[0];
    if (!file) return report(answer, 'Choose a CSV file.');
    const descriptors = form.elements.descriptors.value
      .split(',')
      .map((d) => d.trim())
      .filter((d) => d.length > 0);
    const name = form.elements.name.value.trim();
    try {
      const list = await api('POST', '/api/candidate-lists', { ...(name ? { name } : {}), descriptors, csv: await file.text() });
      answer.replaceChildren(
        h('p', { class: 'small' }, `Stored "${list.name}": ${list.rows} rows; columns ${list.columns.join(', ')}`),
        list.descriptors.length ? h('p', { class: 'small' }, `descriptors: ${list.descriptors.join(', ')}`) : '',
        h('p', { class: 'small' }, 'Name it in a campaign definition as ', h('code', {}, `"candidates": { "list": "${list.id}" }`)),
        h('p', {}, h('code', { 'data-testid': 'candidate-list-id' }, list.id)),
      );
      answer.dataset.state = 'ok';
      form.reset();
    } catch (e) {
      const r = refused(e);
      report(answer, r.message, r.problems);
    }
  });
}
