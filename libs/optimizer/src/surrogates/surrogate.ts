/**
 * A probabilistic model of an objective over the unit cube. An acquisition
 * function sees a model only through `posterior` (as in BoTorch).
 */
export interface Posterior {
  /** Posterior mean of the latent function at each point. */
  mean: Float64Array;
  /** Posterior variance of the latent function (observation noise excluded). */
  variance: Float64Array;
}

export interface Surrogate {
  fit(X: number[][], y: number[]): void | Promise<void>;
  posterior(X: number[][]): Posterior;
  /**
   * The posterior, computed asynchronously: for a model whose device reads
   * results back asynchronously only (TensorFlow.js on WebGPU). Callers that
   * can await prefer it where present.
   */
  posteriorAsync?(X: number[][]): Promise<Posterior>;
}

/** A model's posterior, read asynchronously where the model can (see posteriorAsync), else synchronously. */
export function readPosterior(model: Surrogate, X: number[][]): Promise<Posterior> | Posterior {
  return model.posteriorAsync ? model.posteriorAsync(X) : model.posterior(X);
}

/** A surrogate that can also give the gradient of its posterior at a point (for the acquisition's local search). */
export interface DifferentiableSurrogate extends Surrogate {
  /**
   * Mean and variance at x, as `posterior([x])` gives them, with their
   * gradients with respect to x written into `dMean` and `dVariance`.
   */
  posteriorGradient(x: readonly number[], dMean: Float64Array, dVariance: Float64Array): { mean: number; variance: number };
}

export function isDifferentiableSurrogate(s: Surrogate): s is DifferentiableSurrogate {
  return typeof (s as Partial<DifferentiableSurrogate>).posteriorGradient === 'function';
}

/** A surrogate that can bound its posterior variance cheaply (for screening an acquisition's candidates). */
export interface BoundedSurrogate extends Surrogate {
  /**
   * The posterior mean at each point, as `posterior` gives it, and an upper
   * bound on each posterior variance; undefined where the model has none.
   */
  posteriorBound(X: number[][]): { mean: Float64Array; varianceBound: Float64Array } | undefined;
}

export function isBoundedSurrogate(s: Surrogate): s is BoundedSurrogate {
  return typeof (s as Partial<BoundedSurrogate>).posteriorBound === 'function';
}

/** A surrogate that can also give the joint posterior (for Thompson sampling on a candidate set). */
export interface JointSurrogate extends Surrogate {
  /** Mean and full covariance (row-major m x m) at m points. */
  jointPosterior(X: number[][]): { mean: Float64Array; covariance: Float64Array };
}

export function isJointSurrogate(s: Surrogate): s is JointSurrogate {
  return typeof (s as Partial<JointSurrogate>).jointPosterior === 'function';
}
