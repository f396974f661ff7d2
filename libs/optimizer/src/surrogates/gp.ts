/**
 * Exact Gaussian-process regression: Matérn-5/2 ARD kernel, constant mean,
 * outputscale and learned Gaussian noise, on inputs in the unit cube with
 * standardised outcomes. Hyperparameters maximise the log marginal likelihood
 * plus log-priors (L-BFGS-B from several starts, warm-started from the
 * previous fit). Results measured in blocks (plates, days, sources) may say
 * so: each block then has an offset whose variance is learned too (mll.ts),
 * and the posterior is that of the function net of the offsets.
 */
import { choleskyJitter, choleskySolve, solveLower } from '../linalg/dense.js';
import { minimizeLbfgs } from '../linalg/lbfgs.js';
import { Rng } from '#random';
import { crossCovariance, type KernelKind, kernelShape, type KernelShape, scaledDistance } from './kernel.js';
import { BLOCK_PRIOR, defaultPriors, type GpPriors, MllData } from './mll.js';
import type { JointSurrogate, Posterior } from './surrogate.js';

/** Hyperparameters in standardised outcome units. */
export interface GpHyperparameters {
  lengthscales: number[];
  outputscale: number;
  noise: number;
  mean: number;
  /** Variance of the block offsets; absent when the data came without blocks. */
  blockVariance?: number;
}

export interface GpOptions {
  /** Kernel: Matérn-5/2 (default) or squared exponential. */
  kernel?: KernelKind;
  priors?: GpPriors;
  /** Smallest noise variance (standardised units). Default 1e-6. */
  noiseFloor?: number;
  /** Random prior draws screened for extra L-BFGS starts. Default 16 (0 above 100 points). */
  candidates?: number;
  /** Extra L-BFGS starts (besides the default and the warm start). Default 2 (0 above 100 points). */
  restarts?: number;
  /** L-BFGS iterations per start. Default 200 (50 above 100 points). */
  maxIterations?: number;
  /** Start the next fit from the last fit's hyperparameters too. Default true. */
  warmStart?: boolean;
  /** Largest lengthscale (unit-cube units). Default 100. */
  maxLengthscale?: number;
  /** Keep these hyperparameters instead of fitting them. */
  fixed?: GpHyperparameters;
  seed?: number;
}

const MIN_LOG_LS = Math.log(5e-3);
const LOG_OS = [Math.log(1e-2), Math.log(1e2)];
const LOG_NOISE = [Math.log(1e-8), Math.log(4)];
const MEAN = [-5, 5];
const LOG_BLOCK = [Math.log(1e-6), Math.log(10)];
/** Above this many points the fit defaults to the warm start only, without screening, and 50 iterations. */
const LARGE = 100;

export class GaussianProcess implements JointSurrogate {
  private X: number[][] = [];
  private yMean = 0;
  private yStd = 1;
  private hp: GpHyperparameters | undefined;
  private L: Float64Array = new Float64Array(0);
  private alpha: Float64Array = new Float64Array(0);
  private ys: Float64Array = new Float64Array(0);
  private invL2: Float64Array = new Float64Array(0);
  private warm: Float64Array | undefined;
  /** Block of each training point (-1: none); undefined without blocks. */
  private blockOf: Int32Array | undefined;
  private evidence = NaN;

  private readonly shape: KernelShape;

  constructor(private readonly options: GpOptions = {}) {
    this.shape = kernelShape(options.kernel ?? 'matern52');
  }

  get hyperparameters(): GpHyperparameters {
    if (!this.hp) throw new Error('the GP has not been fitted');
    return { ...this.hp, lengthscales: [...this.hp.lengthscales] };
  }

  get trainingSize(): number {
    return this.X.length;
  }

  /**
   * Log marginal likelihood plus log prior at the fitted hyperparameters, for
   * outcomes in original units (the standardisation's Jacobian included).
   * NaN when the hyperparameters were fixed.
   */
  get logEvidence(): number {
    return this.evidence - this.X.length * Math.log(this.yStd);
  }

  /** Outcome standardisation: y_std = (y - shift) / scale. */
  get standardisation(): { shift: number; scale: number } {
    return { shift: this.yMean, scale: this.yStd };
  }

  /**
   * `blocks[i]` names the block point i was measured in (null: none). The
   * block variance is fitted only when some block holds two or more points.
   */
  fit(X: number[][], y: number[], blocks?: readonly (string | null | undefined)[]): void {
    if (X.length !== y.length) throw new Error(`X has ${X.length} rows but y has ${y.length} values`);
    if (X.length === 0) throw new Error('cannot fit a GP to no data');
    if (blocks && blocks.length !== X.length) throw new Error(`X has ${X.length} rows but blocks has ${blocks.length} entries`);
    this.blockOf = blockIndices(blocks);
    const n = y.length;
    const mu = y.reduce((a, b) => a + b, 0) / n;
    const sd = n > 1 ? Math.sqrt(y.reduce((a, b) => a + (b - mu) ** 2, 0) / (n - 1)) : 0;
    this.yMean = mu;
    this.yStd = sd > 1e-12 * Math.max(1, Math.abs(mu)) ? sd : 1;
    const ys = Float64Array.from(y, (v) => (v - this.yMean) / this.yStd);
    this.X = X.map((r) => [...r]);
    const dim = X[0].length;
    this.evidence = NaN;
    this.hp = this.options.fixed ?? this.optimise(new MllData(this.X, ys, this.shape, this.blockOf), dim);
    this.factorise(ys);
  }

  /**
   * A GP with the same hyperparameters and standardisation conditioned on
   * extra (e.g. fantasised) observations: no hyperparameter fitting.
   */
  conditioned(Xextra: number[][], yExtra: number[]): GaussianProcess {
    const hp = this.hyperparameters;
    const gp = new GaussianProcess({ ...this.options, fixed: hp });
    gp.X = [...this.X, ...Xextra.map((r) => [...r])];
    gp.yMean = this.yMean;
    gp.yStd = this.yStd;
    gp.hp = hp;
    // Fantasised values are of the function itself: in no block.
    if (this.blockOf) gp.blockOf = Int32Array.from([...this.blockOf, ...Xextra.map(() => -1)]);
    const ys = new Float64Array(gp.X.length);
    const prev = this.ys;
    ys.set(prev);
    yExtra.forEach((v, i) => (ys[prev.length + i] = (v - this.yMean) / this.yStd));
    gp.factorise(ys);
    return gp;
  }

  /**
   * For each training point, the posterior mean of its block's offset, in
   * outcome units: E[β_b | y] = σ_b² Σ_{j in b} α_j (zero outside blocks and
   * without them). A result net of its block is y_i minus this.
   */
  blockOffsets(): Float64Array {
    const { hp } = this.require();
    const n = this.X.length;
    const out = new Float64Array(n);
    const blocks = this.blockOf;
    const sb2 = hp.blockVariance ?? 0;
    if (!blocks || !(sb2 > 0)) return out;
    const sums = new Map<number, number>();
    for (let j = 0; j < n; j++) if (blocks[j] >= 0) sums.set(blocks[j], (sums.get(blocks[j]) ?? 0) + this.alpha[j]);
    for (let i = 0; i < n; i++) if (blocks[i] >= 0) out[i] = this.yStd * sb2 * (sums.get(blocks[i]) as number);
    return out;
  }

  posterior(Xs: number[][]): Posterior {
    const { hp } = this.require();
    const n = this.X.length;
    const m = Xs.length;
    const mean = new Float64Array(m);
    const variance = new Float64Array(m);
    const k = new Float64Array(n);
    const v = new Float64Array(n);
    for (let p = 0; p < m; p++) {
      const x = Xs[p];
      let mu = hp.mean;
      for (let i = 0; i < n; i++) {
        k[i] = hp.outputscale * this.shape.value(scaledDistance(x, this.X[i], this.invL2));
        mu += k[i] * this.alpha[i];
      }
      solveLower(this.L, n, k, v);
      let q = 0;
      for (let i = 0; i < n; i++) q += v[i] * v[i];
      mean[p] = this.yMean + this.yStd * mu;
      variance[p] = this.yStd * this.yStd * Math.max(hp.outputscale - q, 1e-12 * hp.outputscale);
    }
    return { mean, variance };
  }

  jointPosterior(Xs: number[][]): { mean: Float64Array; covariance: Float64Array } {
    const { hp } = this.require();
    const n = this.X.length;
    const m = Xs.length;
    const { mean } = this.posterior(Xs);
    const V: Float64Array[] = [];
    for (let p = 0; p < m; p++) {
      const k = new Float64Array(n);
      for (let i = 0; i < n; i++) k[i] = hp.outputscale * this.shape.value(scaledDistance(Xs[p], this.X[i], this.invL2));
      V.push(solveLower(this.L, n, k));
    }
    const covariance = crossCovariance(Xs, Xs, this.invL2, hp.outputscale, this.shape);
    const s2 = this.yStd * this.yStd;
    for (let a = 0; a < m; a++) {
      for (let b = 0; b <= a; b++) {
        let q = 0;
        for (let i = 0; i < n; i++) q += V[a][i] * V[b][i];
        const c = s2 * (covariance[a * m + b] - q);
        covariance[a * m + b] = c;
        covariance[b * m + a] = c;
      }
    }
    return { mean, covariance };
  }

  /**
   * The posterior at each point of Xs (mean, variance) with its covariance
   * with every point of P (row-major |Xs| x |P|): what sampling f(x) jointly
   * with already-sampled values at P needs (batch acquisitions by Monte Carlo).
   */
  posteriorWith(Xs: number[][], P: number[][]): Posterior & { cross: Float64Array } {
    const { hp } = this.require();
    const n = this.X.length;
    const m = Xs.length;
    const p = P.length;
    const { mean, variance } = this.posterior(Xs);
    const cross = new Float64Array(m * p);
    if (p === 0) return { mean, variance, cross };
    const VP = P.map((q) => {
      const k = new Float64Array(n);
      for (let i = 0; i < n; i++) k[i] = hp.outputscale * this.shape.value(scaledDistance(q, this.X[i], this.invL2));
      return solveLower(this.L, n, k);
    });
    const k = new Float64Array(n);
    const v = new Float64Array(n);
    const s2 = this.yStd * this.yStd;
    for (let a = 0; a < m; a++) {
      for (let i = 0; i < n; i++) k[i] = hp.outputscale * this.shape.value(scaledDistance(Xs[a], this.X[i], this.invL2));
      solveLower(this.L, n, k, v);
      for (let j = 0; j < p; j++) {
        let q = 0;
        for (let i = 0; i < n; i++) q += v[i] * VP[j][i];
        cross[a * p + j] = s2 * (hp.outputscale * this.shape.value(scaledDistance(Xs[a], P[j], this.invL2)) - q);
      }
    }
    return { mean, variance, cross };
  }

  /**
   * What extending the posterior by fantasised observations one at a time
   * needs (bo/believer.ts), in standardised units: the prior covariance of two
   * points, and v = L⁻¹ k(X, x) for a point (written into `out`, length n),
   * computed exactly as `posterior` computes them. A fantasy is in no block
   * and has the learned noise, as in `conditioned`.
   */
  fantasyParts(): {
    n: number;
    outputscale: number;
    noise: number;
    scale: number;
    prior(a: readonly number[], b: readonly number[]): number;
    whiten(x: readonly number[], out: Float64Array<ArrayBuffer>): void;
  } {
    const { hp } = this.require();
    const n = this.X.length;
    const k = new Float64Array(n);
    return {
      n,
      outputscale: hp.outputscale,
      noise: hp.noise,
      scale: this.yStd,
      prior: (a, b) => hp.outputscale * this.shape.value(scaledDistance(a, b, this.invL2)),
      whiten: (x, out) => {
        for (let i = 0; i < n; i++) k[i] = hp.outputscale * this.shape.value(scaledDistance(x, this.X[i], this.invL2));
        solveLower(this.L, n, k, out);
      },
    };
  }

  private require(): { hp: GpHyperparameters } {
    if (!this.hp) throw new Error('the GP has not been fitted');
    return { hp: this.hp };
  }

  private covarianceMatrix(hp: GpHyperparameters): Float64Array {
    const K = crossCovariance(this.X, this.X, this.invL2, hp.outputscale, this.shape);
    const n = this.X.length;
    for (let i = 0; i < n; i++) K[i * n + i] += hp.noise;
    const blocks = this.blockOf;
    const sb2 = hp.blockVariance ?? 0;
    if (blocks && sb2 > 0) {
      for (let i = 0; i < n; i++) {
        if (blocks[i] < 0) continue;
        for (let j = 0; j < n; j++) if (blocks[j] === blocks[i]) K[i * n + j] += sb2;
      }
    }
    return K;
  }

  private factorise(ys: Float64Array): void {
    const { hp } = this.require();
    this.invL2 = Float64Array.from(hp.lengthscales, (l) => 1 / (l * l));
    const n = this.X.length;
    this.L = choleskyJitter(this.covarianceMatrix(hp), n, { initial: 1e-9, max: 1e-2 }).L;
    this.ys = ys;
    this.alpha = choleskySolve(
      this.L,
      n,
      Float64Array.from(ys, (v) => v - hp.mean),
    );
  }

  private optimise(data: MllData, dim: number): GpHyperparameters {
    const priors = this.options.priors ?? defaultPriors(dim);
    const floor = this.options.noiseFloor ?? 1e-6;
    const blocks = data.blocks !== undefined;
    const P = dim + 3 + (blocks ? 1 : 0);
    const lower = new Float64Array(P);
    const upper = new Float64Array(P);
    const blockPrior = priors.block ?? BLOCK_PRIOR;
    if (blocks) [lower[dim + 3], upper[dim + 3]] = LOG_BLOCK;
    for (let k = 0; k < dim; k++) [lower[k], upper[k]] = [MIN_LOG_LS, Math.log(this.options.maxLengthscale ?? 100)];
    [lower[dim], upper[dim]] = LOG_OS;
    [lower[dim + 1], upper[dim + 1]] = LOG_NOISE;
    [lower[dim + 2], upper[dim + 2]] = MEAN;
    const grad = new Float64Array(P);
    const f = (t: Float64Array, g: Float64Array) => data.objective(t, g, priors, floor);
    const safe = (t: Float64Array) => {
      try {
        return f(t, grad);
      } catch {
        return Infinity;
      }
    };

    const base = new Float64Array(P);
    if (blocks) base[dim + 3] = Math.max(LOG_BLOCK[0], blockPrior.loc - blockPrior.scale ** 2);
    for (let k = 0; k < dim; k++) base[k] = Math.min(upper[k], Math.max(lower[k], priors.lengthscale.loc - priors.lengthscale.scale ** 2));
    base[dim] = 0;
    base[dim + 1] = Math.max(LOG_NOISE[0], priors.noise.loc - priors.noise.scale ** 2);
    base[dim + 2] = 0;
    // Large data sets (each objective evaluation is O(n³)): fewer starts and iterations by default.
    const large = data.n > LARGE;
    const warm = this.options.warmStart !== false && this.warm && this.warm.length === P ? this.warm : undefined;
    const starts: Float64Array[] = large && warm ? [warm] : warm ? [base, warm] : [base];
    const rng = new Rng(this.options.seed ?? data.n * 7919 + dim);
    const screened: { t: Float64Array; v: number }[] = [];
    for (let c = 0; c < (this.options.candidates ?? (large ? 0 : 16)); c++) {
      const t = new Float64Array(P);
      if (blocks) t[dim + 3] = blockPrior.loc - blockPrior.scale ** 2 + rng.normal();
      for (let k = 0; k < dim; k++)
        t[k] = priors.lengthscale.loc - priors.lengthscale.scale ** 2 + priors.lengthscale.scale * 0.7 * rng.normal();
      t[dim] = priors.outputscale.loc + 0.5 * rng.normal();
      t[dim + 1] = priors.noise.loc - priors.noise.scale ** 2 + rng.normal();
      t[dim + 2] = 0.5 * rng.normal();
      for (let k = 0; k < t.length; k++) t[k] = Math.min(upper[k], Math.max(lower[k], t[k]));
      screened.push({ t, v: safe(t) });
    }
    screened.sort((a, b) => a.v - b.v);
    for (let r = 0; r < (this.options.restarts ?? (large ? 0 : 2)) && r < screened.length; r++) starts.push(screened[r].t);

    let best: { x: Float64Array; value: number } | undefined;
    for (const s of starts) {
      if (!Number.isFinite(safe(s))) continue;
      const res = minimizeLbfgs(
        (t, g) => {
          try {
            return f(t, g);
          } catch {
            return Infinity;
          }
        },
        s,
        {
          lower,
          upper,
          maxIterations: this.options.maxIterations ?? (large ? 50 : 200),
          gradientTolerance: 1e-5,
          functionTolerance: 1e-13,
        },
      );
      if (!best || res.value < best.value) best = { x: res.x, value: res.value };
    }
    if (!best) throw new Error('GP hyperparameter fit failed from every start');
    this.warm = best.x;
    this.evidence = -best.value;
    const t = best.x;
    return {
      lengthscales: Array.from(t.subarray(0, dim), (v) => Math.exp(v)),
      outputscale: Math.exp(t[dim]),
      noise: floor + Math.exp(t[dim + 1]),
      mean: t[dim + 2],
      ...(blocks ? { blockVariance: Math.exp(t[dim + 3]) } : {}),
    };
  }
}

/** Block labels as indices (-1: none), or undefined when no block holds two or more points. */
function blockIndices(blocks: readonly (string | null | undefined)[] | undefined): Int32Array | undefined {
  if (!blocks) return undefined;
  const ids = new Map<string, number>();
  const count: number[] = [];
  const out = Int32Array.from(blocks, (b) => {
    if (b === null || b === undefined) return -1;
    let id = ids.get(b);
    if (id === undefined) {
      id = ids.size;
      ids.set(b, id);
      count.push(0);
    }
    count[id]++;
    return id;
  });
  return count.some((c) => c >= 2) ? out : undefined;
}
