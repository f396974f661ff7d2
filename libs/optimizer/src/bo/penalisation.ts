/**
 * Local penalisation for batches (González et al. 2016, "Batch Bayesian
 * Optimization via Local Penalization"): after choosing x_j, the acquisition
 * is multiplied by φ_j(x) = P(‖x - x_j‖ > r_j), the probability that x lies
 * outside the ball around x_j that cannot hold the maximum, with radius
 * r_j = (M - f(x_j)) / L for f(x_j) ~ N(μ_j, σ_j²), M the best value and L a
 * Lipschitz constant of the posterior mean. In log space:
 * log φ_j(x) = log Φ((L ‖x - x_j‖ - M + μ_j) / σ_j).
 */
import type { Acquisition } from '../acquisition/analytic.js';
import { logNormalCdf } from '../stats/normal.js';
import { sobolPoints } from '../design/sobol.js';
import type { Surrogate } from '../surrogates/surrogate.js';
import type { Encoder } from './encoding.js';

/** Largest norm of the posterior mean's gradient (finite differences) over Sobol points and the data. */
export function lipschitzEstimate(model: Surrogate, enc: Encoder, data: readonly number[][], seed: number, samples = 256): number {
  const points = [...sobolPoints(enc.space.dimension, samples, seed).map((u) => enc.fromUnit(u)), ...data.map((x) => [...x])];
  const h = 1e-5;
  const batch: number[][] = [];
  for (const x of points) {
    batch.push(x);
    for (const k of enc.continuous) {
      const p = [...x];
      p[k] += h;
      batch.push(p);
    }
  }
  const mean = model.posterior(batch).mean;
  const stride = enc.continuous.length + 1;
  let L = 0;
  for (let i = 0; i < points.length; i++) {
    let g2 = 0;
    for (let k = 1; k < stride; k++) g2 += ((mean[i * stride + k] - mean[i * stride]) / h) ** 2;
    L = Math.max(L, Math.sqrt(g2));
  }
  return L > 1e-7 ? L : 10;
}

export interface PenaltyCentre {
  x: number[];
  mean: number;
  sd: number;
}

/** base(x) + Σ_j log φ_j(x): a log-scale acquisition penalised around chosen points. */
export function locallyPenalised(base: Acquisition, centres: readonly PenaltyCentre[], L: number, best: number): Acquisition {
  return {
    name: `${base.name}+localPenalty`,
    evaluate(X: number[][]): Float64Array {
      const out = base.evaluate(X);
      for (const c of centres) {
        const sd = Math.max(c.sd, 1e-9);
        for (let i = 0; i < X.length; i++) {
          let d2 = 0;
          for (let k = 0; k < c.x.length; k++) d2 += (X[i][k] - c.x[k]) ** 2;
          out[i] += logNormalCdf((L * Math.sqrt(d2) - best + c.mean) / sd);
        }
      }
      return out;
    },
  };
}
