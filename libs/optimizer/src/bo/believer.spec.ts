import { Rng } from '#random';
import { GaussianProcess } from '../surrogates/gp.js';
import { incrementalBelieverBatch, rescoringBelieverBatch } from './believer.js';
import { PoolStrategy } from './pool.js';

/** A rippled bowl in the unit cube: many local optima, so batches spread out. */
const f = (x: number[]) => -x.reduce((s, v, k) => s + (v - 0.4 - 0.05 * k) ** 2 - 0.05 * Math.cos(12 * v), 0);

function pool(seed: number, rows: number, dim: number): number[][] {
  const rng = new Rng(seed);
  return Array.from({ length: rows }, () => Array.from({ length: dim }, () => rng.next()));
}

describe('incremental Kriging believer', () => {
  it.each([
    [1, 3, 25],
    [2, 5, 40],
    [3, 2, 12],
  ])('picks the rows the re-scoring believer picks, with the same log EI (seed %i, %i dimensions, %i results)', (seed, dim, observed) => {
    const X = pool(seed, 600, dim);
    const gp = new GaussianProcess();
    const obs = X.slice(0, observed);
    gp.fit(
      obs,
      obs.map((x) => f(x)),
    );
    const best = Math.max(...gp.posterior(obs).mean);
    const free = Array.from({ length: X.length - observed }, (_, i) => i + observed);
    const fast = incrementalBelieverBatch(gp, X, free, 10, best);
    const slow = rescoringBelieverBatch(gp, X, free, 10, best);
    expect(fast.map((p) => p.row)).toEqual(slow.map((p) => p.row));
    for (let b = 0; b < slow.length; b++) expect(fast[b].acquisition).toBeCloseTo(slow[b].acquisition, 9);
    expect(new Set(fast.map((p) => p.row)).size).toBe(10);
  });

  it('a batch spreads out: after a pick, its near twin is worth less than it was', () => {
    // Two rows almost on top of each other at the best spot: the believer takes one, then looks elsewhere.
    const X = [[0.1], [0.5], [0.9], [0.7], [0.7001], [0.3]];
    const gp = new GaussianProcess();
    gp.fit([X[0], X[1], X[2]], [0, 1, 0.2]);
    const best = Math.max(...gp.posterior([X[0], X[1], X[2]]).mean);
    const picks = incrementalBelieverBatch(gp, X, [3, 4, 5], 2, best);
    const rows = picks.map((p) => p.row);
    expect(rows.includes(3) && rows.includes(4)).toBe(false);
    expect(picks[1].acquisition).toBeLessThan(picks[0].acquisition);
  });

  it('gives PoolStrategy the same proposals either way, pending rows included', () => {
    const X = pool(7, 400, 4);
    const ids = X.map((_, i) => `r${i}`);
    const observations = X.slice(0, 30).map((x, i) => ({ id: ids[i], value: f(x) }));
    const request = { direction: 'maximize' as const, observations, pending: ['r30', 'r31', 'r32'], n: 8, seed: 5 };
    const fast = new PoolStrategy(ids, X).ask(request);
    const slow = new PoolStrategy(ids, X, 6, { believer: 'rescoring' }).ask(request);
    expect(fast.map((p) => p.id)).toEqual(slow.map((p) => p.id));
    expect(fast.map((p) => p.prediction)).toEqual(slow.map((p) => p.prediction));
  });
});
