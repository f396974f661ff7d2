/**
 * Hypervolumes and estimated Pareto fronts for the several-objective suite
 * (multi.ts). Everything is minimised here: an objective to maximise enters
 * negated, and so does its reference value.
 */
import type { Random } from '../asktell/random.js';
import { compassSearch } from './search.js';

/** The points no other point dominates (minimising every coordinate); duplicates kept once. */
export function nondominated(points: readonly (readonly number[])[]): number[][] {
  const sorted = [...points].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const front: number[][] = [];
  for (const p of sorted) {
    const dominated = front.some((q) => q.every((v, i) => v <= p[i]));
    if (!dominated) front.push([...p]);
  }
  return front;
}

/**
 * The hypervolume that `points` dominate within `ref` (minimising; a point not
 * strictly better than `ref` in every coordinate adds nothing). Exact: a sweep
 * in two objectives, slices along the last objective above that (the outside
 * driver's method, ../shared/bench/lib.mjs, on the non-dominated points only).
 */
export function hypervolume(points: readonly (readonly number[])[], ref: readonly number[]): number {
  const m = ref.length;
  const inside = points.filter((p) => p.every((v, i) => v < ref[i]));
  if (inside.length === 0) return 0;
  if (m === 1) return ref[0] - Math.min(...inside.map((p) => p[0]));
  const pts = nondominated(inside);
  if (m === 2) {
    pts.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    let hv = 0;
    let yPrev = ref[1];
    for (const [x, y] of pts)
      if (y < yPrev) {
        hv += (ref[0] - x) * (yPrev - y);
        yPrev = y;
      }
    return hv;
  }
  pts.sort((a, b) => a[m - 1] - b[m - 1]);
  let hv = 0;
  for (let i = 0; i < pts.length; i++) {
    const top = i + 1 < pts.length ? pts[i + 1][m - 1] : ref[m - 1];
    const depth = top - pts[i][m - 1];
    if (depth <= 0) continue;
    hv +=
      depth *
      hypervolume(
        pts.slice(0, i + 1).map((p) => p.slice(0, m - 1)),
        ref.slice(0, m - 1),
      );
  }
  return hv;
}

/**
 * An estimated best hypervolume of two objectives over [0, 1]^d (a lower
 * bound of the true one): `samples` uniform points, then for each of
 * `directions` weightings a compass search (to a step of 1e-6) on the
 * augmented Chebyshev scalarisation max_i w_i (y_i - z_i) / s_i + 1e-4 sum_i
 * (y_i - z_i) / s_i (z: the samples' ideal point, s: their spread), started
 * from the sample best for it. `objectives` returns the minimised values, or
 * null where the point does not count (a failure, a broken outcome limit).
 * Returns the hypervolume of every point found and the front.
 */
export function estimateFront(
  objectives: (u: number[]) => number[] | null,
  d: number,
  ref: readonly number[],
  random: Random,
  options: { samples?: number; directions?: number } = {},
): { hypervolume: number; front: number[][] } {
  const { samples = 20_000, directions = 48 } = options;
  const xs: number[][] = [];
  const ys: number[][] = [];
  for (let i = 0; i < samples; i++) {
    const x = Array.from({ length: d }, () => random());
    const y = objectives(x);
    if (y) {
      xs.push(x);
      ys.push(y);
    }
  }
  const m = ref.length;
  if (ys.length === 0) return { hypervolume: 0, front: [] };
  const ideal = Array.from({ length: m }, (_, i) => Math.min(...ys.map((y) => y[i])));
  const spread = ideal.map((z, i) => Math.max(1e-12, ref[i] - z));
  const found = [...ys];
  for (let k = 0; k < directions; k++) {
    const angle = ((k + 0.5) / directions) * (Math.PI / 2);
    const w = [Math.cos(angle), Math.sin(angle)];
    const scal = (y: readonly number[]) => {
      let worst = -Infinity;
      let sum = 0;
      for (let i = 0; i < m; i++) {
        const t = (y[i] - ideal[i]) / spread[i];
        worst = Math.max(worst, w[i % 2] * t);
        sum += t;
      }
      return worst + 1e-4 * sum;
    };
    let start = 0;
    for (let i = 1; i < ys.length; i++) if (scal(ys[i]) < scal(ys[start])) start = i;
    const f = (u: number[]) => {
      const y = objectives(u);
      if (!y) return Infinity;
      found.push(y);
      return scal(y);
    };
    compassSearch(f, xs[start], { step: 0.05, minStep: 1e-6, maxEvaluations: 4000 });
  }
  const front = nondominated(found.filter((y) => y.every((v, i) => v < ref[i])));
  return { hypervolume: hypervolume(front, ref), front };
}
