import type { EncoderOptions } from '../bo/encoding.js';
import type { GpOptions } from '../surrogates/gp.js';

/**
 * Options of MultiObjectiveStrategy. Each one left out takes its value from
 * MULTI_OBJECTIVE_DEFAULTS; the measurements behind them are in
 * bench/results/multiobjective-*\/README.md.
 */
export interface MultiObjectiveOptions {
  /**
   * 'ehvi': expected hypervolume improvement by Monte Carlo over the GP
   * posteriors (qNEHVI-style, sequential greedy over the batch); 'parego':
   * a random augmented Chebyshev scalarisation per proposal with log EI;
   * 'auto': EHVI up to `maxEhviObjectives` objectives, ParEGO above.
   */
  acquisition?: 'auto' | 'ehvi' | 'parego';
  /** Above this many objectives 'auto' takes ParEGO (the exact hypervolume's cost grows fast with the objectives). */
  maxEhviObjectives?: number;
  /** Quasi-random (scrambled Sobol) base samples of the posterior per acquisition. */
  mcSamples?: number;
  /**
   * EHVI over the noisy baseline (qNEHVI): the observed points that may be on
   * the front are sampled jointly with each candidate, rather than the front
   * taken as the posterior means at the observed points.
   */
  noisyBaseline?: boolean;
  /**
   * Quasi-random base samples per acquisition over a pool's rows, where every
   * free row is scored once per pick (no search): more samples rank close rows
   * with less Monte Carlo error at little cost. Above POOL_SAMPLE_BUDGET
   * sample-rows per pick it falls, not below `mcSamples`.
   */
  poolMcSamples?: number;
  /** Sobol candidates per acquisition search. */
  rawSamples?: number;
  /** Local searches per acquisition search. */
  starts?: number;
  /** Perturbations of the front's points added to the candidates. */
  localCandidates?: number;
  /** ρ of the augmented Chebyshev scalarisation min_i w_i y_i + ρ Σ w_i y_i (ParEGO's 0.05). */
  paregoRho?: number;
  /** Reference point inferred when not given: the worst observed value of each objective, this fraction of its observed range worse. */
  refMargin?: number;
  /** Design points (observed or pending) before the models take over; default max(5, d + 1) (see initial-design.ts). */
  initialDesign?: number;
  /**
   * Pools with features: categorical parameters of more choices than this are
   * left to the features (see encodePool). 0 (the default): the features
   * alone, which describe the rows; one-hot blocks beside them add dimensions
   * that the one GP per outcome cannot learn from a few dozen rows.
   */
  poolMaxOneHot?: number;
  /** Options of every outcome's GP (kernel, priors, restarts); defaults in OUTCOME_GP_DEFAULTS (searched spaces), then gp.ts. */
  gp?: GpOptions;
  /** How categorical choices with descriptors and compositions reach the model (see EncoderOptions). */
  encoding?: EncoderOptions;
}

export type ResolvedMultiObjectiveOptions = Required<Omit<MultiObjectiveOptions, 'initialDesign' | 'gp' | 'encoding'>> & {
  initialDesign?: number;
};

/** The value of every option left out (initialDesign depends on the space, gp and encoding have their own defaults). */
export const MULTI_OBJECTIVE_DEFAULTS: Readonly<Omit<ResolvedMultiObjectiveOptions, 'initialDesign'>> = Object.freeze({
  acquisition: 'auto',
  maxEhviObjectives: 4,
  // BoTorch's qNEHVI recipe uses 128 QMC samples and 512 raw samples.
  mcSamples: 128,
  // 512 did as well or better than 128 on every seed of arylation_mo (see the benchmark README).
  poolMcSamples: 512,
  noisyBaseline: false,
  rawSamples: 512,
  starts: 8,
  // 128 did better than 32 on branincurrin and dtlz2_6 (see the benchmark README).
  localCandidates: 128,
  paregoRho: 0.05,
  refMargin: 0.1,
  // Features alone did better on arylation_mo (see the benchmark README).
  poolMaxOneHot: 0,
});

export function resolveMultiObjectiveOptions(options: MultiObjectiveOptions): ResolvedMultiObjectiveOptions {
  const d = MULTI_OBJECTIVE_DEFAULTS;
  return {
    acquisition: options.acquisition ?? d.acquisition,
    maxEhviObjectives: options.maxEhviObjectives ?? d.maxEhviObjectives,
    mcSamples: options.mcSamples ?? d.mcSamples,
    noisyBaseline: options.noisyBaseline ?? d.noisyBaseline,
    poolMcSamples: options.poolMcSamples ?? d.poolMcSamples,
    rawSamples: options.rawSamples ?? d.rawSamples,
    starts: options.starts ?? d.starts,
    localCandidates: options.localCandidates ?? d.localCandidates,
    paregoRho: options.paregoRho ?? d.paregoRho,
    refMargin: options.refMargin ?? d.refMargin,
    poolMaxOneHot: options.poolMaxOneHot ?? d.poolMaxOneHot,
    initialDesign: options.initialDesign,
  };
}

/** Sample-rows per pick (base samples x free rows) within which a pool takes all its poolMcSamples. */
export const POOL_SAMPLE_BUDGET = 2 ** 20;

/** The base samples of a pool's acquisition over `rows` free rows (see poolMcSamples). */
export function poolSamples(options: ResolvedMultiObjectiveOptions, rows: number): number {
  const fit = Math.floor(POOL_SAMPLE_BUDGET / Math.max(1, rows));
  return Math.max(options.mcSamples, Math.min(options.poolMcSamples, fit));
}

/**
 * What the outcome GPs of a searched space (not a pool's) take unless the
 * options' gp says otherwise: one fit from the priors' modes per ask, no
 * restarts, no screened prior draws and no warm start from the last ask. The
 * extra starts find fits of higher posterior with long lengthscales that
 * extrapolate far from the data, where EHVI then sees wide posteriors at the
 * corners of the space: on dtlz2_6 in batches of 4 every proposal of several
 * asks went there. From the modes alone did better there in batches and one
 * at a time, and as well on branincurrin (with and without a limit); on a
 * pool (arylation_mo), which has no corners to search, it did worse, so pools
 * keep gp.ts's defaults. Figures in bench/results/multiobjective-2026-12-07b/batches.md.
 */
export const OUTCOME_GP_DEFAULTS: Readonly<GpOptions> = Object.freeze({ restarts: 0, candidates: 0, warmStart: false });

/** The outcome GPs' options: OUTCOME_GP_DEFAULTS under the ones given. */
export function outcomeGpOptions(gp: GpOptions | undefined): GpOptions {
  return { ...OUTCOME_GP_DEFAULTS, ...gp };
}
