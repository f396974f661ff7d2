// The campaign's model, asked (GET /api/campaigns/:id/model/optimum and .../model/slice): where it predicts the
// best objective, with mean ± sd there, and the model along one parameter through the best result (mean and a
// band of ± 2 sd). Its own card and file; fetched again only when the campaign's results or definition change.
import { api, ApiError } from './api.js';

const NS = 'http://www.w3.org/2000/svg';
const W = 480;
const H = 260;
const M = { top: 14, right: 16, bottom: 40, left: 56 };

function svgEl(tag, attrs = {}, text) {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

function fmt(v) {
  if (typeof v !== 'number') return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e4 || a < 1e-2)) return v.toExponential(2);
  return Number(v.toPrecision(4)).toString();
}

const shown = { key: '', parameter: null };

/** Draws the Model card for a campaign's detail; `root` is the card. */
export async function renderModel(root, detail) {
  const numeric = detail.definition.parameters.filter((p) => p.type !== 'composition');
  if (!numeric.some((p) => p.name === shown.parameter)) shown.parameter = numeric[0]?.name ?? null;
  const results = detail.experiments.filter((e) => e.status === 'completed').length;
  const key = JSON.stringify([detail.id, results, detail.definitionVersion, shown.parameter]);
  if (key === shown.key) return;
  shown.key = key;
  root.replaceChildren();
  const head = document.createElement('div');
  head.className = 'head-row';
  const h = document.createElement('h3');
  h.textContent = 'Model';
  head.append(h);
  root.append(head);
  const optimum = document.createElement('p');
  optimum.dataset.testid = 'model-optimum';
  root.append(optimum);
  try {
    const o = await api('GET', `/api/campaigns/${detail.id}/model/optimum`);
    if (shown.key !== key) return;
    const objective = detail.definition.objective.name;
    const where = Object.entries(o.optimum.params)
      .map(([k, v]) => `${k} = ${fmt(v)}`)
      .join(', ');
    optimum.textContent = `Predicted optimum: ${where} → ${objective} ${fmt(o.optimum.mean)} ± ${fmt(o.optimum.sd)} (best measured ${fmt(o.model.best.value)}; ${o.model.results} results; acquisition ${o.model.acquisition.kind})`;
  } catch (e) {
    if (e instanceof ApiError && e.status === 409) {
      optimum.textContent = 'The model needs at least 3 results with a value.';
      return;
    }
    throw e;
  }
  if (!shown.parameter) return;
  const label = document.createElement('label');
  label.textContent = 'Slice through the best result along ';
  const select = document.createElement('select');
  select.dataset.testid = 'slice-parameter';
  for (const p of numeric) select.append(new Option(p.name, p.name, false, p.name === shown.parameter));
  select.addEventListener('change', () => {
    shown.parameter = select.value;
    void renderModel(root, detail);
  });
  label.append(select);
  root.append(label);
  const figure = document.createElement('figure');
  figure.className = 'chart model-slice';
  figure.dataset.testid = 'model-slice';
  root.append(figure);
  const s = await api('GET', `/api/campaigns/${detail.id}/model/slice?parameter=${encodeURIComponent(shown.parameter)}`);
  if (shown.key !== key) return;
  drawSlice(figure, s.slice, detail.definition.objective.name);
}

function drawSlice(figure, slice, objective) {
  const pts = slice.points;
  const categorical = pts.some((p) => typeof p.value === 'string');
  const xs = pts.map((p, i) => (categorical ? i : p.value));
  const lo = pts.map((p) => p.mean - 2 * p.sd);
  const hi = pts.map((p) => p.mean + 2 * p.sd);
  let [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  if (categorical) [x0, x1] = [-0.5, pts.length - 0.5];
  let [y0, y1] = [Math.min(...lo), Math.max(...hi)];
  if (!(y1 > y0)) [y0, y1] = [y0 - 1, y1 + 1];
  const x = (v) => M.left + ((v - x0) / (x1 - x0 || 1)) * (W - M.left - M.right);
  const y = (v) => H - M.bottom - ((v - y0) / (y1 - y0)) * (H - M.top - M.bottom);
  const svg = svgEl('svg', {
    viewBox: `0 0 ${W} ${H}`,
    role: 'img',
    class: 'plot',
    'data-count': pts.length,
    'data-parameter': slice.parameter,
  });
  svg.append(svgEl('rect', { x: M.left, y: M.top, width: W - M.left - M.right, height: H - M.top - M.bottom, class: 'plot-area' }));
  for (const t of [y0, (y0 + y1) / 2, y1])
    svg.append(svgEl('text', { x: M.left - 6, y: y(t) + 4, 'text-anchor': 'end', class: 'tick' }, fmt(t)));
  if (categorical) {
    pts.forEach((p, i) => {
      svg.append(svgEl('line', { x1: x(i), x2: x(i), y1: y(lo[i]), y2: y(hi[i]), class: 'band-line' }));
      svg.append(svgEl('circle', { cx: x(i), cy: y(p.mean), r: 4, class: 'mean-dot' }));
      svg.append(svgEl('text', { x: x(i), y: H - M.bottom + 16, 'text-anchor': 'middle', class: 'tick' }, String(p.value)));
    });
  } else {
    const band = [...xs.map((v, i) => `${x(v)},${y(hi[i])}`), ...xs.map((v, i) => `${x(v)},${y(lo[i])}`).reverse()].join(' ');
    svg.append(svgEl('polygon', { points: band, class: 'band' }));
    svg.append(svgEl('polyline', { points: xs.map((v, i) => `${x(v)},${y(pts[i].mean)}`).join(' '), class: 'mean-line' }));
    for (const t of [x0, (x0 + x1) / 2, x1])
      svg.append(svgEl('text', { x: x(t), y: H - M.bottom + 16, 'text-anchor': 'middle', class: 'tick' }, fmt(t)));
  }
  const at = slice.through[slice.parameter];
  const atX = categorical ? pts.findIndex((p) => p.value === at) : at;
  if (atX !== undefined && atX >= 0) svg.append(svgEl('line', { x1: x(atX), x2: x(atX), y1: M.top, y2: H - M.bottom, class: 'through' }));
  svg.append(svgEl('text', { x: (M.left + W - M.right) / 2, y: H - 6, 'text-anchor': 'middle', class: 'label' }, slice.parameter));
  svg.append(
    svgEl(
      'text',
      {
        x: 14,
        y: (M.top + H - M.bottom) / 2,
        'text-anchor': 'middle',
        class: 'label',
        transform: `rotate(-90 14 ${(M.top + H - M.bottom) / 2})`,
      },
      `${objective} (mean ± 2 sd)`,
    ),
  );
  const caption = document.createElement('figcaption');
  caption.textContent = `The model along ${slice.parameter}, every other parameter at the best result; the dashed line marks the best result's ${slice.parameter}.`;
  figure.replaceChildren(svg, caption);
}
