/**
 * Several objectives for a chemist who does not choose: the GP per outcome
 * (MultiObjectiveStrategy) while one of its asks is estimated within 10 s
 * (gp-cost.ts, the growing part once per outcome modelled: about 1,000
 * results for two objectives in 6 dimensions, 900 with a limit besides),
 * extremely randomised trees per outcome (MultiObjectiveTreesStrategy) after
 * that, as the one-objective DefaultStrategy does past 2 s. The budget is
 * larger than the one-objective default's because the trees give up more
 * here: 400 results into dtlz2_6, ten proposals by the GPs took the
 * hypervolume regret from -0.68 to -1.43 (log10), ten by the trees to -0.69,
 * ten uniform draws left it at -0.68 (bench/results/mo-trees-2026-12-08).
 * Each batch's provenance names the strategy that produced it and the
 * estimate that chose it.
 */
import type { StrategyInfo } from '../strategy-interface.js';
import { Encoder, type EncoderOptions } from '../bo/encoding.js';
import { estimatedMultiGpAskMs } from '../bo/gp-cost.js';
import { type MultiCandidateOptions, MultiObjectiveTreesStrategy } from './multi-candidate-strategy.js';
import type { MultiObjectiveOptions } from './multi-options.js';
import { type MultiAskRequest, type MultiProposal, MultiObjectiveStrategy, outcomeNames } from './multi-strategy.js';

/** The default estimated ask time of the GPs up to which MultiObjectiveDefaultStrategy keeps them. */
export const MULTI_GP_BUDGET_MS = 10_000;

export interface MultiDefaultOptions {
  /** Estimated time of one ask of the GPs (estimatedMultiGpAskMs) up to which they are kept. Default 10,000 ms. */
  gpBudgetMs?: number;
  gp?: MultiObjectiveOptions;
  trees?: MultiCandidateOptions;
  /** Encoding for both (their own `encoding` option wins). */
  encoding?: EncoderOptions;
}

export class MultiObjectiveDefaultStrategy {
  private readonly gp: MultiObjectiveStrategy;
  private readonly trees: MultiObjectiveTreesStrategy;
  private readonly gpBudgetMs: number;
  private readonly encoding: EncoderOptions | undefined;
  private last: MultiObjectiveStrategy | MultiObjectiveTreesStrategy;
  private lastEstimateMs: number | undefined;

  constructor(options: MultiDefaultOptions = {}) {
    const { encoding } = options;
    this.gp = new MultiObjectiveStrategy({ encoding, ...options.gp });
    this.trees = new MultiObjectiveTreesStrategy({ encoding, ...options.trees });
    this.gpBudgetMs = options.gpBudgetMs ?? MULTI_GP_BUDGET_MS;
    this.encoding = encoding;
    this.last = this.gp;
  }

  /** The strategy that made the last proposals, with its own settings and the estimate that chose it. */
  get info(): StrategyInfo {
    const estimate = this.lastEstimateMs !== undefined ? { gpEstimatedMs: Math.round(this.lastEstimateMs) } : {};
    return {
      name: this.last.info.name,
      settings: { chosenBy: 'default', gpBudgetMs: this.gpBudgetMs, ...estimate, ...this.last.info.settings },
    };
  }

  /** Which strategy an ask gets: the GPs while their estimated ask time is within the budget, else the trees. */
  choose(observations: number, dim: number, batch: number, outcomes: number): MultiObjectiveStrategy | MultiObjectiveTreesStrategy {
    this.lastEstimateMs = estimatedMultiGpAskMs(observations, dim, batch, outcomes);
    return this.lastEstimateMs > this.gpBudgetMs ? this.trees : this.gp;
  }

  ask(request: MultiAskRequest): Promise<MultiProposal[]> {
    const dim = new Encoder(request.space, this.encoding).dim;
    const outcomes = outcomeNames(request.objectives, request.constraints ?? []).length;
    this.last = this.choose(request.observations.length, dim, request.n, outcomes);
    return this.last.ask(request);
  }
}
