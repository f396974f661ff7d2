/**
 * Thompson sampling on a finite candidate set: draw one joint sample of the
 * latent function from the posterior and take the candidate where it is
 * largest. Falls back to independent marginals when the model has no joint
 * posterior.
 */
import { choleskyJitter } from '../linalg/dense.js';
import type { Rng } from '#random';
import { isJointSurrogate, type Surrogate } from '../surrogates/surrogate.js';

/** One posterior sample at each candidate (length = candidates.length). */
export function posteriorSample(model: Surrogate, candidates: number[][], rng: Rng): Float64Array {
  const m = candidates.length;
  const out = new Float64Array(m);
  if (m === 0) return out;
  if (isJointSurrogate(model)) {
    const { mean, covariance } = model.jointPosterior(candidates);
    const { L } = choleskyJitter(covariance, m, { initial: 1e-10, max: 1 });
    const z = Float64Array.from({ length: m }, () => rng.normal());
    for (let i = 0; i < m; i++) {
      let s = mean[i];
      for (let k = 0; k <= i; k++) s += L[i * m + k] * z[k];
      out[i] = s;
    }
    return out;
  }
  const { mean, variance } = model.posterior(candidates);
  for (let i = 0; i < m; i++) out[i] = mean[i] + Math.sqrt(Math.max(variance[i], 0)) * rng.normal();
  return out;
}

/** Indices of `q` Thompson picks (distinct; one independent sample each). */
export function thompsonSelect(model: Surrogate, candidates: number[][], q: number, rng: Rng): number[] {
  const chosen: number[] = [];
  const taken = new Set<number>();
  for (let b = 0; b < q && taken.size < candidates.length; b++) {
    const s = posteriorSample(model, candidates, rng);
    let best = -1;
    for (let i = 0; i < s.length; i++) if (!taken.has(i) && (best < 0 || s[i] > s[best])) best = i;
    taken.add(best);
    chosen.push(best);
  }
  return chosen;
}
