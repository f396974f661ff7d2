/**
 * ParEGO's scalarisation (Knowles 2006): each proposal draws weights uniformly
 * from the simplex and models the augmented Chebyshev scalarisation
 * s(y) = min_i w_i ŷ_i + ρ Σ_i w_i ŷ_i of the outcomes ŷ normalised between
 * the reference point (0, also for anything worse) and the best seen (1), then proposes
 * by single-objective log EI. Cheap for many objectives and large batches:
 * one GP per proposal, no hypervolume. (Normalised over the observed range
 * instead, as in the original, a front seen only in part makes every point
 * beyond it look worse than the best seen: its gain in one objective
 * counts in units of the small range observed, its loss in the other too.)
 */
import type { Rng } from '#random';

/** Weights uniform on the simplex (normalised exponentials). */
export function simplexWeights(m: number, rng: Rng): number[] {
  const e = Array.from({ length: m }, () => -Math.log(Math.max(rng.next(), 1e-300)));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

/**
 * The augmented Chebyshev scalarisation of one outcome vector y
 * (maximisation), each objective normalised from lo[i] to hi[i]; worse than
 * lo (the reference point) counts as lo, as in the hypervolume: a long tail
 * of bad values would otherwise set the scalarised model's scale.
 */
export function chebyshev(
  y: ArrayLike<number>,
  weights: readonly number[],
  rho: number,
  lo: readonly number[],
  hi: readonly number[],
): number {
  let min = Infinity;
  let sum = 0;
  for (let i = 0; i < weights.length; i++) {
    const v = Math.max(hi[i] > lo[i] ? (y[i] - lo[i]) / (hi[i] - lo[i]) : 0.5, 0);
    min = Math.min(min, weights[i] * v);
    sum += weights[i] * v;
  }
  return min + rho * sum;
}

/** The bounds chebyshevScalarise normalises between: the reference point (the worst of Y where not given) and the best of Y. */
export function chebyshevBounds(Y: readonly (readonly number[])[], m: number, lower?: readonly number[]): { lo: number[]; hi: number[] } {
  const lo = Array.from({ length: m }, (_, i) => lower?.[i] ?? Math.min(...Y.map((y) => y[i])));
  const hi = Array.from({ length: m }, (_, i) => Math.max(...Y.map((y) => y[i])));
  return { lo, hi };
}

/**
 * The augmented Chebyshev scalarisation of maximisation outcomes Y (rows),
 * each objective normalised from `lo` (the reference point; the worst of Y
 * where not given) to the best of Y.
 */
export function chebyshevScalarise(
  Y: readonly (readonly number[])[],
  weights: readonly number[],
  rho: number,
  lower?: readonly number[],
): number[] {
  const { lo, hi } = chebyshevBounds(Y, weights.length, lower);
  return Y.map((y) => chebyshev(y, weights, rho, lo, hi));
}
