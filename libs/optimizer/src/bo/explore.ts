/**
 * ε-greedy exploration step (De Ath et al. 2021, "Greed is good: exploration
 * and exploitation trade-offs in Bayesian optimisation"): a point drawn
 * uniformly from the Pareto set of (posterior mean, posterior sd) among
 * Sobol candidates: no candidate there has both a higher mean and a higher sd.
 * Only candidates that satisfy the space's constraints are considered.
 */
import { sobolPoints } from '../design/sobol.js';
import type { Rng } from '#random';
import type { Surrogate } from '../surrogates/surrogate.js';
import type { Encoder } from './encoding.js';

export function paretoExploration(
  model: Surrogate,
  enc: Encoder,
  rng: Rng,
  excluded: (x: number[]) => boolean,
  samples = 1024,
): number[] | undefined {
  const X = sobolPoints(enc.space.dimension, samples, rng.nextUint32())
    .map((u) => enc.fromUnit(u))
    .filter((x) => !excluded(x) && enc.feasible(x));
  if (X.length === 0) return undefined;
  const { mean, variance } = model.posterior(X);
  // Sort by mean descending; a point is on the front when its sd beats every point with a higher mean.
  const order = Array.from(X.keys()).sort((a, b) => mean[b] - mean[a] || variance[b] - variance[a]);
  const front: number[] = [];
  let bestVar = -Infinity;
  for (const i of order) {
    if (variance[i] > bestVar) {
      front.push(i);
      bestVar = variance[i];
    }
  }
  return X[front[rng.int(front.length)]];
}
