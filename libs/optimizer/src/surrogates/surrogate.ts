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

/** A surrogate that can also give the joint posterior (for Thompson sampling on a candidate set). */
export interface JointSurrogate extends Surrogate {
  /** Mean and full covariance (row-major m x m) at m points. */
  jointPosterior(X: number[][]): { mean: Float64Array; covariance: Float64Array };
}

export function isJointSurrogate(s: Surrogate): s is JointSurrogate {
  return typeof (s as Partial<JointSurrogate>).jointPosterior === 'function';
}
