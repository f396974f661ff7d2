/**
 * The strategy a chemist gets without choosing: a space-filling start, then an
 * exact GP with log expected improvement while one ask of it stays fast (by
 * its estimated cost, gp-cost.ts: about 540 results for one proposal in 6
 * dimensions within the default 2 s, about 320 for a batch of 8, fewer in more dimensions or for larger
 * batches), and an extremely-randomised-trees ensemble after that (where the
 * GP's cubic cost would make a proposal take many seconds). Both learn from failures and flag extrapolation. Each batch's
 * provenance names the strategy that produced it. Results measured in blocks
 * (plates, days) reach the trees net of the block offsets that a GP with
 * blocks estimates on a subsample (block-offsets.ts).
 */
import type { AskRequest, Proposal, Strategy, StrategyInfo } from '../strategy-interface.js';
import type { AcquisitionChoice } from '../acquisition/choice.js';
import { Encoder, type EncoderOptions } from './encoding.js';
import { netOfBlocks, type NetOfBlocks } from './block-offsets.js';
import type { BayesianStrategyOptions } from './bayesian-options.js';
import { BayesianStrategy } from './bayesian-strategy.js';
import { estimatedGpAskMs } from './gp-cost.js';
import { TreeEnsembleStrategy, type TreeStrategyOptions } from './tree-ensemble-strategy.js';

export interface DefaultStrategyOptions {
  /** Most observations modelled by the exact GP; when left out, the GP is kept while its estimated ask time is within `gpBudgetMs`. */
  gpLimit?: number;
  /** Estimated time of one ask of the exact GP (gp-cost.ts) up to which it is kept. Default 2,000 ms. */
  gpBudgetMs?: number;
  gp?: BayesianStrategyOptions;
  trees?: TreeStrategyOptions;
  /** Encoding for both models (their own `encoding` option wins). */
  encoding?: EncoderOptions;
  /** Acquisition for both models (their own `acquisition` option wins); default log EI. */
  acquisition?: AcquisitionChoice;
}

export class DefaultStrategy implements Strategy {
  private readonly gp: BayesianStrategy;
  private readonly trees: TreeEnsembleStrategy;
  private readonly gpLimit: number | undefined;
  private readonly gpBudgetMs: number;
  /** The estimated ask time of the GP for the last request (when no fixed gpLimit decided). */
  private lastEstimateMs: number | undefined;
  private readonly encoding: EncoderOptions | undefined;
  private last: Strategy;
  /** How the trees' last request was put net of block offsets, if its results came in blocks. */
  private lastBlocks: NetOfBlocks['summary'] | undefined;

  constructor(options: DefaultStrategyOptions = {}) {
    const { encoding, acquisition } = options;
    this.gp = new BayesianStrategy({ encoding, ...(acquisition ? { acquisition } : {}), ...options.gp });
    this.trees = new TreeEnsembleStrategy({ encoding, ...(acquisition ? { acquisition } : {}), ...options.trees });
    this.gpLimit = options.gpLimit;
    this.gpBudgetMs = options.gpBudgetMs ?? 2000;
    this.encoding = options.encoding;
    this.last = this.gp;
  }

  /** The strategy that made the last proposals, with its own settings. */
  get info(): StrategyInfo {
    const blocks = this.lastBlocks ? { netOfBlocks: { ...this.lastBlocks, by: 'a GP with blocks on a subsample' } } : {};
    const limit =
      this.gpLimit !== undefined
        ? { gpLimit: this.gpLimit }
        : { gpBudgetMs: this.gpBudgetMs, ...(this.lastEstimateMs !== undefined ? { gpEstimatedMs: Math.round(this.lastEstimateMs) } : {}) };
    return { name: this.last.info.name, settings: { chosenBy: 'default', ...limit, ...this.last.info.settings, ...blocks } };
  }

  /**
   * Which strategy a request with this many observations gets: the GP while
   * there are at most `gpLimit` when that is set, else while its estimated
   * ask time for `dim` encoded dimensions and a batch of `batch` is within
   * the budget.
   */
  choose(observations: number, dim = 6, batch = 1): Strategy {
    if (this.gpLimit !== undefined) return observations > this.gpLimit ? this.trees : this.gp;
    this.lastEstimateMs = estimatedGpAskMs(observations, dim, batch);
    return this.lastEstimateMs > this.gpBudgetMs ? this.trees : this.gp;
  }

  ask(request: AskRequest): Promise<Proposal[]> {
    const dim = new Encoder(request.space, this.encoding).dim;
    this.last = this.choose(request.observations.length, dim, request.n);
    this.lastBlocks = undefined;
    // The trees cannot learn block offsets as the GP does: they get the results net of the offsets a GP estimates.
    if (this.last === this.trees && request.observations.some((o) => o.block !== undefined)) {
      const net = netOfBlocks(request.space, request.observations, {
        limit: this.gpLimit ?? 200,
        seed: request.seed,
        encoding: this.encoding,
      });
      this.lastBlocks = net.summary;
      return this.trees.ask({ ...request, observations: net.observations });
    }
    return this.last.ask(request);
  }
}
