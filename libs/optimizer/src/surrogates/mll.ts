/**
 * Negative log marginal likelihood of a stationary ARD GP plus log-priors
 * (a MAP objective), with its analytic gradient.
 *
 * Parameter vector θ (length d + 3, or d + 4 with blocks):
 *   θ[0..d-1] = log lengthscales, θ[d] = log outputscale,
 *   θ[d+1] = log(noise variance - noiseFloor), θ[d+2] = constant mean,
 *   θ[d+3] = log block variance, when the data come in blocks (see MllData).
 *
 * Blocks (plates, days, batches, sources of imported data) share an offset:
 * y_i = f(x_i) + β_b(i) + ε_i with β_b ~ N(0, σ_b²) independent per block, so
 * two results of one block covary by σ_b² besides the kernel. The posterior
 * of f then compares results across blocks net of their offsets.
 */
import { choleskyJitter, inverseFromCholesky, logDetFromCholesky, choleskySolve } from '../linalg/dense.js';
import { type KernelShape, MATERN52 } from './kernel.js';

/** A normal prior on a log-parameter (a log-normal prior on the parameter). */
export interface LogNormalPrior {
  loc: number;
  scale: number;
}

export interface GpPriors {
  lengthscale: LogNormalPrior;
  outputscale: LogNormalPrior;
  noise: LogNormalPrior;
  /** Variance of the block offsets (standardised outcome units), when the data come in blocks. */
  block?: LogNormalPrior;
}

/** Block variance prior: mode about 0.01 of the outcome variance, wide enough for plate effects of half of it. */
export const BLOCK_PRIOR: LogNormalPrior = { loc: -2.5, scale: 1.5 };

/**
 * Defaults in the spirit of BoTorch's current SingleTaskGP: a dimension-scaled
 * log-normal lengthscale prior (Hvarfner et al. 2024, loc √2 + log(d)/2,
 * scale √3) and a log-normal noise prior (loc -4, scale 1) on standardised
 * outcomes; a weak log-normal prior keeps the outputscale near 1.
 */
export function defaultPriors(dim: number): GpPriors {
  return {
    lengthscale: { loc: Math.SQRT2 + Math.log(Math.max(1, dim)) / 2, scale: Math.sqrt(3) },
    outputscale: { loc: 0, scale: 1.5 },
    noise: { loc: -4, scale: 1 },
  };
}

const LOG_2PI = Math.log(2 * Math.PI);

/** Training data prepared once per fit: pairwise squared differences per dimension. */
export class MllData {
  readonly n: number;
  readonly dim: number;
  /**
   * (X[i][k] - X[j][k])² for each pair i > j, the pairs row by row (i, then
   * j < i) and the d dimensions of a pair together: at (i (i - 1) / 2 + j) d + k.
   */
  private readonly diff2: Float64Array;

  /**
   * `blocks[i]`: the block of point i (-1: none); with at least one block of
   * two or more points the objective takes the block variance as θ[d+3].
   */
  constructor(
    readonly X: readonly ArrayLike<number>[],
    readonly y: Float64Array,
    readonly shape: KernelShape = MATERN52,
    readonly blocks?: Int32Array,
  ) {
    this.n = X.length;
    this.dim = this.n > 0 ? X[0].length : 0;
    const dim = this.dim;
    this.diff2 = new Float64Array(((this.n * (this.n - 1)) / 2) * dim);
    let p = 0;
    for (let i = 0; i < this.n; i++) {
      for (let j = 0; j < i; j++) {
        for (let k = 0; k < dim; k++) {
          const d = X[i][k] - X[j][k];
          this.diff2[p++] = d * d;
        }
      }
    }
  }

  /** Negative (log marginal likelihood + log prior); writes the gradient into grad. */
  objective(theta: ArrayLike<number>, grad: Float64Array, priors: GpPriors, noiseFloor: number): number {
    const { n, dim, diff2 } = this;
    const invL2 = new Float64Array(dim);
    for (let k = 0; k < dim; k++) invL2[k] = Math.exp(-2 * theta[k]);
    const s2 = Math.exp(theta[dim]);
    const noiseExcess = Math.exp(theta[dim + 1]);
    const noise = noiseFloor + noiseExcess;
    const c = theta[dim + 2];
    const blocks = this.blocks;
    const sb2 = blocks ? Math.exp(theta[dim + 3]) : 0;
    const same = (i: number, j: number) => blocks !== undefined && blocks[i] >= 0 && blocks[i] === blocks[j];

    // K = s2 * M(r) + sb2 * [same block] + noise * I; keep r per pair for the gradient.
    const K = new Float64Array(n * n);
    const R = new Float64Array(n * n);
    let p = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < i; j++) {
        let r2 = 0;
        for (let k = 0; k < dim; k++) r2 += diff2[p++] * invL2[k];
        const r = Math.sqrt(r2);
        R[i * n + j] = r;
        const v = s2 * this.shape.value(r) + (same(i, j) ? sb2 : 0);
        K[i * n + j] = v;
        K[j * n + i] = v;
      }
      K[i * n + i] = s2 + noise + (same(i, i) ? sb2 : 0);
    }
    const { L } = choleskyJitter(K, n, { initial: 1e-9, max: 1e-2 });
    const resid = new Float64Array(n);
    for (let i = 0; i < n; i++) resid[i] = this.y[i] - c;
    const alpha = choleskySolve(L, n, resid);
    let fit = 0;
    for (let i = 0; i < n; i++) fit += resid[i] * alpha[i];
    const value = 0.5 * fit + 0.5 * logDetFromCholesky(L, n) + 0.5 * n * LOG_2PI;

    // d(-mll)/dθ = -0.5 tr(W dK/dθ), W = α αᵀ - K⁻¹.
    const Kinv = inverseFromCholesky(L, n);
    grad.fill(0);
    let trOut = 0;
    let trNoise = 0;
    let trBlock = 0;
    p = 0;
    for (let i = 0; i < n; i++) {
      trNoise += alpha[i] * alpha[i] - Kinv[i * n + i];
      trOut += (alpha[i] * alpha[i] - Kinv[i * n + i]) * s2;
      if (same(i, i)) trBlock += (alpha[i] * alpha[i] - Kinv[i * n + i]) * sb2;
      for (let j = 0; j < i; j++) {
        const w = alpha[i] * alpha[j] - Kinv[i * n + j];
        const block = same(i, j) ? sb2 : 0;
        const kij = K[i * n + j] - block;
        trOut += 2 * w * kij;
        trBlock += 2 * w * block;
        const f = 2 * w * s2 * this.shape.lengthscaleFactor(R[i * n + j]);
        for (let k = 0; k < dim; k++) grad[k] += f * diff2[p++] * invL2[k];
      }
    }
    for (let k = 0; k < dim; k++) grad[k] *= -0.5;
    grad[dim] = -0.5 * trOut;
    grad[dim + 1] = -0.5 * trNoise * noiseExcess;
    let sumAlpha = 0;
    for (let i = 0; i < n; i++) sumAlpha += alpha[i];
    grad[dim + 2] = -sumAlpha;
    if (blocks) grad[dim + 3] = -0.5 * trBlock;

    return logPriorTerms(theta, grad, priors, noiseFloor, value, blocks !== undefined);
  }
}

/**
 * `value` plus the negative log-prior of θ (log-normal densities of the
 * parameters themselves, as GPyTorch evaluates them), whose gradient is added
 * to `grad` when given. θ as in MllData.objective; `blocks`: whether it holds
 * the block variance.
 */
export function logPriorTerms(
  theta: ArrayLike<number>,
  grad: Float64Array | undefined,
  priors: GpPriors,
  noiseFloor: number,
  value: number,
  blocks: boolean,
): number {
  const dim = theta.length - 3 - (blocks ? 1 : 0);
  const noiseExcess = Math.exp(theta[dim + 1]);
  const noise = noiseFloor + noiseExcess;
  // -log p(v) = log v + (log v - loc)² / (2 scale²) + const, whose mode is exp(loc - scale²).
  const addPrior = (idx: number, p: LogNormalPrior, logValue: number, dLog: number) => {
    const z = (logValue - p.loc) / p.scale;
    value += 0.5 * z * z + logValue;
    if (grad) grad[idx] += (z / p.scale + 1) * dLog;
  };
  for (let k = 0; k < dim; k++) addPrior(k, priors.lengthscale, theta[k], 1);
  addPrior(dim, priors.outputscale, theta[dim], 1);
  // Noise prior on log(noise); d log(noise) / dθ = noiseExcess / noise.
  addPrior(dim + 1, priors.noise, Math.log(noise), noiseExcess / noise);
  if (blocks) addPrior(dim + 3, priors.block ?? BLOCK_PRIOR, theta[dim + 3], 1);
  return value;
}
