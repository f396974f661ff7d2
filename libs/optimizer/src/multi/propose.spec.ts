import type { GaussianProcess, GpOptions } from '../surrogates/gp.js';
import { resolveMultiObjectiveOptions } from './multi-options.js';
import { OutcomeModels } from './outcome-models.js';
import { proposeBatch, type Search } from './propose.js';

/** Known GPs: fixed hyperparameters and prior mean 0, so that far from the data each outcome is N(0, 1). */
const gpOptions: GpOptions = { fixed: { lengthscales: [0.15], outputscale: 1, noise: 1e-6, mean: 0 } };

/** The best free point of a grid on [0, 1] (as a pool is searched). */
function gridSearch(step: number): Search {
  const grid = Array.from({ length: Math.round(1 / step) + 1 }, (_, k) => [k * step]);
  const left = new Set(grid.keys());
  return (acq) => {
    const cand = [...left];
    if (cand.length === 0) return undefined;
    const v = acq.evaluate(cand.map((k) => grid[k]));
    let best = 0;
    for (let j = 1; j < cand.length; j++) if (v[j] > v[best]) best = j;
    left.delete(cand[best]);
    return { x: grid[cand[best]], value: v[best] };
  };
}

function minDistance(xs: number[]): number {
  let d = Infinity;
  for (let a = 0; a < xs.length; a++) for (let b = a + 1; b < xs.length; b++) d = Math.min(d, Math.abs(xs[a] - xs[b]));
  return d;
}

describe('a batch of several objectives under an outcome limit', () => {
  // Two objectives known on [0, 0.3] (a front well inside the reference point) and unknown beyond, where
  // their prior promises the most; the limited outcome is known at the data and its prior beyond, where
  // the limit (0.35 prior sd below the prior mean) is met with probability 0.36.
  const X = [[0], [0.1], [0.2], [0.3]];
  const values = [
    { a: 0.6, b: -1.2, c: -3 },
    { a: 0.2, b: -0.6, c: -3 },
    { a: -0.3, b: 0.1, c: -3 },
    { a: -1, b: 0.5, c: 1 },
  ];
  const build = (limit: number) =>
    new OutcomeModels(
      [
        { name: 'a', direction: 'maximize', ref: -3 },
        { name: 'b', direction: 'maximize', ref: -3 },
      ],
      [{ name: 'c', op: '<=', value: limit }],
      { X, values, allX: X, succeeded: X.map(() => true) },
      new Map<string, GaussianProcess>(),
      gpOptions,
      0.1,
    );

  it('spreads over the promising region although its first pick meets the limit with probability ~0.36', () => {
    const { shift, scale } = build(0).limitModels[0].standardisation;
    const models = build(shift - 0.35 * scale);
    const picks = proposeBatch(models, { pending: [], n: 6, seed: 3 }, resolveMultiObjectiveOptions({}), gridSearch(0.005), gpOptions);
    const xs = picks.map((p) => p.x[0]);
    expect(xs).toHaveLength(6);
    const meets = models.weight([picks[0].x])[0];
    expect(meets).toBeGreaterThan(0.3);
    expect(meets).toBeLessThan(0.4);
    // Each pick conditions the next: a point beside an earlier pick shares its outcomes, limits included,
    // and so adds little to the samples' fronts; the batch covers the region instead of repeating one point.
    expect(minDistance(xs)).toBeGreaterThan(0.05);
    // And each pick is worth less than the one before it (with the first pick left out of the fronts where
    // it would miss the limit, the later ones were worth as much as the first).
    for (let b = 1; b < picks.length; b++) expect(picks[b].value).toBeLessThan(picks[b - 1].value);
  });

  it('spreads under ParEGO too: the Kriging believer conditions on every pending point, however likely to meet the limit', () => {
    const { shift, scale } = build(0).limitModels[0].standardisation;
    const models = build(shift - 0.35 * scale);
    const options = resolveMultiObjectiveOptions({ acquisition: 'parego' });
    const picks = proposeBatch(models, { pending: [], n: 6, seed: 3 }, options, gridSearch(0.005), gpOptions);
    expect(picks).toHaveLength(6);
    // Fresh weights per pick aim at different parts of the front, some near the data; no pick repeats
    // another (within a few grid steps).
    expect(minDistance(picks.map((p) => p.x[0]))).toBeGreaterThan(0.02);
  });
});
