/**
 * The candidates of a search by scoring (for surrogates without a useful
 * gradient: trees, a neural ensemble): scrambled Sobol points over the space,
 * plus perturbations of chosen centres (the best observations, or a front's
 * points), categoricals moved to exact choices; and the local penalty that
 * keeps the picks of one batch and the pending points apart (González et
 * al., AISTATS 2016).
 */
import { sobolPoints } from '../design/sobol.js';
import type { Rng } from '#random';
import { type Encoder, writeChoice } from './encoding.js';

/**
 * Smallest P(feasible) the acquisition is weighted by (a forest gives exactly
 * 0 where every leaf holds failures only; the floor keeps such candidates
 * ordered instead of all -∞). Low enough that an objective model's large
 * uncertainty where nothing has succeeded (a neural network extrapolating
 * into a failed region) does not outweigh it.
 */
export const FEASIBILITY_FLOOR = 1e-4;

export interface CandidateSetOptions {
  /** Sobol points. */
  rawSamples: number;
  /** Perturbations per centre. */
  perturbations: number;
}

/** Sobol points, then `perturbations` Gaussian perturbations (sd 0.02 to 0.2 of the unit range) of each centre, snapped to the space. */
export function candidateSet(enc: Encoder, centres: readonly number[][], options: CandidateSetOptions, rng: Rng, seed: number): number[][] {
  const out = sobolPoints(enc.space.dimension, options.rawSamples, seed).map((u) => enc.fromUnit(u));
  for (const centre of centres) {
    for (let k = 0; k < options.perturbations; k++) {
      const x = centre.slice();
      const scale = 0.02 + 0.18 * rng.next();
      for (const j of enc.continuous) x[j] += scale * rng.normal();
      for (const g of enc.integers) x[g.index] += (scale * rng.normal() * g.levels) / Math.max(1, g.levels - 1);
      for (const b of enc.categoricals) {
        if (rng.next() < 0.2) {
          for (let c = 0; c < b.size; c++) x[b.offset + c] = 0;
          x[b.offset + rng.int(b.size)] = 1;
        }
      }
      // A categorical encoded by its descriptors: another choice's exact vector.
      for (const b of enc.descriptorCategoricals) if (rng.next() < 0.2) writeChoice(b, rng.int(b.vectors.length), x);
      out.push(enc.snap(x));
    }
  }
  return out;
}

/** Adds log(1 − exp(−d²/r2)) to each candidate's score, d its distance to `centre` (r2 = 2 r², r the penalty's radius). */
export function penalise(score: Float64Array, candidates: readonly number[][], enc: Encoder, centre: number[], r2: number): void {
  for (let i = 0; i < candidates.length; i++) {
    const d = enc.distance(candidates[i], centre);
    score[i] += Math.log(Math.max(1e-12, 1 - Math.exp((-d * d) / r2)));
  }
}

/** The RMS distance per parameter from x to the nearest of `X` (Infinity when there is none). */
export function nearestDistance(enc: Encoder, x: number[], X: readonly number[][]): number {
  let nearest = Infinity;
  for (const o of X) nearest = Math.min(nearest, enc.distance(x, o));
  return nearest;
}
