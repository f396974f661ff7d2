/**
 * Fitting the GP's hyperparameters (MAP: log marginal likelihood plus
 * log-priors, mll.ts) by L-BFGS-B in log space, in three ways:
 *
 * - `optimise`: from the prior's mode and the last fit (and, up to 100
 *   points, from the best of random prior draws), to convergence or 200
 *   iterations (50 above 100 points). Every fit up to 100 points.
 * - `subsampled`: above 100 points, the same on a random subsample of 256
 *   points (each objective evaluation is cubic in the points: about 60 times
 *   cheaper at 1,000), then a few iterations on each doubled subsample up to
 *   three quarters of the data, then a few on all the data from there.
 * - `refine`: a few iterations on all the data from the last fit (a warm
 *   refit, when the data grew by a few points since).
 */
import { Rng } from '#random';
import { minimizeLbfgs } from '../linalg/lbfgs.js';
import type { GpHyperparameters } from './gp.js';
import { BLOCK_PRIOR, type GpPriors, MllData } from './mll.js';

const MIN_LOG_LS = Math.log(5e-3);
const LOG_OS = [Math.log(1e-2), Math.log(1e2)];
const LOG_NOISE = [Math.log(1e-8), Math.log(4)];
const MEAN = [-5, 5];
const LOG_BLOCK = [Math.log(1e-6), Math.log(10)];
/** Above this many points the fit defaults to the warm start only, without screening, and 50 iterations. */
export const LARGE = 100;
/** Points of the subsample that a fit above LARGE points starts from. */
export const SUBSAMPLE = 256;
/** L-BFGS iterations on each doubled subsample between the first one and all the data. */
const STEP_ITERATIONS = 6;

export interface FitSettings {
  priors: GpPriors;
  noiseFloor: number;
  maxLengthscale: number;
  candidates?: number;
  restarts?: number;
  maxIterations?: number;
  seed?: number;
}

export interface FitResult {
  /** The parameter vector (see mll.ts) at the optimum. */
  theta: Float64Array;
  /** The objective there: -(log marginal likelihood + log prior), standardised units. */
  value: number;
}

export class HyperparameterFit {
  readonly lower: Float64Array;
  readonly upper: Float64Array;
  private readonly P: number;

  constructor(
    private readonly settings: FitSettings,
    private readonly dim: number,
    private readonly blocks: boolean,
  ) {
    this.P = dim + 3 + (blocks ? 1 : 0);
    this.lower = new Float64Array(this.P);
    this.upper = new Float64Array(this.P);
    if (blocks) [this.lower[dim + 3], this.upper[dim + 3]] = LOG_BLOCK;
    for (let k = 0; k < dim; k++) [this.lower[k], this.upper[k]] = [MIN_LOG_LS, Math.log(settings.maxLengthscale)];
    [this.lower[dim], this.upper[dim]] = LOG_OS;
    [this.lower[dim + 1], this.upper[dim + 1]] = LOG_NOISE;
    [this.lower[dim + 2], this.upper[dim + 2]] = MEAN;
  }

  /** Whether a parameter vector from an earlier fit fits this one's shape. */
  accepts(theta: Float64Array | undefined): theta is Float64Array {
    return theta !== undefined && theta.length === this.P;
  }

  /** The start at the priors' modes. */
  base(): Float64Array {
    const { dim } = this;
    const { priors } = this.settings;
    const blockPrior = priors.block ?? BLOCK_PRIOR;
    const base = new Float64Array(this.P);
    if (this.blocks) base[dim + 3] = Math.max(LOG_BLOCK[0], blockPrior.loc - blockPrior.scale ** 2);
    for (let k = 0; k < dim; k++)
      base[k] = Math.min(this.upper[k], Math.max(this.lower[k], priors.lengthscale.loc - priors.lengthscale.scale ** 2));
    base[dim] = 0;
    base[dim + 1] = Math.max(LOG_NOISE[0], priors.noise.loc - priors.noise.scale ** 2);
    base[dim + 2] = 0;
    return base;
  }

  /** The full fit (see the file's comment); `warm` is the last fit's vector, if any. */
  optimise(data: MllData, warm: Float64Array | undefined): FitResult {
    const { dim } = this;
    const { priors } = this.settings;
    const blockPrior = priors.block ?? BLOCK_PRIOR;
    const grad = new Float64Array(this.P);
    const safe = (t: Float64Array) => this.safeObjective(data, t, grad);
    const base = this.base();
    // Large data sets (each objective evaluation is O(n³)): fewer starts and iterations by default.
    const large = data.n > LARGE;
    const starts: Float64Array[] = large && warm ? [warm] : warm ? [base, warm] : [base];
    const rng = new Rng(this.settings.seed ?? data.n * 7919 + dim);
    const screened: { t: Float64Array; v: number }[] = [];
    for (let c = 0; c < (this.settings.candidates ?? (large ? 0 : 16)); c++) {
      const t = new Float64Array(this.P);
      if (this.blocks) t[dim + 3] = blockPrior.loc - blockPrior.scale ** 2 + rng.normal();
      for (let k = 0; k < dim; k++)
        t[k] = priors.lengthscale.loc - priors.lengthscale.scale ** 2 + priors.lengthscale.scale * 0.7 * rng.normal();
      t[dim] = priors.outputscale.loc + 0.5 * rng.normal();
      t[dim + 1] = priors.noise.loc - priors.noise.scale ** 2 + rng.normal();
      t[dim + 2] = 0.5 * rng.normal();
      for (let k = 0; k < t.length; k++) t[k] = Math.min(this.upper[k], Math.max(this.lower[k], t[k]));
      screened.push({ t, v: safe(t) });
    }
    screened.sort((a, b) => a.v - b.v);
    for (let r = 0; r < (this.settings.restarts ?? (large ? 0 : 2)) && r < screened.length; r++) starts.push(screened[r].t);

    let best: FitResult | undefined;
    for (const s of starts) {
      if (!Number.isFinite(safe(s))) continue;
      const res = this.refine(data, s, this.settings.maxIterations ?? (large ? 50 : 200));
      if (!best || res.value < best.value) best = res;
    }
    if (!best) throw new Error('GP hyperparameter fit failed from every start');
    return best;
  }

  /** L-BFGS-B from `start` for at most `iterations` iterations on all of `data`. */
  refine(data: MllData, start: Float64Array, iterations: number): FitResult {
    const res = minimizeLbfgs((t, g) => this.safeObjective(data, t, g), start, {
      lower: this.lower,
      upper: this.upper,
      maxIterations: iterations,
      gradientTolerance: 1e-5,
      functionTolerance: 1e-13,
    });
    return { theta: res.x, value: res.value };
  }

  /**
   * A full fit on a random subsample of SUBSAMPLE points (from the priors'
   * modes and from `warm`), then `iterations` iterations on all the data
   * from its optimum.
   */
  subsampled(data: MllData, warm: Float64Array | undefined, iterations: number): FitResult {
    const n = data.n;
    const rng = new Rng(this.settings.seed ?? n * 7919 + this.dim);
    // A random order of the points; nested subsamples are its prefixes.
    const index = Array.from({ length: n }, (_, i) => i);
    for (let i = 0; i < n - 1; i++) {
      const j = i + rng.int(n - i);
      [index[i], index[j]] = [index[j], index[i]];
    }
    const grad = new Float64Array(this.P);
    let best: FitResult | undefined;
    const first = this.prefix(data, index, SUBSAMPLE);
    for (const s of warm ? [this.base(), warm] : [this.base()]) {
      if (!Number.isFinite(this.safeObjective(first, s, grad))) continue;
      const res = this.refine(first, s, this.settings.maxIterations ?? 50);
      if (!best || res.value < best.value) best = res;
    }
    if (!best) throw new Error('GP hyperparameter fit failed from every start');
    // Doubling subsamples up to three quarters of the data, a few iterations each: the optimum moves as points are added.
    for (let m = 2 * SUBSAMPLE; 4 * m <= 3 * n; m *= 2) best = this.refine(this.prefix(data, index, m), best.theta, STEP_ITERATIONS);
    return this.refine(data, best.theta, iterations);
  }

  /** The first m points of `index`, in their original order. */
  private prefix(data: MllData, index: number[], m: number): MllData {
    const chosen = index.slice(0, Math.min(m, data.n)).sort((a, b) => a - b);
    return new MllData(
      chosen.map((i) => data.X[i]),
      Float64Array.from(chosen, (i) => data.y[i]),
      data.shape,
      data.blocks ? Int32Array.from(chosen, (i) => (data.blocks as Int32Array)[i]) : undefined,
    );
  }

  /** Hyperparameters from a parameter vector. */
  hyperparameters(t: Float64Array): GpHyperparameters {
    const { dim } = this;
    return {
      lengthscales: Array.from(t.subarray(0, dim), (v) => Math.exp(v)),
      outputscale: Math.exp(t[dim]),
      noise: this.settings.noiseFloor + Math.exp(t[dim + 1]),
      mean: t[dim + 2],
      ...(this.blocks ? { blockVariance: Math.exp(t[dim + 3]) } : {}),
    };
  }

  /**
   * The same model in another standardisation: a vector fitted to
   * (y - m0) / s0, for (y - m1) / s1 (variances scale by (s0 / s1)², the
   * constant mean moves), clamped to the bounds.
   */
  restandardised(t: Float64Array, from: { shift: number; scale: number }, to: { shift: number; scale: number }): Float64Array {
    const { dim } = this;
    const out = Float64Array.from(t);
    const r2 = (from.scale / to.scale) ** 2;
    const floor = this.settings.noiseFloor;
    out[dim] = t[dim] + Math.log(r2);
    out[dim + 1] = Math.log(Math.max((floor + Math.exp(t[dim + 1])) * r2 - floor, 1e-300));
    out[dim + 2] = (t[dim + 2] * from.scale + from.shift - to.shift) / to.scale;
    if (this.blocks) out[dim + 3] = t[dim + 3] + Math.log(r2);
    for (let k = 0; k < out.length; k++) out[k] = Math.min(this.upper[k], Math.max(this.lower[k], out[k]));
    return out;
  }

  private safeObjective(data: MllData, t: Float64Array, g: Float64Array): number {
    try {
      return data.objective(t, g, this.settings.priors, this.settings.noiseFloor);
    } catch {
      return Infinity;
    }
  }
}
