/**
 * Stall escape for mixed spaces: a one-hot categorical choice with few
 * observations is modelled as nearly independent of the others, so its
 * posterior reverts to the (log-warped, hence pessimistic) mean of the data and
 * plain EI keeps refining the incumbent's choice forever. Once the best has not
 * improved significantly for `stallAfter` model-chosen evaluations, every
 * other sequential ask (the last point of a batch) is restricted to the
 * least-tried other combination of categorical choices. That ask searches the
 * combination as a problem of its own: its EI is measured against the best
 * outcome seen in that combination, not the overall best. Against the overall
 * best, EI in a little-known combination is all variance and probes its far
 * corners; against its own best it finds and refines the combination's best
 * region, which is what decides whether it can beat the incumbent. What it did
 * on branin_mixed, with and without, is in bench/results/README.md.
 */
import type { Acquisition } from '../acquisition/analytic.js';
import type { Encoder } from './encoding.js';

/**
 * Number of trailing observations (in the order given) since the last
 * significant improvement of the best maximisation outcome: one larger than
 * `fraction` of the gap between the best and the median outcome.
 */
export function stalledFor(y: readonly number[], fraction: number): number {
  if (y.length === 0) return 0;
  const sorted = [...y].sort((a, b) => a - b);
  const gap = sorted[sorted.length - 1] - sorted[Math.floor(sorted.length / 2)];
  const threshold = fraction * gap;
  let best = y[0];
  let last = 0;
  for (let i = 1; i < y.length; i++) {
    if (y[i] > best + threshold) last = i;
    best = Math.max(best, y[i]);
  }
  return y.length - 1 - last;
}

/** Categorical combinations above which the escape does not pick one. */
const ESCAPE_COMBINATIONS = 16;

/** Every categorical parameter as (number of choices, the choice x holds): one-hot blocks, then descriptor-encoded ones. */
function choiceSlots(enc: Encoder): { size: number; choice: (x: readonly number[]) => number }[] {
  return [
    ...enc.categoricals.map((b) => ({
      size: b.size,
      choice: (x: readonly number[]) => {
        let j = 0;
        for (let c = 1; c < b.size; c++) if (x[b.offset + c] > x[b.offset + j]) j = c;
        return j;
      },
    })),
    ...enc.descriptorCategoricals.map((b) => ({ size: b.vectors.length, choice: (x: readonly number[]) => enc.choiceOf(x, b) })),
  ];
}

export function combinationOf(enc: Encoder, x: readonly number[]): string {
  return choiceSlots(enc)
    .map((slot) => slot.choice(x))
    .join(',');
}

/** The categorical combination, other than the incumbent's, with the fewest observed or pending points. */
export function leastTriedCombination(enc: Encoder, tried: readonly number[][], incumbent: readonly number[]): string | undefined {
  const slots = choiceSlots(enc);
  const total = slots.reduce((a, slot) => a * slot.size, 1);
  if (slots.length === 0 || total < 2 || total > ESCAPE_COMBINATIONS) return undefined;
  const counts = new Map<string, number>();
  for (const x of tried) {
    const key = combinationOf(enc, x);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const own = combinationOf(enc, incumbent);
  let best: { key: string; count: number } | undefined;
  for (let i = 0; i < total; i++) {
    const parts: number[] = [];
    let rest = i;
    for (const slot of slots) {
      parts.push(rest % slot.size);
      rest = Math.floor(rest / slot.size);
    }
    const key = parts.join(',');
    const count = counts.get(key) ?? 0;
    if (key !== own && (!best || count < best.count)) best = { key, count };
  }
  return best?.key;
}

/** The acquisition restricted to one categorical combination (-∞ elsewhere). */
export function withinCombination(acq: Acquisition, enc: Encoder, key: string): Acquisition {
  return {
    name: `${acq.name}|${key}`,
    evaluate(X: number[][]): Float64Array {
      const out = acq.evaluate(X);
      X.forEach((x, i) => {
        if (combinationOf(enc, x) !== key) out[i] = -Infinity;
      });
      return out;
    },
  };
}
