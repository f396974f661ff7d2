// Small SVG charts: no library, scale to their container (viewBox), redrawn on every update.
const NS = 'http://www.w3.org/2000/svg';
const W = 480;
const H = 300;
const M = { top: 16, right: 16, bottom: 44, left: 56 };

export function el(tag, attrs = {}, text) {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

/** Round tick values for a domain. */
function ticks([lo, hi], count = 5) {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const p = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw) ?? raw;
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return out;
}

export function fmt(v) {
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e4 || a < 1e-2)) return v.toExponential(1);
  return Number(v.toPrecision(3)).toString();
}

export function domain(values, pad = 0.06) {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return [0, 1];
  let lo = Math.min(...finite);
  let hi = Math.max(...finite);
  if (hi === lo) {
    lo -= Math.abs(lo) * 0.1 || 1;
    hi += Math.abs(hi) * 0.1 || 1;
  }
  const d = (hi - lo) * pad;
  return [lo - d, hi + d];
}

/** An empty plot with axes; returns the svg and the scales. */
export function frame(xDomain, yDomain, xLabel, yLabel, { yTicks = true, xTicks = true } = {}) {
  const svg = el('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', class: 'plot' });
  const x = (v) => M.left + ((v - xDomain[0]) / (xDomain[1] - xDomain[0])) * (W - M.left - M.right);
  const y = (v) => H - M.bottom - ((v - yDomain[0]) / (yDomain[1] - yDomain[0])) * (H - M.top - M.bottom);
  const axes = el('g', { class: 'axes' });
  axes.append(el('rect', { x: M.left, y: M.top, width: W - M.left - M.right, height: H - M.top - M.bottom, class: 'plot-area' }));
  if (xTicks)
    for (const t of ticks(xDomain)) {
      axes.append(el('line', { x1: x(t), x2: x(t), y1: M.top, y2: H - M.bottom, class: 'grid' }));
      axes.append(el('text', { x: x(t), y: H - M.bottom + 16, 'text-anchor': 'middle', class: 'tick' }, fmt(t)));
    }
  if (yTicks)
    for (const t of ticks(yDomain)) {
      axes.append(el('line', { x1: M.left, x2: W - M.right, y1: y(t), y2: y(t), class: 'grid' }));
      axes.append(el('text', { x: M.left - 6, y: y(t) + 4, 'text-anchor': 'end', class: 'tick' }, fmt(t)));
    }
  axes.append(el('text', { x: (M.left + W - M.right) / 2, y: H - 8, 'text-anchor': 'middle', class: 'label' }, xLabel));
  axes.append(
    el(
      'text',
      {
        x: 14,
        y: (M.top + H - M.bottom) / 2,
        'text-anchor': 'middle',
        class: 'label',
        transform: `rotate(-90 14 ${(M.top + H - M.bottom) / 2})`,
      },
      yLabel,
    ),
  );
  svg.append(axes);
  return { svg, x, y };
}

export function empty(message) {
  const svg = el('svg', { viewBox: `0 0 ${W} ${H}`, class: 'plot' });
  svg.append(el('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle', class: 'empty' }, message));
  svg.dataset.count = '0';
  return svg;
}

/** Viridis-like colour for t in [0, 1]. */
export function colour(t) {
  const stops = [
    [68, 1, 84],
    [59, 82, 139],
    [33, 145, 140],
    [94, 201, 98],
    [253, 231, 37],
  ];
  const u = Math.min(1, Math.max(0, t)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(u));
  const f = u - i;
  const c = stops[i].map((v, k) => Math.round(v + f * (stops[i + 1][k] - v)));
  return `rgb(${c.join(',')})`;
}

export function title(svgHost, text, sub) {
  const cap = document.createElement('figcaption');
  const strong = document.createElement('strong');
  strong.textContent = text;
  cap.append(strong);
  if (sub) {
    const s = document.createElement('span');
    s.className = 'muted';
    s.textContent = ` ${sub}`;
    cap.append(s);
  }
  svgHost.replaceChildren(cap);
}

/** Best value so far against experiment number, with every result as a dot. */
export function drawBest(host, insights) {
  const pts = insights.progress;
  title(host, 'Best so far', `${insights.objective.name}, ${insights.objective.direction === 'minimize' ? 'lower' : 'higher'} is better`);
  if (pts.length === 0) return host.append(empty('no results yet'));
  const n = pts.map((_, i) => i + 1);
  const { svg, x, y } = frame(
    domain([1, Math.max(2, pts.length)], 0.02),
    domain(pts.map((p) => p.value)),
    'experiment number (results in order)',
    insights.objective.name,
  );
  for (const [i, p] of pts.entries()) svg.append(el('circle', { cx: x(n[i]), cy: y(p.value), r: 3, class: 'dot-muted' }));
  const d = pts
    .map((p, i) => `${i === 0 ? 'M' : 'L'}${x(n[i])},${y(i === 0 ? p.best : pts[i - 1].best)}${i === 0 ? '' : ` L${x(n[i])},${y(p.best)}`}`)
    .join(' ');
  svg.append(el('path', { d, class: 'line-best' }));
  svg.dataset.count = String(pts.length);
  host.append(svg);
}

/** Cross-validated predicted against observed, with ±1 sd error bars and the diagonal. */
export function drawCrossValidation(host, insights) {
  const m = insights.model;
  title(host, 'Predicted vs observed', m ? `GP, ${m.validation}, RMSE ${fmt(m.rmse)}, R² ${fmt(m.r2)}` : '');
  const pts = insights.crossValidation;
  if (!m || pts.length === 0) return host.append(empty(insights.note ?? 'no model yet'));
  const all = pts.flatMap((p) => [p.observed, p.predicted - p.sd, p.predicted + p.sd]);
  const dom = domain(all);
  const { svg, x, y } = frame(dom, dom, `observed ${insights.objective.name}`, 'predicted (out of fold) ± sd');
  svg.append(el('line', { x1: x(dom[0]), y1: y(dom[0]), x2: x(dom[1]), y2: y(dom[1]), class: 'diagonal' }));
  for (const p of pts) {
    svg.append(
      el('line', { x1: x(p.observed), x2: x(p.observed), y1: y(p.predicted - p.sd), y2: y(p.predicted + p.sd), class: 'errorbar' }),
    );
    const c = el('circle', { cx: x(p.observed), cy: y(p.predicted), r: 3.5, class: p.imported ? 'dot imported' : 'dot' });
    const name = p.imported ? `imported result ${p.index}` : `#${p.index}`;
    c.append(el('title', {}, `${name}: observed ${fmt(p.observed)}, predicted ${fmt(p.predicted)} ± ${fmt(p.sd)}`));
    svg.append(c);
  }
  svg.dataset.count = String(pts.length);
  host.append(svg);
}

/** PCA of the explored space, coloured by outcome; the pending batch marked. */
export function drawSpace(host, insights) {
  const { axes, points } = insights.projection;
  const label = (k) => (axes[k] ? `PC${k + 1} (${Math.round(axes[k].explained * 100)} %)` : `PC${k + 1}`);
  title(host, 'Explored space', 'PCA of the unit-cube parameters');
  if (points.length === 0) return host.append(empty('nothing explored yet'));
  const { svg, x, y } = frame(
    domain(
      points.map((p) => p.x),
      0.1,
    ),
    domain(
      points.map((p) => p.y),
      0.1,
    ),
    label(0),
    label(1),
  );
  const values = points.filter((p) => p.value !== null).map((p) => p.value);
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const good = (v) => (hi > lo ? (insights.objective.direction === 'minimize' ? (hi - v) / (hi - lo) : (v - lo) / (hi - lo)) : 0.5);
  const order = { 'in-progress': 0, failed: 1, observed: 2, pending: 3 };
  let pending = 0;
  for (const p of [...points].sort((a, b) => order[a.state] - order[b.state])) {
    const cx = x(p.x);
    const cy = y(p.y);
    let mark;
    if (p.state === 'observed') mark = el('circle', { cx, cy, r: 5, fill: colour(good(p.value)), class: 'dot-space' });
    else if (p.state === 'pending') {
      pending += 1;
      mark = el('path', { d: `M${cx},${cy - 8} L${cx + 8},${cy} L${cx},${cy + 8} L${cx - 8},${cy} Z`, class: 'pending-mark' });
    } else if (p.state === 'failed')
      mark = el('path', { d: `M${cx - 4},${cy - 4} L${cx + 4},${cy + 4} M${cx - 4},${cy + 4} L${cx + 4},${cy - 4}`, class: 'failed-mark' });
    else mark = el('circle', { cx, cy, r: 5, class: 'running-mark' });
    mark.append(el('title', {}, `#${p.index} ${p.state}${p.value !== null ? `: ${fmt(p.value)}` : ''}`));
    svg.append(mark);
  }
  svg.dataset.count = String(points.length);
  svg.dataset.pending = String(pending);
  host.append(svg, legend());
}

function swatch(draw) {
  const svg = el('svg', { viewBox: '-8 -8 16 16', 'aria-hidden': 'true' });
  svg.append(draw());
  return svg;
}

function legend() {
  const box = document.createElement('div');
  box.className = 'legend';
  const item = (mark, text) => {
    const span = document.createElement('span');
    span.append(swatch(mark), text);
    box.append(span);
  };
  item(
    () => el('path', { d: 'M0,-6 L6,0 L0,6 L-6,0 Z', class: 'pending-mark', fill: 'none', stroke: '#e4572e', 'stroke-width': 2 }),
    'pending batch',
  );
  item(() => el('circle', { r: 6, fill: colour(1) }), 'best result');
  item(() => el('circle', { r: 6, fill: colour(0) }), 'worst result');
  item(() => el('circle', { r: 5, fill: 'none', stroke: '#667085', 'stroke-dasharray': '2 2' }), 'running');
  item(() => el('path', { d: 'M-4,-4 L4,4 M-4,4 L4,-4', stroke: '#c0392b', 'stroke-width': 2 }), 'failed');
  return box;
}

/** Permutation importance on the cross-validated model, with ±1 sd over the repeats. */
export function drawImportance(host, insights) {
  title(host, 'Which parameters matter', 'permutation importance (share of variance lost)');
  const rows = insights.importance;
  if (rows.length === 0) return host.append(empty(insights.note ?? 'no model yet'));
  const max = Math.max(0.05, ...rows.map((r) => r.importance + r.sd));
  const min = Math.min(0, ...rows.map((r) => r.importance - r.sd));
  const band = 34;
  const height = M.top + band * rows.length + 34;
  const svg = el('svg', { viewBox: `0 0 ${W} ${height}`, class: 'plot' });
  const left = 110;
  const right = W - 60;
  const x = (v) => left + ((v - min) / (max - min)) * (right - left);
  for (const t of ticks([min, max], 4)) {
    svg.append(el('line', { x1: x(t), x2: x(t), y1: M.top, y2: M.top + band * rows.length, class: 'grid' }));
    svg.append(el('text', { x: x(t), y: M.top + band * rows.length + 16, 'text-anchor': 'middle', class: 'tick' }, fmt(t)));
  }
  svg.append(el('line', { x1: x(0), x2: x(0), y1: M.top, y2: M.top + band * rows.length, class: 'axis-zero' }));
  rows.forEach((r, i) => {
    const y0 = M.top + i * band;
    svg.append(el('text', { x: left - 8, y: y0 + band / 2 + 4, 'text-anchor': 'end', class: 'tick name' }, r.parameter));
    const a = x(Math.min(0, r.importance));
    svg.append(
      el('rect', { x: a, y: y0 + band * 0.2, width: Math.max(1, Math.abs(x(r.importance) - x(0))), height: band * 0.6, class: 'bar' }),
    );
    svg.append(
      el('line', { x1: x(r.importance - r.sd), x2: x(r.importance + r.sd), y1: y0 + band / 2, y2: y0 + band / 2, class: 'errorbar' }),
    );
    svg.append(el('text', { x: right + 6, y: y0 + band / 2 + 4, class: 'tick' }, fmt(r.importance)));
  });
  svg.dataset.count = String(rows.length);
  host.append(svg);
}
