/**
 * Kriging-believer batches over a finite set of candidate rows, by log EI.
 *
 * After each pick the believer conditions the GP on a fantasised observation
 * at the pick, equal to the posterior mean there. That leaves the posterior
 * mean unchanged everywhere and lowers each row's variance by a rank-one term
 * (its posterior covariance with the pick, squared, over the pick's variance
 * plus noise); the incumbent can only rise. So a row's log EI can only fall
 * from one pick to the next, and its value at the last exact evaluation is an
 * upper bound on its value now. `incrementalBelieverBatch` scores every row
 * once, then at each later pick evaluates exactly only the rows whose bound
 * could still beat the best exact value found (a lazy greedy search): a pick
 * costs a scan of the bounds plus an exact update of a few rows, where
 * `rescoringBelieverBatch` (the plain believer) re-scores every row.
 *
 * The exact update extends a row's whitened cross-covariance v = L⁻¹k by one
 * entry per pick, with the same operations, in the same order, as a Cholesky
 * factor of the GP conditioned on the picks and a forward substitution
 * against it (linalg/dense.ts), so the variances agree with the plain
 * believer's to the last bit; the means are the unconditioned ones (the
 * plain believer recomputes them, equal up to rounding).
 */
import { logEI, logExpectedImprovement } from '../acquisition/analytic.js';
import type { GaussianProcess } from '../surrogates/gp.js';

export interface BelieverPick {
  /** Index of the row in X. */
  row: number;
  /** log EI of the row when it was picked (after the earlier picks' fantasies). */
  acquisition: number;
}

/**
 * The plain Kriging believer: after each pick, a GP conditioned on the
 * fantasy, and every remaining row scored again. `rows` lists the candidates
 * (indices into X) in the order ties are broken (the first wins).
 */
export function rescoringBelieverBatch(
  gp: GaussianProcess,
  X: readonly number[][],
  rows: readonly number[],
  n: number,
  incumbent: number,
): BelieverPick[] {
  let model = gp;
  let best = incumbent;
  const out: BelieverPick[] = [];
  const left = new Set(rows);
  for (let b = 0; b < Math.min(n, rows.length); b++) {
    const cand = [...left];
    const v = logEI(model, best).evaluate(cand.map((i) => X[i]));
    let k = 0;
    for (let j = 1; j < cand.length; j++) if (v[j] > v[k]) k = j;
    const row = cand[k];
    left.delete(row);
    out.push({ row, acquisition: v[k] });
    if (b < n - 1) {
      const x = X[row];
      const mu = model.posterior([x]).mean[0];
      model = model.conditioned([x], [mu]);
      best = Math.max(best, mu);
    }
  }
  return out;
}

/** Relative slack on the bounds: log EI is monotone in sd and the incumbent up to rounding. */
const SLACK = 1e-9;

/** The same batch as `rescoringBelieverBatch` (see the file's comment), at little more than the cost of one pick. */
export function incrementalBelieverBatch(
  gp: GaussianProcess,
  X: readonly number[][],
  rows: readonly number[],
  n: number,
  incumbent: number,
): BelieverPick[] {
  const m = rows.length;
  const size = Math.min(n, m);
  if (size === 0) return [];
  const { mean, variance } = gp.posterior(rows.map((i) => X[i]));
  const f = gp.fantasyParts();
  const s2 = f.scale * f.scale;
  const floor = 1e-12 * f.outputscale;
  // Per candidate (position in rows): the variance at its last exact evaluation, an upper bound on its variance now.
  const known = Float64Array.from(variance);
  // Candidates evaluated exactly since the first pick: v = L⁻¹k extended by one entry per pick, its length and Σv².
  const vec = new Map<number, { v: Float64Array; length: number; q: number }>();
  const taken = new Uint8Array(m);
  const picks: number[] = [];
  const pivots: number[] = [];
  const out: BelieverPick[] = [];
  let best = incumbent;

  const exact = (c: number): number => {
    let e = vec.get(c);
    if (!e) {
      const v = new Float64Array(f.n + size);
      f.whiten(X[rows[c]], v);
      let q = 0;
      for (let i = 0; i < f.n; i++) q += v[i] * v[i];
      e = { v, length: f.n, q };
      vec.set(c, e);
    }
    const x = X[rows[c]];
    for (let j = e.length - f.n; j < picks.length; j++) {
      const p = vec.get(picks[j]) as { v: Float64Array };
      const len = f.n + j;
      let s = f.prior(x, X[rows[picks[j]]]);
      for (let k = 0; k < len; k++) s -= p.v[k] * e.v[k];
      const w = s / pivots[j];
      e.v[len] = w;
      e.q += w * w;
      e.length = len + 1;
    }
    known[c] = s2 * Math.max(f.outputscale - e.q, floor);
    return logExpectedImprovement(mean[c], Math.sqrt(Math.max(known[c], 0)), best);
  };
  const bound = (c: number) => logExpectedImprovement(mean[c], Math.sqrt(Math.max(known[c], 0)), best);

  for (let b = 0; b < size; b++) {
    let pick = -1;
    let value = -Infinity;
    if (b === 0) {
      for (let c = 0; c < m; c++) {
        const v = bound(c);
        if (pick < 0 || v > value) [pick, value] = [c, v];
      }
      if (size > 1) exact(pick);
    } else {
      // The largest bound, evaluated exactly, gives a value to beat; then every row whose bound reaches it, best bound first.
      const bounds = new Float64Array(m);
      let top = -1;
      for (let c = 0; c < m; c++) {
        if (taken[c]) continue;
        bounds[c] = bound(c);
        if (top < 0 || bounds[c] > bounds[top]) top = c;
      }
      pick = top;
      value = exact(top);
      const reach = () => value - SLACK * Math.max(1, Math.abs(value));
      const contenders: number[] = [];
      for (let c = 0; c < m; c++) if (!taken[c] && c !== top && bounds[c] >= reach()) contenders.push(c);
      contenders.sort((a, z) => bounds[z] - bounds[a] || a - z);
      for (const c of contenders) {
        if (bounds[c] < reach()) break;
        const v = exact(c);
        if (v > value || (v === value && c < pick)) [pick, value] = [c, v];
      }
    }
    taken[pick] = 1;
    out.push({ row: rows[pick], acquisition: value });
    if (b < size - 1) {
      // The pick's row of the conditioned Cholesky factor: its v (exact as of this pick) and its pivot.
      const e = vec.get(pick) as { v: Float64Array; length: number };
      let d = f.outputscale + f.noise;
      for (let k = 0; k < e.length; k++) d -= e.v[k] * e.v[k];
      // A pick the data already pin down to rounding: its fantasy has at least the noise's variance.
      pivots.push(Math.sqrt(d > 0 ? d : f.noise));
      picks.push(pick);
      best = Math.max(best, mean[pick]);
    }
  }
  return out;
}
