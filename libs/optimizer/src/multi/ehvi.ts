/**
 * Expected hypervolume improvement by Monte Carlo (the qNEHVI recipe of
 * BoTorch, sequential greedy): each objective has its own GP; the points
 * still pending (running experiments and the earlier picks of the batch) are
 * sampled jointly with the candidate, and each sample's pending values join
 * the front before the candidate's improvement is measured, so a candidate
 * that only repeats what a pending point will likely bring gains little. The
 * base samples are fixed quasi-random normals (scrambled Sobol through
 * Box–Muller), so the acquisition is a deterministic, piecewise-smooth
 * function of the candidate for a given seed. The observed front enters as
 * the posterior means at the observed points (a plug-in for the noisy
 * baseline that qNEHVI integrates over).
 */
import type { Acquisition } from '../acquisition/analytic.js';
import { sobolPoints } from '../design/sobol.js';
import { choleskyJitter, solveLower } from '../linalg/dense.js';
import type { GaussianProcess } from '../surrogates/gp.js';
import { PreparedFront } from './hypervolume.js';

export interface EhviInput {
  /** One GP per objective, each fitted to maximisation outcomes. */
  models: readonly GaussianProcess[];
  /** The current front (maximisation), e.g. posterior means at the observed, limit-meeting points. */
  front: readonly (readonly number[])[];
  ref: readonly number[];
  /** Encoded points whose outcomes are unknown but coming (pending experiments, earlier picks). */
  pending: number[][];
  /** Whether each pending point is expected to count (meet the limits); those that are not stay out of the front. */
  pendingCounts?: readonly boolean[];
  samples: number;
  seed: number;
  /** A factor in [0, 1] per point: the probability that it meets every limit and does not fail. */
  weight?: (X: number[][]) => Float64Array;
}

/** Fixed standard normal base samples: rows = samples, columns = dim (Sobol pairs through Box–Muller). */
export function quasiNormals(samples: number, dim: number, seed: number): Float64Array[] {
  const pairs = Math.ceil(dim / 2);
  const u = sobolPoints(2 * pairs, samples, seed);
  return u.map((row) => {
    const z = new Float64Array(dim);
    for (let k = 0; k < pairs; k++) {
      const r = Math.sqrt(-2 * Math.log(Math.max(row[2 * k], 1e-300)));
      const t = 2 * Math.PI * row[2 * k + 1];
      z[2 * k] = r * Math.cos(t);
      if (2 * k + 1 < dim) z[2 * k + 1] = r * Math.sin(t);
    }
    return z;
  });
}

/** log of the MC expected hypervolume improvement times the weight (floored at log 1e-300 where it is zero). */
export function monteCarloEhvi(input: EhviInput): Acquisition {
  const { models, ref, pending, samples } = input;
  const M = models.length;
  const p = pending.length;
  // Layout of a base sample: per objective, p values for the pending points then one for the candidate.
  const z = quasiNormals(samples, M * (p + 1), input.seed);
  const chol: Float64Array[] = [];
  const pendingSamples: number[][][] = Array.from({ length: samples }, () => Array.from({ length: p }, () => new Array<number>(M)));
  for (let i = 0; i < M; i++) {
    if (p === 0) {
      chol.push(new Float64Array(0));
      continue;
    }
    const { mean, covariance } = models[i].jointPosterior(pending);
    const { L } = choleskyJitter(covariance, p, { initial: 1e-10, max: 1e-1 });
    chol.push(L);
    for (let s = 0; s < samples; s++) {
      for (let a = 0; a < p; a++) {
        let v = mean[a];
        for (let b = 0; b <= a; b++) v += L[a * p + b] * z[s][i * (p + 1) + b];
        pendingSamples[s][a][i] = v;
      }
    }
  }
  const counts = input.pendingCounts ?? pending.map(() => true);
  const fronts = pendingSamples.map((ps) => new PreparedFront([...input.front, ...ps.filter((_, a) => counts[a])], ref));

  return {
    name: `EHVI(${samples} QMC samples)`,
    evaluate(X: number[][]): Float64Array {
      const m = X.length;
      const out = new Float64Array(m);
      if (m === 0) return out;
      const posts = models.map((g) => g.posteriorWith(X, pending));
      const weight = input.weight ? input.weight(X) : undefined;
      const y = new Float64Array(M);
      const w = new Float64Array(p);
      const coef: Float64Array[] = models.map(() => new Float64Array(p));
      const resid = new Float64Array(M);
      for (let a = 0; a < m; a++) {
        for (let i = 0; i < M; i++) {
          const post = posts[i];
          let explained = 0;
          if (p > 0) {
            solveLower(chol[i], p, post.cross.subarray(a * p, (a + 1) * p), w);
            coef[i].set(w);
            for (let b = 0; b < p; b++) explained += w[b] * w[b];
          }
          resid[i] = Math.sqrt(Math.max(post.variance[a] - explained, 0));
        }
        let total = 0;
        for (let s = 0; s < samples; s++) {
          const zs = z[s];
          for (let i = 0; i < M; i++) {
            const off = i * (p + 1);
            let v = posts[i].mean[a] + resid[i] * zs[off + p];
            for (let b = 0; b < p; b++) v += coef[i][b] * zs[off + b];
            y[i] = v;
          }
          total += fronts[s].improvement(y);
        }
        const ehvi = (total / samples) * (weight ? weight[a] : 1);
        out[a] = Math.log(Math.max(ehvi, 1e-300));
      }
      return out;
    },
  };
}
