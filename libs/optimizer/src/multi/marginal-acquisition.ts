/**
 * Acquisitions of several objectives from per-point posteriors: each
 * outcome's model gives a mean and a variance at a point and nothing joint
 * (extremely randomised trees, a neural ensemble), so the objectives are
 * sampled as independent normal marginals, from fixed quasi-random base
 * samples (quasiNormals, as the GP's EHVI) so that candidates are ranked on
 * the same draws. Points still pending enter as believed values (their
 * predicted means join the front, or the scalarised incumbent): per-point
 * models cannot condition on them, and the caller keeps the picks apart.
 */
import { chebyshev } from './parego.js';
import type { PreparedFront } from './hypervolume.js';

/** Each objective's posterior mean and sd at every candidate (maximisation outcomes). */
export interface Marginals {
  mean: readonly Float64Array[];
  sd: readonly Float64Array[];
}

const LOG_FLOOR = Math.log(1e-300);

/** log of the Monte Carlo expected hypervolume improvement over `front` at each candidate (floored at log 1e-300). */
export function marginalEhvi(marginals: Marginals, front: PreparedFront, z: readonly Float64Array[]): Float64Array {
  const { mean, sd } = marginals;
  const M = mean.length;
  const count = mean[0]?.length ?? 0;
  const out = new Float64Array(count);
  const y = new Float64Array(M);
  const pts = front.points;
  for (let a = 0; a < count; a++) {
    let total = 0;
    for (const zs of z) {
      for (let i = 0; i < M; i++) y[i] = mean[i][a] + sd[i][a] * zs[i];
      // A sample that a front point dominates adds nothing: skip the volume (costly beyond two objectives).
      if (M > 2 && pts.some((f) => f.every((v, i) => v >= y[i]))) continue;
      total += front.improvement(y);
    }
    out[a] = total > 0 ? Math.max(Math.log(total / z.length), LOG_FLOOR) : LOG_FLOOR;
  }
  return out;
}

/** An augmented Chebyshev scalarisation (parego.ts) with its weights and normalisation fixed. */
export interface Scalarisation {
  weights: readonly number[];
  rho: number;
  lo: readonly number[];
  hi: readonly number[];
}

/**
 * log of the Monte Carlo expected improvement of the scalarised outcomes over
 * `best` at each candidate (qParEGO's acquisition: the scalarisation of the
 * sampled outcomes, not a model of the scalarised values), floored at log 1e-300.
 */
export function marginalParego(marginals: Marginals, s: Scalarisation, best: number, z: readonly Float64Array[]): Float64Array {
  const { mean, sd } = marginals;
  const M = mean.length;
  const count = mean[0]?.length ?? 0;
  const out = new Float64Array(count);
  const y = new Float64Array(M);
  for (let a = 0; a < count; a++) {
    let total = 0;
    for (const zs of z) {
      for (let i = 0; i < M; i++) y[i] = mean[i][a] + sd[i][a] * zs[i];
      total += Math.max(chebyshev(y, s.weights, s.rho, s.lo, s.hi) - best, 0);
    }
    out[a] = total > 0 ? Math.max(Math.log(total / z.length), LOG_FLOOR) : LOG_FLOOR;
  }
  return out;
}
