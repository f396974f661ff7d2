/**
 * Re-measurements of a noiseless function. A second evaluation at (or a hair
 * from) an evaluated point tells nothing new when the function is measured
 * without noise, yet log EI often peaks there: the GP's fitted noise (a
 * nugget that absorbs misfit even on noiseless data) leaves a posterior sd at
 * the incumbent of the order of the nugget's, while EI elsewhere, against an
 * incumbent far above the rest, is smaller still.
 *
 * Whether the data are noiseless is a question of evidence: the fitted GP's
 * marginal likelihood is compared with the same GP's with negligible noise
 * (kernel, lengthscales and mean unchanged, so the test leans towards noise).
 * When negligible noise explains the data within NOISE_EVIDENCE nats, the
 * acquisition uses that model, and candidates within a small distance of an
 * evaluated (or pending, or already chosen) point, measured in the model's
 * lengthscales, are not proposed. With material noise nothing changes:
 * re-measuring can then pay. Off by default (BayesianStrategyOptions.repeatRadius
 * 0): what it did on the generated suite and the public problems is in
 * bench/results/repeats-2026-12-07.
 */
import type { GaussianProcess } from '../surrogates/gp.js';

/** The noise variance (standardised units) of the noiseless model. */
export const NEGLIGIBLE_NOISE = 1e-6;
/** Nats by which the fitted noise must explain the data better than negligible noise for them to count as noisy. */
export const NOISE_EVIDENCE = 2;

/**
 * The GP with negligible noise when the data are as likely under it (within
 * NOISE_EVIDENCE nats) as under the fitted noise; undefined when the noise is
 * material, or when the noiseless covariance needed more jitter than the
 * fitted noise (the test could not be made).
 */
export function noiselessModel(gp: GaussianProcess): GaussianProcess | undefined {
  const fitted = gp.hyperparameters.noise;
  if (fitted <= NEGLIGIBLE_NOISE) return gp;
  const quiet = gp.withNoise(NEGLIGIBLE_NOISE);
  if (quiet.addedJitter >= fitted) return undefined;
  return quiet.dataLogLikelihood >= gp.dataLogLikelihood - NOISE_EVIDENCE ? quiet : undefined;
}

/**
 * Whether x lies within `radius` of one of `points`, in the scaled distance
 * sqrt(Σ ((x_k - p_k) / ℓ_k)²) of the lengthscales ℓ (encoded coordinates).
 */
export function nearAny(points: readonly (readonly number[])[], lengthscales: readonly number[], radius: number): (x: readonly number[]) => boolean {
  const inv = lengthscales.map((l) => 1 / l);
  const r2 = radius * radius;
  return (x) => {
    for (const p of points) {
      let s = 0;
      for (let k = 0; k < x.length && s < r2; k++) {
        const d = (x[k] - p[k]) * inv[k];
        s += d * d;
      }
      if (s < r2) return true;
    }
    return false;
  };
}
