/**
 * How the suite finds an optimum where no closed form gives it: the best of
 * many seeded uniform points of the unit cube, then a compass search (a
 * pattern search: try ± step along each coordinate, keep any improvement,
 * halve the step when none) from the best few, to a step of 1e-7. Written
 * here rather than taken from a library: it is twenty lines, needs no
 * gradient, and accepts an infinite value for a failing point.
 */
import type { Random } from '../asktell/random.js';

/** Compass search from `start` (minimising `f`), kept within [low, high] per coordinate. */
export function compassSearch(
  f: (u: number[]) => number,
  start: readonly number[],
  options: { step?: number; minStep?: number; low?: number; high?: number; maxEvaluations?: number } = {},
): { x: number[]; value: number } {
  const { step: first = 0.05, minStep = 1e-7, low = 0, high = 1, maxEvaluations = 200_000 } = options;
  const x = [...start];
  let value = f(x);
  let evaluations = 1;
  for (let step = first; step >= minStep && evaluations < maxEvaluations;) {
    let moved = false;
    for (let j = 0; j < x.length; j++) {
      for (const sign of [1, -1]) {
        const old = x[j];
        x[j] = Math.min(high, Math.max(low, old + sign * step));
        if (x[j] === old) continue;
        const v = f(x);
        evaluations++;
        if (v < value) {
          value = v;
          moved = true;
          break;
        }
        x[j] = old;
      }
    }
    if (!moved) step /= 2;
  }
  return { x, value };
}

/**
 * Estimated minimum of `f` over [0, 1]^d: `samples` uniform points, then a
 * compass search from the `starts` best (and from any `extraStarts`).
 */
export function estimateMinimum(
  f: (u: number[]) => number,
  d: number,
  random: Random,
  options: { samples?: number; starts?: number; extraStarts?: number[][] } = {},
): { x: number[]; value: number } {
  const { samples = 20_000, starts = 10, extraStarts = [] } = options;
  const best: { x: number[]; value: number }[] = [];
  for (let i = 0; i < samples; i++) {
    const x = Array.from({ length: d }, () => random());
    const value = f(x);
    if (!Number.isFinite(value)) continue;
    if (best.length < starts || value < best[best.length - 1].value) {
      best.push({ x, value });
      best.sort((a, b) => a.value - b.value);
      if (best.length > starts) best.pop();
    }
  }
  let result = { x: best[0]?.x ?? new Array<number>(d).fill(0.5), value: best[0]?.value ?? Infinity };
  for (const s of [...best.map((b) => b.x), ...extraStarts]) {
    const local = compassSearch(f, s, { step: 0.05 });
    if (local.value < result.value) result = local;
  }
  return result;
}
