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
import { Rng } from '#random';
import { logNormalCdf } from '../stats/normal.js';
import { sobolPoints } from '../design/sobol.js';
import { choleskyJitter, solveLower } from '../linalg/dense.js';
import type { GaussianProcess } from '../surrogates/gp.js';
import { nonDominatedIndices, PreparedFront } from './hypervolume.js';

/** An outcome with a limit, modelled by its own GP (the outcome in its original units and sign). */
export interface SampledLimit {
  model: GaussianProcess;
  op: '<=' | '>=';
  value: number;
}

export interface EhviInput {
  /** One GP per objective, each fitted to maximisation outcomes. */
  models: readonly GaussianProcess[];
  /** The current front (maximisation), e.g. posterior means at the observed, limit-meeting points. */
  front: readonly (readonly number[])[];
  ref: readonly number[];
  /** Encoded points whose outcomes are unknown but coming (pending experiments, earlier picks). */
  pending: number[][];
  /**
   * The outcome limits: their outcomes are sampled jointly with the objectives' (same base samples), a pending
   * point joins a sample's front only where its sampled outcomes meet every limit, and the candidate's
   * improvement in a sample counts with the probability that it meets them given the pending points' samples.
   */
  limits?: readonly SampledLimit[];
  /** The probability that each pending point does not fail: it joins a sample's front with this probability. */
  pendingSuccess?: readonly number[];
  samples: number;
  seed: number;
  /** log of a factor in [0, 1] per candidate, multiplying its improvement: the probability that it does not fail. */
  logWeight?: (X: number[][]) => Float64Array;
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

/** Joint samples at the pending points: per base sample, per pending point, one value per model. */
function samplePending(
  models: readonly GaussianProcess[],
  pending: number[][],
  z: Float64Array[],
  offset: (i: number) => number,
): { chol: Float64Array[]; values: number[][][] } {
  const p = pending.length;
  const chol: Float64Array[] = [];
  const values: number[][][] = z.map(() => Array.from({ length: p }, () => new Array<number>(models.length)));
  models.forEach((model, i) => {
    if (p === 0) {
      chol.push(new Float64Array(0));
      return;
    }
    const { mean, covariance } = model.jointPosterior(pending);
    const { L } = choleskyJitter(covariance, p, { initial: 1e-10, max: 1e-1 });
    chol.push(L);
    for (let s = 0; s < z.length; s++) {
      for (let a = 0; a < p; a++) {
        let v = mean[a];
        for (let b = 0; b <= a; b++) v += L[a * p + b] * z[s][offset(i) + b];
        values[s][a][i] = v;
      }
    }
  });
  return { chol, values };
}

const LOG_FLOOR = Math.log(1e-300);

/**
 * log of the MC expected hypervolume improvement (floored at log 1e-300 where it is zero), under limits the
 * improvement of each sample times the probability that the candidate meets the limits in that sample, and times
 * the weight where one is given.
 */
export function monteCarloEhvi(input: EhviInput): Acquisition {
  const { models, ref, pending, samples } = input;
  const limits = input.limits ?? [];
  const M = models.length;
  const K = limits.length;
  const p = pending.length;
  // Layout of a base sample: per objective, p values for the pending points then one for the candidate; then per
  // limited outcome p values for the pending points (the candidate's limits are integrated in closed form).
  const z = quasiNormals(samples, M * (p + 1) + K * p, input.seed);
  const objectives = samplePending(models, pending, z, (i) => i * (p + 1));
  const limited = samplePending(
    limits.map((l) => l.model),
    pending,
    z,
    (k) => M * (p + 1) + k * p,
  );
  const chol = objectives.chol;
  const meets = (v: number, l: SampledLimit) => (l.op === '<=' ? v <= l.value : v >= l.value);
  // Failures are independent of the outcomes: a pending point joins a sample's front with its probability of success.
  const success = input.pendingSuccess;
  const uniforms = success ? new Rng(input.seed ^ 0x68e31da4) : undefined;
  const fronts = objectives.values.map((ps, s) => {
    const counted = ps.filter((_, a) => {
      const u = uniforms ? uniforms.next() : 0;
      if (success && u >= success[a]) return false;
      return limits.every((l, k) => meets(limited.values[s][a][k], l));
    });
    return new PreparedFront([...input.front, ...counted], ref);
  });

  return {
    name: `EHVI(${samples} QMC samples)`,
    evaluate(X: number[][]): Float64Array {
      const m = X.length;
      const out = new Float64Array(m);
      if (m === 0) return out;
      const posts = models.map((g) => g.posteriorWith(X, pending));
      const limitPosts = limits.map((l) => l.model.posteriorWith(X, pending));
      const logWeight = input.logWeight ? input.logWeight(X) : undefined;
      const y = new Float64Array(M);
      const w = new Float64Array(p);
      const coef: Float64Array[] = models.map(() => new Float64Array(p));
      const resid = new Float64Array(M);
      const limitCoef: Float64Array[] = limits.map(() => new Float64Array(p));
      const limitSd = new Float64Array(K);
      const improvement = new Float64Array(samples);
      const logMeet = new Float64Array(samples);
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
        for (let k = 0; k < K; k++) {
          const post = limitPosts[k];
          let explained = 0;
          if (p > 0) {
            solveLower(limited.chol[k], p, post.cross.subarray(a * p, (a + 1) * p), w);
            limitCoef[k].set(w);
            for (let b = 0; b < p; b++) explained += w[b] * w[b];
          }
          limitSd[k] = Math.sqrt(Math.max(post.variance[a] - explained, 1e-18));
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
          const imp = fronts[s].improvement(y);
          total += imp;
          improvement[s] = imp;
          if (K === 0 || p === 0 || imp <= 0) continue;
          // The candidate's limited outcomes given this sample's values at the pending points: normal, so the
          // probability of meeting each limit is closed-form (and a candidate on a pending point shares its fate).
          let lm = 0;
          for (let k = 0; k < K; k++) {
            const off = M * (p + 1) + k * p;
            let mu = limitPosts[k].mean[a];
            for (let b = 0; b < p; b++) mu += limitCoef[k][b] * zs[off + b];
            const t = (limits[k].value - mu) / limitSd[k];
            lm += logNormalCdf(limits[k].op === '<=' ? t : -t);
          }
          logMeet[s] = lm;
        }
        if (K === 0 && !logWeight) {
          out[a] = Math.log(Math.max(total / samples, 1e-300));
          continue;
        }
        let logEhvi: number;
        if (K === 0 || p === 0) {
          // Without pending points the candidate's probability of meeting the limits is the same in every sample.
          logEhvi = total > 0 ? Math.log(total / samples) : -Infinity;
          for (let k = 0; k < K; k++) {
            const t = (limits[k].value - limitPosts[k].mean[a]) / limitSd[k];
            logEhvi += logNormalCdf(limits[k].op === '<=' ? t : -t);
          }
        } else {
          // log of the mean of improvement x P(meets | sample), scaled by its largest term (no underflow far outside the limits).
          let top = -Infinity;
          for (let s = 0; s < samples; s++) if (improvement[s] > 0 && logMeet[s] > top) top = logMeet[s];
          let sum = 0;
          if (top > -Infinity) for (let s = 0; s < samples; s++) if (improvement[s] > 0) sum += improvement[s] * Math.exp(logMeet[s] - top);
          logEhvi = sum > 0 ? Math.log(sum / samples) + top : -Infinity;
        }
        out[a] = Math.max(logEhvi + (logWeight ? logWeight[a] : 0), LOG_FLOOR);
      }
      return out;
    },
  };
}

/**
 * The observed points that may lie on the front (qNEHVI's pruned baseline):
 * those on the front of limit-meeting points in at least one of `samples`
 * joint posterior samples of the objectives and limited outcomes at every
 * observed point (one point of each group of identical inputs), the most
 * often on it first, at most `max` of them.
 */
export function baselinePoints(
  models: readonly GaussianProcess[],
  limits: readonly SampledLimit[],
  X: readonly number[][],
  samples: number,
  seed: number,
  max: number,
): number[][] {
  const seen = new Set<string>();
  const points: number[][] = [];
  for (const x of X) {
    const key = x.join(',');
    if (seen.has(key)) continue;
    seen.add(key);
    points.push(x);
  }
  const n = points.length;
  if (n === 0) return [];
  const M = models.length;
  const z = quasiNormals(samples, (M + limits.length) * n, seed);
  const objectives = samplePending(models, points, z, (i) => i * n);
  const limited = samplePending(
    limits.map((l) => l.model),
    points,
    z,
    (k) => (M + k) * n,
  );
  const meets = (v: number, l: SampledLimit) => (l.op === '<=' ? v <= l.value : v >= l.value);
  const count = new Array<number>(n).fill(0);
  for (let s = 0; s < samples; s++) {
    const ok = Array.from(points.keys()).filter((a) => limits.every((l, k) => meets(limited.values[s][a][k], l)));
    for (const j of nonDominatedIndices(ok.map((a) => objectives.values[s][a]))) count[ok[j]]++;
  }
  return Array.from(points.keys())
    .filter((a) => count[a] > 0)
    .sort((a, b) => count[b] - count[a] || a - b)
    .slice(0, max)
    .map((a) => points[a]);
}
