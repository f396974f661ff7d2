import type { AcquisitionChoice } from '../acquisition/choice.js';
import type { GpOptions } from '../surrogates/gp.js';
import type { EncoderOptions } from './encoding.js';
import type { WarpMode } from './model.js';

/**
 * Options of BayesianStrategy. Each one left out takes its value from
 * BAYESIAN_DEFAULTS; the measurements behind the defaults are in
 * bench/results/README.md ("Figures behind the Bayesian strategy's defaults").
 */
export interface BayesianStrategyOptions {
  /** Design points (observed or pending) before the model takes over; default max(5, d + 1) (see initial-design.ts). */
  initialDesign?: number;
  /** Sobol candidates per acquisition search. */
  rawSamples?: number;
  /** Local searches per acquisition search. */
  starts?: number;
  /** Perturbations of the best observations added to the candidates. */
  localCandidates?: number;
  /** A proposal whose posterior sd is above this fraction of the prior sd is flagged as extrapolation. */
  extrapolationSd?: number;
  /** Outcome warping before the GP: 'none', 'log' or 'auto' (by evidence, see model.ts). */
  warp?: WarpMode;
  /** δ of the log warp as fractions of the median gap below the best; 'auto' picks by evidence. */
  warpFractions?: number[];
  /** Batches and pending points: 'believer' (Kriging believer), 'penalisation' (local penalisation) or 'fantasies' (see fantasy.ts). */
  batch?: 'believer' | 'penalisation' | 'fantasies';
  /** Posterior samples of the pending points with batch 'fantasies'. */
  fantasies?: number;
  /** Probability of an ε-greedy exploration step instead of LogEI (see explore.ts). */
  explore?: number;
  /** Options of the objective's GP (kernel, priors, restarts); defaults in gp.ts. */
  gp?: GpOptions;
  /** Stall escape (see stall-escape.ts): model-chosen evaluations without a significant improvement before it acts; 0 turns it off. */
  stallAfter?: number;
  /** A significant improvement, as a fraction of the gap between the best and the median outcome. */
  stallThreshold?: number;
  /** While stalled, a sequential ask escapes once every this many asks. */
  stallPeriod?: number;
  /**
   * Improvement margin of the escape's EI, in prior standard deviations of the
   * (warped) model: above 0 an escape also leaves the incumbent's basin in
   * continuous spaces (a trade between problems, see the benchmark notes).
   */
  stallMargin?: number;
  /**
   * Where the data look noiseless by the GP's evidence (see noiseless.ts): no
   * candidate within this distance of an evaluated, pending or chosen point, in
   * the model's lengthscales, and the acquisition on the noiseless model; 0 turns it off.
   */
  repeatRadius?: number;
  /** How categorical choices with descriptors and compositions reach the model (see EncoderOptions); default descriptors for both. */
  encoding?: EncoderOptions;
  /** The acquisition (see acquisition/choice.ts); default log EI. Batches 'fantasies' and 'penalisation' need a log-scale one (log EI; PI too for 'penalisation'). */
  acquisition?: AcquisitionChoice;
}

/** The options BayesianStrategy resolves to, recorded in its provenance (gp and encoding are recorded apart). */
export type ResolvedBayesianOptions = Required<Omit<BayesianStrategyOptions, 'initialDesign' | 'gp' | 'encoding' | 'acquisition'>> & {
  initialDesign?: number;
};

/**
 * The value of every option left out (initialDesign depends on the space, gp
 * and encoding have their own defaults). Chosen on the public ask/tell
 * problems; the figures are in bench/results/README.md.
 */
export const BAYESIAN_DEFAULTS: Readonly<Omit<ResolvedBayesianOptions, 'initialDesign' | 'warpFractions'>> & {
  readonly warpFractions: readonly number[];
} = Object.freeze({
  rawSamples: 1024,
  starts: 8,
  localCandidates: 64,
  extrapolationSd: 0.8,
  warp: 'auto',
  // The Kriging believer did better than local penalisation and fantasies on hartmann6 with batches of 4.
  batch: 'believer',
  fantasies: 8,
  explore: 0,
  warpFractions: Object.freeze([0.1, 0.3, 1]),
  stallAfter: 5,
  stallThreshold: 0.1,
  // Off: a margin helps hartmann6 and costs branin and levy6.
  stallMargin: 0,
  stallPeriod: 2,
  // Off: 0.01 halves the re-evaluations and helps the generated suite, but costs branin its last digits
  // (bench/results/repeats-2026-12-07).
  repeatRadius: 0,
});

/** The options with every one left out set from BAYESIAN_DEFAULTS (in the order the provenance has always listed them). */
export function resolveBayesianOptions(options: BayesianStrategyOptions): ResolvedBayesianOptions {
  const d = BAYESIAN_DEFAULTS;
  return {
    rawSamples: options.rawSamples ?? d.rawSamples,
    starts: options.starts ?? d.starts,
    localCandidates: options.localCandidates ?? d.localCandidates,
    extrapolationSd: options.extrapolationSd ?? d.extrapolationSd,
    warp: options.warp ?? d.warp,
    batch: options.batch ?? d.batch,
    fantasies: options.fantasies ?? d.fantasies,
    explore: options.explore ?? d.explore,
    warpFractions: options.warpFractions ?? [...d.warpFractions],
    stallAfter: options.stallAfter ?? d.stallAfter,
    stallThreshold: options.stallThreshold ?? d.stallThreshold,
    stallMargin: options.stallMargin ?? d.stallMargin,
    stallPeriod: options.stallPeriod ?? d.stallPeriod,
    repeatRadius: options.repeatRadius ?? d.repeatRadius,
    initialDesign: options.initialDesign,
  };
}
