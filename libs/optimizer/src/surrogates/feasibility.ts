/**
 * Feasibility model: GP regression on ±1 labels (feasible = +1), squashed
 * through a probit: P(feasible) = Φ(mean / √(variance + tau²)). A cheap
 * stand-in for a GP classifier that still learns lengthscales from data.
 */
import { normalCdf } from '../stats/normal.js';
import { GaussianProcess, type GpOptions } from './gp.js';
import type { Posterior, Surrogate } from './surrogate.js';
import { defaultPriors } from './mll.js';

export class FeasibilityModel implements Surrogate {
  private readonly gp: GaussianProcess;

  constructor(
    dim: number,
    readonly tau = 0.5,
    options: GpOptions = {},
  ) {
    const priors = defaultPriors(dim);
    // Labels are not smooth at the boundary: allow more noise than for objectives.
    this.gp = new GaussianProcess({ priors: { ...priors, noise: { loc: -2, scale: 1 } }, ...options });
  }

  /** `y` holds 1 for feasible, 0 for failed points. */
  fit(X: number[][], y: number[]): void {
    this.gp.fit(
      X,
      y.map((v) => (v > 0.5 ? 1 : -1)),
    );
  }

  /** Posterior of the latent feasibility score (positive = feasible). */
  posterior(X: number[][]): Posterior {
    return this.gp.posterior(X);
  }

  probability(X: number[][]): Float64Array {
    const { mean, variance } = this.posterior(X);
    return Float64Array.from(mean, (m, i) => normalCdf(m / Math.sqrt(variance[i] + this.tau * this.tau)));
  }
}
