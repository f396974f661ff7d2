/**
 * Exact Gaussian-process regression: Matérn-5/2 ARD kernel, constant mean,
 * outputscale and learned Gaussian noise, on inputs in the unit cube with
 * standardised outcomes. Hyperparameters maximise the log marginal likelihood
 * plus log-priors (L-BFGS-B from several starts, warm-started from the
 * previous fit). Results measured in blocks (plates, days, sources) may say
 * so: each block then has an offset whose variance is learned too (mll.ts),
 * and the posterior is that of the function net of the offsets.
 */
import {
  choleskyInPlace,
  choleskyJitter,
  choleskySolve,
  extendCholesky,
  logDetFromCholesky,
  solveLower,
  solveLowerRows,
  solveLowerTransposedByRows,
} from '../linalg/dense.js';
import { crossCovariance, type KernelKind, kernelShape, type KernelShape, scaledDistance } from './kernel.js';
import { defaultPriors, type GpPriors, logPriorTerms, MllData } from './mll.js';
import { HyperparameterFit, LARGE } from './gp-fit.js';
import type { BoundedSurrogate, DifferentiableSurrogate, JointSurrogate, Posterior } from './surrogate.js';

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
  /**
   * Above 100 points, when the data only grew since the last fit: keep the
   * hyperparameters and extend the Cholesky factor while the data grew by
   * less than `refitGrowth` (default 0.05, a fraction) since the last refit,
   * refit them warm in a few iterations after that, and fit them afresh (on
   * a subsample, then all the data) when the data doubled since the last full
   * fit or the warm refit's likelihood per point fell clearly below the full
   * fit's. Default true; false fits every call on all the data from the last
   * fit (as this GP did before), the slow reference.
   */
  incremental?: boolean;
  /** See `incremental`. Default 0.05. */
  refitGrowth?: number;
}

/** Training points nearest to a point whose covariance bounds its posterior variance (posteriorBound). */
const BOUND_NEIGHBOURS = 32;
/** Added to that bound (relative to the prior variance): more than the rounding of either variance. */
const BOUND_MARGIN = 1e-8;

/** L-BFGS iterations on all the data of a warm refit, and after a fit on a subsample. */
const REFINE_ITERATIONS = 3;
/** A full fit once the data are this many times the size of the last full fit's. */
const FULL_FIT_GROWTH = 2;
/** A warm refit whose -log likelihood per point is worse than the last full fit's by more than this (nats) calls for a full fit. */
const REFIT_TOLERANCE = 0.05;

/** Where the fitted state of the last fit stands, for the next fit (see GpOptions.incremental). */
interface FitState {
  /** Points at the last full fit and at the last refit. */
  full: number;
  refit: number;
  /** -log posterior per point of the last full fit. */
  fullPerPoint: number;
}

export class GaussianProcess implements JointSurrogate, DifferentiableSurrogate, BoundedSurrogate {
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
  /** Jitter added to the diagonal by the last factorisation. */
  private jitter = 0;
  private state: FitState | undefined;
  /** Work arrays of posteriorGradient (length n), kept between calls. */
  private scratch: { k: Float64Array<ArrayBuffer>; v: Float64Array<ArrayBuffer>; w: Float64Array<ArrayBuffer>; f: Float64Array<ArrayBuffer> } | undefined;

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
    const blockOf = blockIndices(blocks);
    const plan = this.options.fixed ? 'full' : this.plan(X, blockOf);
    if (plan === 'extend' && this.extend(X, y)) return;
    const previous = this.standardisation;
    this.blockOf = blockOf;
    const n = y.length;
    const mu = y.reduce((a, b) => a + b, 0) / n;
    const sd = n > 1 ? Math.sqrt(y.reduce((a, b) => a + (b - mu) ** 2, 0) / (n - 1)) : 0;
    this.yMean = mu;
    this.yStd = sd > 1e-12 * Math.max(1, Math.abs(mu)) ? sd : 1;
    const ys = Float64Array.from(y, (v) => (v - this.yMean) / this.yStd);
    this.X = X.map((r) => [...r]);
    const dim = X[0].length;
    this.evidence = NaN;
    this.hp = this.options.fixed ?? this.optimise(new MllData(this.X, ys, this.shape, this.blockOf), dim, plan, previous);
    this.factorise(ys);
  }

  /**
   * What the next fit does (see GpOptions.incremental): 'extend' keeps the
   * hyperparameters and extends the factor, 'refit' refits them warm, 'full'
   * fits them afresh (and every fit up to LARGE points is a full one).
   */
  private plan(X: number[][], blockOf: Int32Array | undefined): 'full' | 'refit' | 'extend' {
    const state = this.state;
    const old = this.X;
    if (this.options.incremental === false || !state || !this.hp || X.length <= LARGE || blockOf || this.blockOf) return 'full';
    if (X.length < old.length || X[0].length !== old[0].length) return 'full';
    for (let i = 0; i < old.length; i++) for (let k = 0; k < old[i].length; k++) if (!Object.is(old[i][k], X[i][k])) return 'full';
    if (X.length >= state.full * FULL_FIT_GROWTH) return 'full';
    return X.length >= state.refit * (1 + (this.options.refitGrowth ?? 0.05)) ? 'refit' : 'extend';
  }

  /**
   * The same hyperparameters and standardisation on data that only grew: the
   * factor is extended by the new rows, α and the evidence recomputed.
   * False when the new block of the covariance is not positive definite.
   */
  private extend(X: number[][], y: number[]): boolean {
    const hp = this.require().hp;
    const n0 = this.X.length;
    const m = X.length - n0;
    let L = this.L;
    if (m > 0) {
      const added = X.slice(n0).map((r) => [...r]);
      const extended = extendCholesky(L, n0, ...this.newBlocks(added, hp), m, this.jitter);
      if (!extended) return false;
      L = extended;
      this.L = L;
      this.X.push(...added);
    }
    const ys = Float64Array.from(y, (v) => (v - this.yMean) / this.yStd);
    this.setAlpha(ys);
    if (this.warm) {
      const n = X.length;
      const resid = Float64Array.from(ys, (v) => v - hp.mean);
      let fit = 0;
      for (let i = 0; i < n; i++) fit += resid[i] * this.alpha[i];
      const value = 0.5 * fit + 0.5 * logDetFromCholesky(L, n) + 0.5 * n * Math.log(2 * Math.PI);
      this.evidence = -logPriorTerms(this.warm, undefined, this.priors(), this.options.noiseFloor ?? 1e-6, value, false);
    }
    return true;
  }

  /** Covariances of `added` with the training points (|added| x n) and among themselves (with the noise). */
  private newBlocks(added: number[][], hp: GpHyperparameters): [Float64Array, Float64Array] {
    const B = crossCovariance(added, this.X, this.invL2, hp.outputscale, this.shape);
    const C = crossCovariance(added, added, this.invL2, hp.outputscale, this.shape);
    for (let p = 0; p < added.length; p++) C[p * added.length + p] += hp.noise;
    return [B, C];
  }

  private priors(): GpPriors {
    return this.options.priors ?? defaultPriors(this.X[0]?.length ?? 1);
  }

  /**
   * Log marginal likelihood of the (standardised) training outcomes at the
   * current hyperparameters, without the priors: log N(y | m, K + noise I).
   */
  get dataLogLikelihood(): number {
    const { hp } = this.require();
    const n = this.X.length;
    let fit = 0;
    for (let i = 0; i < n; i++) fit += (this.ys[i] - hp.mean) * this.alpha[i];
    return -0.5 * fit - 0.5 * logDetFromCholesky(this.L, n) - 0.5 * n * Math.log(2 * Math.PI);
  }

  /** Jitter the last factorisation had to add to the diagonal (0 when none was needed). */
  get addedJitter(): number {
    return this.jitter;
  }

  /**
   * The same GP (data, standardisation, kernel, mean, blocks) with another
   * noise variance in standardised units: no hyperparameter fitting.
   */
  withNoise(noise: number): GaussianProcess {
    if (!(noise > 0)) throw new Error(`withNoise: the noise variance must be positive, got ${noise}`);
    const hp = { ...this.hyperparameters, noise };
    const gp = new GaussianProcess({ ...this.options, fixed: hp });
    gp.X = [...this.X];
    gp.yMean = this.yMean;
    gp.yStd = this.yStd;
    gp.hp = hp;
    gp.blockOf = this.blockOf;
    gp.factorise(Float64Array.from(this.ys));
    return gp;
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
    // The factor extended by the new rows has the same bits as factorising anew when no jitter was needed.
    const extended =
      this.jitter === 0 && !gp.blockOf ? extendCholesky(this.L, prev.length, ...this.newBlocks(Xextra, hp), Xextra.length) : undefined;
    if (extended) {
      gp.invL2 = this.invL2;
      gp.L = extended;
      gp.setAlpha(ys);
    } else gp.factorise(ys);
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
    // In chunks of points: the forward substitutions of a chunk share each row of L (solveLowerRows).
    const chunk = Math.max(1, Math.min(m, 64));
    const K = new Float64Array(chunk * n);
    const V = new Float64Array(chunk * n);
    for (let p0 = 0; p0 < m; p0 += chunk) {
      const c = Math.min(chunk, m - p0);
      for (let p = 0; p < c; p++) {
        const x = Xs[p0 + p];
        const k = K.subarray(p * n, (p + 1) * n);
        let mu = hp.mean;
        for (let i = 0; i < n; i++) {
          k[i] = hp.outputscale * this.shape.value(scaledDistance(x, this.X[i], this.invL2));
          mu += k[i] * this.alpha[i];
        }
        mean[p0 + p] = this.yMean + this.yStd * mu;
      }
      solveLowerRows(this.L, n, K, c, V);
      for (let p = 0; p < c; p++) {
        let q = 0;
        for (let i = p * n; i < (p + 1) * n; i++) q += V[i] * V[i];
        variance[p0 + p] = this.yStd * this.yStd * Math.max(hp.outputscale - q, 1e-12 * hp.outputscale);
      }
    }
    return { mean, variance };
  }

  /**
   * The posterior at one point, with the gradients of its mean and variance
   * with respect to the point written into `dMean` and `dVariance` (length
   * d). The mean and variance have the same bits as `posterior([x])`.
   * With k = k(X, x), v = L⁻¹ k and w = L⁻ᵀ v: ∂mean/∂x = Σ_i α_i ∂k_i/∂x
   * and ∂variance/∂x = -2 Σ_i w_i ∂k_i/∂x (the prior variance is constant),
   * where ∂k_i/∂x_k = -s² ψ(r_i) (x_k - X_ik) / l_k² with
   * ψ(r) = -(1/r) dκ/dr (kernel.ts): two triangular solves, against the
   * d + 1 of forward differences. Where the variance is at its floor its
   * gradient is zero.
   */
  posteriorGradient(x: readonly number[], dMean: Float64Array, dVariance: Float64Array): { mean: number; variance: number } {
    const { hp } = this.require();
    const n = this.X.length;
    const d = x.length;
    if (!this.scratch || this.scratch.k.length !== n) {
      this.scratch = { k: new Float64Array(n), v: new Float64Array(n), w: new Float64Array(n), f: new Float64Array(n) };
    }
    const { k, v, w, f } = this.scratch;
    const os = hp.outputscale;
    const invL2 = this.invL2;
    let mu = hp.mean;
    for (let i = 0; i < n; i++) {
      const r = scaledDistance(x, this.X[i], invL2);
      k[i] = os * this.shape.value(r);
      f[i] = -os * this.shape.lengthscaleFactor(r);
      mu += k[i] * this.alpha[i];
    }
    solveLower(this.L, n, k, v);
    let q = 0;
    for (let i = 0; i < n; i++) q += v[i] * v[i];
    const s2 = this.yStd * this.yStd;
    const floor = 1e-12 * os;
    const atFloor = !(os - q > floor);
    if (!atFloor) solveLowerTransposedByRows(this.L, n, v, w);
    dMean.fill(0);
    dVariance.fill(0);
    for (let i = 0; i < n; i++) {
      const xi = this.X[i];
      const a = this.alpha[i] * f[i];
      const b = atFloor ? 0 : w[i] * f[i];
      for (let c = 0; c < d; c++) {
        const g = (x[c] - xi[c]) * invL2[c];
        dMean[c] += a * g;
        dVariance[c] += b * g;
      }
    }
    for (let c = 0; c < d; c++) {
      dMean[c] *= this.yStd;
      dVariance[c] *= -2 * s2;
    }
    return { mean: this.yMean + this.yStd * mu, variance: s2 * Math.max(os - q, floor) };
  }

  /**
   * The posterior mean at each point (the same bits as `posterior`) and an
   * upper bound on its posterior variance: the variance given only the
   * BOUND_NEIGHBOURS training points nearest to it in the kernel's scaled
   * distance (conditioning on fewer results of the same model never lowers
   * a variance), plus a margin for rounding. O(N d + m³) per point instead of
   * the variance's O(N²). Undefined with block offsets, whose covariance
   * couples the points of a block.
   */
  posteriorBound(Xs: number[][]): { mean: Float64Array; varianceBound: Float64Array } | undefined {
    const { hp } = this.require();
    if (this.blockOf) return undefined;
    const n = this.X.length;
    const m = Math.min(BOUND_NEIGHBOURS, n);
    const os = hp.outputscale;
    const s2 = this.yStd * this.yStd;
    const mean = new Float64Array(Xs.length);
    const varianceBound = new Float64Array(Xs.length);
    // The m nearest so far, by increasing distance.
    const near = new Int32Array(m);
    const dist = new Float64Array(m);
    const A = new Float64Array(m * m);
    const k = new Float64Array(m);
    const v = new Float64Array(m);
    for (let p = 0; p < Xs.length; p++) {
      const x = Xs[p];
      let mu = hp.mean;
      let count = 0;
      for (let i = 0; i < n; i++) {
        const r = scaledDistance(x, this.X[i], this.invL2);
        mu += os * this.shape.value(r) * this.alpha[i];
        if (count < m || r < dist[m - 1]) {
          let j = count < m ? count++ : m - 1;
          for (; j > 0 && dist[j - 1] > r; j--) {
            dist[j] = dist[j - 1];
            near[j] = near[j - 1];
          }
          dist[j] = r;
          near[j] = i;
        }
      }
      mean[p] = this.yMean + this.yStd * mu;
      for (let a = 0; a < m; a++) {
        k[a] = os * this.shape.value(dist[a]);
        for (let b = 0; b <= a; b++) A[a * m + b] = os * this.shape.value(scaledDistance(this.X[near[a]], this.X[near[b]], this.invL2));
        A[a * m + a] += hp.noise + this.jitter;
      }
      // Only the lower triangle is read; the prior variance bounds every posterior one where the small factor fails.
      let q = 0;
      if (choleskyInPlace(A, m)) {
        solveLower(A, m, k, v);
        for (let a = 0; a < m; a++) q += v[a] * v[a];
      }
      varianceBound[p] = s2 * (Math.max(os - q, 1e-12 * os) + BOUND_MARGIN * os);
    }
    return { mean, varianceBound };
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
    const { L, jitter } = choleskyJitter(this.covarianceMatrix(hp), n, { initial: 1e-9, max: 1e-2 });
    this.L = L;
    this.jitter = jitter;
    this.setAlpha(ys);
  }

  private setAlpha(ys: Float64Array): void {
    const { hp } = this.require();
    this.ys = ys;
    this.alpha = choleskySolve(
      this.L,
      this.X.length,
      Float64Array.from(ys, (v) => v - hp.mean),
    );
  }

  private optimise(
    data: MllData,
    dim: number,
    plan: 'full' | 'refit' | 'extend',
    previous: { shift: number; scale: number },
  ): GpHyperparameters {
    const fitter = new HyperparameterFit(
      {
        priors: this.priors(),
        noiseFloor: this.options.noiseFloor ?? 1e-6,
        maxLengthscale: this.options.maxLengthscale ?? 100,
        candidates: this.options.candidates,
        restarts: this.options.restarts,
        maxIterations: this.options.maxIterations,
        seed: this.options.seed,
      },
      dim,
      data.blocks !== undefined,
    );
    const warm = this.options.warmStart !== false && fitter.accepts(this.warm) ? this.warm : undefined;
    const n = data.n;
    let best;
    if (this.options.incremental === false || n <= LARGE) {
      best = fitter.optimise(data, warm);
      this.state = { full: n, refit: n, fullPerPoint: best.value / n };
    } else {
      // Above LARGE points the last fit's vector is carried into this fit's standardisation.
      const carried = warm && fitter.restandardised(warm, previous, this.standardisation);
      if (plan !== 'full' && carried && this.state) {
        const refit = fitter.refine(data, carried, REFINE_ITERATIONS);
        if (refit.value / n <= this.state.fullPerPoint + REFIT_TOLERANCE) {
          best = refit;
          this.state = { ...this.state, refit: n };
        }
      }
      if (!best) {
        best = fitter.subsampled(data, carried, REFINE_ITERATIONS);
        this.state = { full: n, refit: n, fullPerPoint: best.value / n };
      }
    }
    this.warm = best.theta;
    this.evidence = -best.value;
    return fitter.hyperparameters(best.theta);
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
