// Campaigns of several objectives or with outcome limits: the Pareto plot (two outcomes the operator
// chooses), the hypervolume over time, and the pending proposals' predicted outcomes and limit probabilities.
// Reads the campaign's `pareto` summary and its experiments (GET /api/campaigns/:id); draws nothing otherwise.
import { domain, el, empty, fmt, frame, title } from './charts.js';
import { h, num } from './dom.js';

/** The outcomes an operator may put on the axes: the objectives, then the limited outcomes that are not objectives. */
function outcomeNames(p) {
  const names = p.objectives.map((o) => o.name);
  for (const c of p.constraints) if (!names.includes(c.name)) names.push(c.name);
  return names;
}

/** The axes chosen so far, per campaign (kept across the page's re-renders). */
const chosen = new Map();

function axesOf(campaign) {
  const names = outcomeNames(campaign.pareto);
  const prior = chosen.get(campaign.id);
  if (prior && names.includes(prior.x) && names.includes(prior.y)) return prior;
  const axes = { x: names[0], y: names[1] ?? names[0] };
  chosen.set(campaign.id, axes);
  return axes;
}

const finite = (v) => typeof v === 'number' && Number.isFinite(v);
const meets = (limits, values) =>
  limits.every((c) => finite(values?.[c.name]) && (c.op === '<=' ? values[c.name] <= c.value : values[c.name] >= c.value));

/** The experiments of the batches not yet finished (proposed, or approved and still running). */
function pendingOf(campaign) {
  const open = new Set(campaign.batches.filter((b) => b.status === 'proposed' || b.status === 'approved').map((b) => b.id));
  return campaign.experiments.filter((e) => open.has(e.batchId) && !['completed', 'failed', 'cancelled', 'rejected'].includes(e.status));
}

/**
 * Draws the Pareto card: two selects for the axes, then the plot of the front (joined by its
 * attainment steps), the dominated results, those that break a limit, failed runs that reported both
 * values, the front of the imported earlier results (apart: they are not the campaign's), and the
 * pending proposals at their predicted means with ± sd bars.
 */
export function drawPareto(host, campaign, onChange) {
  const p = campaign.pareto;
  const axes = axesOf(campaign);
  const names = outcomeNames(p);
  const front = new Set(p.front.map((f) => f.experimentId));
  const completed = campaign.experiments.filter((e) => e.status === 'completed' && e.values);
  const failed = campaign.experiments.filter((e) => e.status === 'failed' && e.failureScope === 'experiment');
  const pending = pendingOf(campaign).filter((e) => e.prediction?.outcomes?.[axes.x] && e.prediction?.outcomes?.[axes.y]);
  const dir = (n) => p.objectives.find((o) => o.name === n)?.direction;
  const better = (n) => (dir(n) === 'minimize' ? 'lower is better' : dir(n) === 'maximize' ? 'higher is better' : 'limited');
  title(host, 'Pareto front', `${axes.x} (${better(axes.x)}) against ${axes.y} (${better(axes.y)})`);
  const select = (which) =>
    h(
      'select',
      {
        'data-testid': `pareto-${which}`,
        'aria-label': `${which} axis`,
        onchange: (e) => {
          chosen.set(campaign.id, { ...axes, [which]: e.target.value });
          onChange();
        },
      },
      names.map((n) => h('option', { value: n, selected: n === axes[which] }, n)),
    );
  host.append(h('div', { class: 'pareto-axes' }, h('label', {}, 'x ', select('x')), h('label', {}, 'y ', select('y'))));

  const placed = (list) => list.filter((e) => finite(e.values?.[axes.x]) && finite(e.values?.[axes.y]));
  const shownFailed = placed(failed);
  const pts = placed(completed);
  const imported = placed(p.imported?.front ?? []);
  if (pts.length === 0 && pending.length === 0 && imported.length === 0) {
    const svg = empty('no results yet');
    host.append(svg);
    return;
  }
  const xs = [...pts, ...shownFailed, ...imported].map((e) => e.values[axes.x]);
  const ys = [...pts, ...shownFailed, ...imported].map((e) => e.values[axes.y]);
  for (const e of pending) {
    const px = e.prediction.outcomes[axes.x];
    const py = e.prediction.outcomes[axes.y];
    xs.push(px.mean - px.sd, px.mean + px.sd);
    ys.push(py.mean - py.sd, py.mean + py.sd);
  }
  const { svg, x, y } = frame(domain(xs), domain(ys), axes.x, axes.y);
  // The front's attainment steps, where both axes are objectives (toward worse in both directions).
  const onFront = pts.filter((e) => front.has(e.id));
  if (dir(axes.x) && dir(axes.y) && onFront.length > 1) {
    const sx = dir(axes.x) === 'maximize' ? -1 : 1;
    const sorted = [...onFront].sort((a, b) => sx * (a.values[axes.x] - b.values[axes.x]));
    let d = '';
    sorted.forEach((e, i) => {
      const px = x(e.values[axes.x]);
      const py = y(e.values[axes.y]);
      d += i === 0 ? `M${px},${py}` : `H${px}V${py}`;
    });
    svg.append(el('path', { d, class: 'pareto-steps' }));
  }
  let counts = { front: 0, dominated: 0, infeasible: 0 };
  for (const e of pts) {
    const kind = front.has(e.id) ? 'front' : meets(p.constraints, e.values) ? 'dominated' : 'infeasible';
    counts[kind]++;
    const dot = el('circle', { cx: x(e.values[axes.x]), cy: y(e.values[axes.y]), r: kind === 'front' ? 5 : 3.5, class: `dot-${kind}` });
    dot.append(el('title', {}, `#${e.index} ${kind}: ${axes.x} ${num(e.values[axes.x])}, ${axes.y} ${num(e.values[axes.y])}`));
    svg.append(dot);
  }
  for (const f of imported) {
    const cx = x(f.values[axes.x]);
    const cy = y(f.values[axes.y]);
    const mark = el('rect', { x: cx - 4, y: cy - 4, width: 8, height: 8, class: 'mark-imported' });
    mark.append(
      el('title', {}, `imported result ${f.index} (${f.source}): ${axes.x} ${num(f.values[axes.x])}, ${axes.y} ${num(f.values[axes.y])}`),
    );
    svg.append(mark);
  }
  for (const e of shownFailed) {
    const cx = x(e.values[axes.x]);
    const cy = y(e.values[axes.y]);
    const mark = el('path', {
      d: `M${cx - 4},${cy - 4}L${cx + 4},${cy + 4}M${cx - 4},${cy + 4}L${cx + 4},${cy - 4}`,
      class: 'mark-failed',
    });
    mark.append(el('title', {}, `#${e.index} failed: ${e.failureReason ?? ''}`));
    svg.append(mark);
  }
  for (const e of pending) {
    const px = e.prediction.outcomes[axes.x];
    const py = e.prediction.outcomes[axes.y];
    const g = el('g', { class: 'pending-prediction' });
    g.append(el('line', { x1: x(px.mean - px.sd), x2: x(px.mean + px.sd), y1: y(py.mean), y2: y(py.mean) }));
    g.append(el('line', { x1: x(px.mean), x2: x(px.mean), y1: y(py.mean - py.sd), y2: y(py.mean + py.sd) }));
    const cx = x(px.mean);
    const cy = y(py.mean);
    g.append(el('path', { d: `M${cx},${cy - 5}L${cx + 5},${cy}L${cx},${cy + 5}L${cx - 5},${cy}Z` }));
    g.append(el('title', {}, `#${e.index} proposed: ${axes.x} ${num(px.mean)} ± ${num(px.sd)}, ${axes.y} ${num(py.mean)} ± ${num(py.sd)}`));
    svg.append(g);
  }
  Object.assign(svg.dataset, {
    x: axes.x,
    y: axes.y,
    count: String(pts.length),
    front: String(counts.front),
    dominated: String(counts.dominated),
    infeasible: String(counts.infeasible),
    failed: String(shownFailed.length),
    pending: String(pending.length),
    imported: String(imported.length),
  });
  const unplaced = failed.length - shownFailed.length;
  host.append(
    svg,
    h(
      'p',
      { class: 'legend small' },
      h('span', { class: 'key key-front' }, `front (${counts.front})`),
      h('span', { class: 'key key-dominated' }, `dominated (${counts.dominated})`),
      p.constraints.length ? h('span', { class: 'key key-infeasible' }, `breaks a limit (${counts.infeasible})`) : null,
      h('span', { class: 'key key-failed' }, `failed (${failed.length}${unplaced ? `, ${unplaced} without values` : ''})`),
      h('span', { class: 'key key-pending' }, `proposed: predicted mean ± sd (${pending.length})`),
      p.imported?.results ? h('span', { class: 'key key-imported' }, `front of the imported results (${imported.length})`) : null,
    ),
  );
}

/** The front's hypervolume after each completed result, against the campaign's reference point. */
export function drawHypervolume(host, campaign) {
  const p = campaign.pareto;
  const ref = p.reference;
  const refText = ref
    ? `reference ${Object.entries(ref.point)
        .map(([k, v]) => `${k} ${fmt(v)}`)
        .join(', ')} (${ref.source === 'given' ? 'given' : 'inferred'})`
    : '';
  title(host, 'Hypervolume', refText);
  const pts = p.hypervolume;
  if (pts.length === 0) return host.append(empty('no results yet'));
  const { svg, x, y } = frame(
    domain(
      pts.map((q) => q.completed),
      0.02,
    ),
    domain([0, ...pts.map((q) => q.hypervolume)]),
    'completed results',
    'hypervolume',
  );
  svg.append(el('polyline', { points: pts.map((q) => `${x(q.completed)},${y(q.hypervolume)}`).join(' '), class: 'line-best' }));
  svg.dataset.count = String(pts.length);
  svg.dataset.last = String(pts.at(-1).hypervolume);
  host.append(svg);
}

/**
 * The pending proposals' predictions: every objective's and limited outcome's mean ± sd, the
 * probability of meeting each limit, the objectives each is expected to improve, its acquisition.
 */
export function renderParetoProposals(host, campaign) {
  const p = campaign.pareto;
  const pending = pendingOf(campaign);
  const names = outcomeNames(p);
  const head = h('h3', {}, 'Proposed: predicted outcomes');
  if (pending.length === 0) return host.replaceChildren(head, h('p', { class: 'muted small' }, 'No batch pending.'));
  const limit = (c) => `P(${c.name} ${c.op} ${c.value})`;
  const table = h(
    'table',
    { class: 'pareto-table', 'data-testid': 'pareto-proposals' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', {}, '#'),
        names.map((n) => h('th', {}, n)),
        p.constraints.map((c) => h('th', {}, limit(c))),
        h('th', {}, 'may improve'),
        h('th', {}, 'acquisition'),
      ),
    ),
    h(
      'tbody',
      {},
      pending.map((e) => {
        const pr = e.prediction;
        const prob = (c) => pr?.limits?.find((l) => l.name === c.name && l.op === c.op && l.value === c.value)?.probability;
        return h(
          'tr',
          { 'data-id': e.id, 'data-testid': 'pareto-proposal' },
          h('td', {}, String(e.index)),
          names.map((n) =>
            h('td', { 'data-outcome': n }, pr?.outcomes?.[n] ? `${num(pr.outcomes[n].mean, 3)} ± ${num(pr.outcomes[n].sd, 2)}` : 'design'),
          ),
          p.constraints.map((c) => h('td', { 'data-limit': c.name }, prob(c) === undefined ? '–' : `${Math.round(prob(c) * 100)} %`)),
          h('td', {}, pr?.improves ? pr.improves.join(', ') || 'none' : '–'),
          h('td', {}, num(pr?.acquisition, 3)),
        );
      }),
    ),
  );
  host.replaceChildren(head, h('div', { class: 'table-wrap' }, table));
}

/** Shows the Pareto cards for a campaign of several objectives or with limits, and hides them otherwise. */
export function renderPareto(section, campaign, onChange) {
  section.hidden = !campaign.pareto;
  if (!campaign.pareto) return;
  drawPareto(section.querySelector('#chart-pareto'), campaign, onChange);
  drawHypervolume(section.querySelector('#chart-hypervolume'), campaign);
  renderParetoProposals(section.querySelector('#pareto-proposals-card'), campaign);
}
