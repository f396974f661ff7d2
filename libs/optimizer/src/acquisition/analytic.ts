/**
 * Analytic acquisition functions for maximisation. Each sees a model only
 * through `posterior(X) -> {mean, variance}`. Scalar forms take the posterior
 * mean and standard deviation at one point and the incumbent (best value).
 */
import type { Surrogate } from '../surrogates/surrogate.js';
import { dLogH, h, logH, logNormalCdf, normalCdf, normalPdf } from '../stats/normal.js';

const MIN_SD = 1e-12;

/** Expected improvement E[max(f - best, 0)] for f ~ N(mean, sd²). */
export function expectedImprovement(mean: number, sd: number, best: number): number {
  if (sd < MIN_SD) return Math.max(mean - best, 0);
  return sd * h((mean - best) / sd);
}

/** log EI, finite where EI underflows to 0 (log-h formulation). */
export function logExpectedImprovement(mean: number, sd: number, best: number): number {
  const s = Math.max(sd, MIN_SD);
  return logH((mean - best) / s) + Math.log(s);
}

/** Partial derivatives of a scalar acquisition a(mean, sd): out[0] = ∂a/∂mean, out[1] = ∂a/∂sd. */
export type ScalarPartials = (mean: number, sd: number, out: Float64Array) => void;

/** ∂/∂mean and ∂/∂sd of expectedImprovement: Φ(z) and φ(z) (below the smallest sd: those of max(mean - best, 0)). */
export function expectedImprovementPartials(mean: number, sd: number, best: number, out: Float64Array): void {
  if (sd < MIN_SD) {
    out[0] = mean > best ? 1 : 0;
    out[1] = 0;
    return;
  }
  const z = (mean - best) / sd;
  out[0] = normalCdf(z);
  out[1] = normalPdf(z);
}

/**
 * ∂/∂mean and ∂/∂sd of logExpectedImprovement: with ρ = d log h / dz,
 * ρ / sd and (1 - z ρ) / sd (∂/∂sd is zero below the smallest sd, where the sd is clamped).
 */
export function logExpectedImprovementPartials(mean: number, sd: number, best: number, out: Float64Array): void {
  const s = Math.max(sd, MIN_SD);
  const z = (mean - best) / s;
  const rho = dLogH(z);
  out[0] = rho / s;
  out[1] = sd < MIN_SD ? 0 : (1 - z * rho) / s;
}

/** Upper confidence bound mean + kappa sd. */
export function upperConfidenceBound(mean: number, sd: number, kappa: number): number {
  return mean + kappa * sd;
}

/** Probability of improvement P(f > best). */
export function probabilityOfImprovement(mean: number, sd: number, best: number): number {
  return normalCdf((mean - best) / Math.max(sd, MIN_SD));
}

/** log P(f > best), finite far below the incumbent. */
export function logProbabilityOfImprovement(mean: number, sd: number, best: number): number {
  return logNormalCdf((mean - best) / Math.max(sd, MIN_SD));
}

/** An acquisition function over points of the model's input space (larger is better). */
export interface Acquisition {
  readonly name: string;
  evaluate(X: number[][]): Float64Array;
  /**
   * The value at x (the same as evaluate([x])[0]) with its gradient with
   * respect to x written into `grad` (length of x); absent where the
   * acquisition or its model has none (the local search then takes finite
   * differences).
   */
  readonly gradient?: (x: number[], grad: Float64Array) => number;
  /**
   * An upper bound on evaluate(X) at each point, cheaper than it (for
   * screening candidates: a candidate whose bound is below the values
   * already found need not be evaluated); absent where there is none.
   */
  readonly bound?: (X: number[][]) => Float64Array | undefined;
}

type Scalar = (mean: number, sd: number) => number;

class PointwiseAcquisition implements Acquisition {
  constructor(
    readonly name: string,
    private readonly model: Surrogate,
    private readonly f: Scalar,
  ) {}

  evaluate(X: number[][]): Float64Array {
    if (X.length === 0) return new Float64Array(0);
    const { mean, variance } = this.model.posterior(X);
    const out = new Float64Array(X.length);
    for (let i = 0; i < X.length; i++) out[i] = this.f(mean[i], Math.sqrt(Math.max(variance[i], 0)));
    return out;
  }
}

export function logEI(model: Surrogate, best: number): Acquisition {
  return new PointwiseAcquisition('logEI', model, (m, s) => logExpectedImprovement(m, s, best));
}

export function EI(model: Surrogate, best: number): Acquisition {
  return new PointwiseAcquisition('EI', model, (m, s) => expectedImprovement(m, s, best));
}

export function UCB(model: Surrogate, kappa: number): Acquisition {
  return new PointwiseAcquisition('UCB', model, (m, s) => upperConfidenceBound(m, s, kappa));
}

export function PI(model: Surrogate, best: number): Acquisition {
  return new PointwiseAcquisition('PI', model, (m, s) => probabilityOfImprovement(m, s, best));
}

export function logPI(model: Surrogate, best: number): Acquisition {
  return new PointwiseAcquisition('logPI', model, (m, s) => logProbabilityOfImprovement(m, s, best));
}

/**
 * log P(feasible) from a model of a feasibility score (positive = feasible,
 * e.g. a GP regression on ±1 labels): Φ(mean / √(variance + tau²)), a probit
 * squashing in which tau sets how sharp the learned boundary is.
 */
export function logProbabilityFeasible(classifier: Surrogate, tau = 0.5): Acquisition {
  return new PointwiseAcquisition('logPFeasible', classifier, (m, s) => logNormalCdf(m / Math.sqrt(s * s + tau * tau)));
}

/** Sum of log-scale acquisitions, e.g. log EI + log P(feasible) (EI × P(feasible)). */
export function sumOf(name: string, parts: readonly Acquisition[]): Acquisition {
  return {
    name,
    evaluate(X: number[][]): Float64Array {
      const out = new Float64Array(X.length);
      for (const p of parts) {
        const v = p.evaluate(X);
        for (let i = 0; i < X.length; i++) out[i] += v[i];
      }
      return out;
    },
  };
}
