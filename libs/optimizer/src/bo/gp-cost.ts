/**
 * The estimated time of one cold ask of the exact-GP strategy (a strategy
 * built for the ask, as the service does): the hyperparameter fit (a fit on a
 * 256-point subsample, then about six evaluations of the marginal likelihood
 * on all N points, each a Cholesky factorisation and an inverse, N³, plus the
 * kernel and its gradient, N² d) and the acquisition search (a few thousand
 * posterior evaluations, each a triangular solve, N², per point of the
 * batch). The constants are from `npm run bench:gp` on a 2-core machine
 * (2026-12-07: 0.75 s per likelihood evaluation and 1.4 s of acquisition
 * search at N = 1,000, d = 6; since 2026-12-07b the likelihood's inverse
 * and the search are faster, about 0.6 s and 0.3–0.4 s: the search's
 * gradient is analytic and its raw candidates are screened by a bound).
 * An estimate, not a measurement, so that the same data get the same
 * strategy on every machine.
 */
const FIXED_MS = 500;
const CUBIC_MS = 0.36e-6;
const KERNEL_MS = 0.05e-3;
const EVALUATIONS = 6;
const SEARCH_MS = 0.4e-3;

export function estimatedGpAskMs(n: number, dim: number, batch: number): number {
  const likelihood = CUBIC_MS * n ** 3 + KERNEL_MS * n * n * dim;
  const search = SEARCH_MS * n * n * ((1 + dim / 6) / 2) * Math.max(1, batch);
  return FIXED_MS + EVALUATIONS * likelihood + search;
}

/**
 * The estimated time of one cold ask of the several-objective GP strategy
 * with `outcomes` GPs (objectives and limited outcomes): the fixed part once,
 * the part that grows with N (fits and the search through every GP's
 * posterior) once per outcome. Against the one-objective ask on the same
 * points (dtlz2 in 6-D, a loaded 2-core machine) two GPs took 2.2–2.3 times
 * as long at N = 200 and 400, three 3.5 times at N = 400
 * (bench/results/mo-trees-2026-12-08).
 */
export function estimatedMultiGpAskMs(n: number, dim: number, batch: number, outcomes: number): number {
  return FIXED_MS + Math.max(1, outcomes) * (estimatedGpAskMs(n, dim, batch) - FIXED_MS);
}
