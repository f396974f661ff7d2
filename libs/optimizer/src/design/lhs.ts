import type { Rng } from '#random';
import { requireInteger } from './errors.js';

/**
 * Latin hypercube designs in [0,1)^dim (McKay, Beckman and Conover, 1979):
 * in every dimension the n points fall one in each of the n equal bins
 * [k/n, (k+1)/n), at a uniform position inside the bin.
 */
export function latinHypercube(dim: number, n: number, rng: Rng): number[][] {
  requireInteger('Latin hypercube dimension', dim, 1);
  requireInteger('Latin hypercube size', n, 0);
  const points = Array.from({ length: n }, () => new Array<number>(dim));
  for (let k = 0; k < dim; k++) {
    const bins = rng.shuffle(Array.from({ length: n }, (_, i) => i));
    for (let i = 0; i < n; i++) {
      const lo = bins[i] / n;
      const hi = (bins[i] + 1) / n;
      const x = lo + rng.next() * (hi - lo);
      // Rounding may land on the upper edge, which belongs to the next bin.
      points[i][k] = x < hi ? x : lo;
    }
  }
  return points;
}

/**
 * Above this many points the swap search (which keeps an n x n distance
 * matrix) is skipped and a plain Latin hypercube is returned.
 */
export const MAXIMIN_MAX_POINTS = 2048;

export interface MaximinOptions {
  /** Swap attempts in all, shared among the restarts (default 1000). */
  iterations?: number;
  /** Independent random starts; the best design is kept (default 4). */
  restarts?: number;
}

/**
 * A Latin hypercube whose smallest pairwise (Euclidean) distance has been
 * increased, as in Morris and Mitchell (1995): starting from random Latin
 * hypercubes, one coordinate of a point of the closest pair is swapped with
 * the same coordinate of another point (which keeps the design Latin), and the
 * swap is kept when both moved points end up farther than the current minimum
 * distance from every other point. The best of `restarts` starts is returned.
 *
 * With the same rng state, the first start is the design latinHypercube()
 * returns, so the result is never worse than it. Cost: O(n^2 dim) time and
 * O(n^2) memory per start, plus O(n dim) per swap attempt; for more than
 * MAXIMIN_MAX_POINTS points that first start is returned as it is.
 */
export function maximinLatinHypercube(dim: number, n: number, rng: Rng, options: MaximinOptions = {}): number[][] {
  const iterations = options.iterations ?? 1000;
  const restarts = options.restarts ?? 4;
  requireInteger('maximin iterations', iterations, 0);
  requireInteger('maximin restarts', restarts, 1);
  if (n > MAXIMIN_MAX_POINTS) return latinHypercube(dim, n, rng);
  let best: number[][] | undefined;
  let bestDistance = -Infinity;
  for (let r = 0; r < restarts; r++) {
    const points = latinHypercube(dim, n, rng);
    const share = Math.floor(iterations / restarts) + (r < iterations % restarts ? 1 : 0);
    const distance = improveMaximin(points, rng, share);
    if (best === undefined || distance > bestDistance) {
      best = points;
      bestDistance = distance;
    }
  }
  return best as number[][];
}

/** Greedy critical-pair swaps in place; returns the final squared minimum distance. */
function improveMaximin(points: number[][], rng: Rng, iterations: number): number {
  const n = points.length;
  if (n < 2) return Infinity;
  const dim = points[0].length;
  const d = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) d[i * n + j] = d[j * n + i] = squaredDistance(points[i], points[j]);
  }
  let { min, a, b } = closestPair(d, n);
  // With fewer than three points or one dimension, a swap only relabels points.
  if (n < 3 || dim < 2) return min;
  const rowI = new Float64Array(n);
  const rowR = new Float64Array(n);
  for (let it = 0; it < iterations; it++) {
    const i = rng.next() < 0.5 ? a : b;
    const k = rng.int(dim);
    // A partner outside the closest pair, uniformly.
    let r = rng.int(n - 2);
    if (r >= a) r++; // a < b: closestPair returns the pair in order
    if (r >= b) r++;
    swap(points, i, r, k);
    let moved = Infinity;
    for (let j = 0; j < n; j++) {
      rowI[j] = j === i ? 0 : squaredDistance(points[i], points[j]);
      rowR[j] = j === r ? 0 : squaredDistance(points[r], points[j]);
      if (j !== i && rowI[j] < moved) moved = rowI[j];
      if (j !== r && rowR[j] < moved) moved = rowR[j];
    }
    if (moved > min) {
      for (let j = 0; j < n; j++) {
        d[i * n + j] = d[j * n + i] = rowI[j];
        d[r * n + j] = d[j * n + r] = rowR[j];
      }
      ({ min, a, b } = closestPair(d, n));
    } else {
      swap(points, i, r, k);
    }
  }
  return min;
}

function closestPair(d: Float64Array, n: number): { min: number; a: number; b: number } {
  let min = Infinity;
  let a = 0;
  let b = 1;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      if (d[i * n + j] < min) {
        min = d[i * n + j];
        a = i;
        b = j;
      }
    }
  }
  return { min, a, b };
}

function swap(points: number[][], i: number, r: number, k: number): void {
  const t = points[i][k];
  points[i][k] = points[r][k];
  points[r][k] = t;
}

function squaredDistance(x: readonly number[], y: readonly number[]): number {
  let s = 0;
  for (let k = 0; k < x.length; k++) {
    const t = x[k] - y[k];
    s += t * t;
  }
  return s;
}
