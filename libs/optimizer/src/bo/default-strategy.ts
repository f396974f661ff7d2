/**
 * The strategy a chemist gets without choosing: a space-filling start, then an
 * exact GP with log expected improvement while data are scarce (where the
 * GP's calibrated uncertainty matters most and its cubic cost does not), and
 * an extremely-randomised-trees ensemble once the campaign has more
 * observations than `gpLimit` (where an exact GP would take minutes per
 * proposal). Both learn from failures and flag extrapolation. Each batch's
 * provenance names the strategy that produced it. Results measured in blocks
 * (plates, days) reach the trees net of the block offsets that a GP with
 * blocks estimates on a subsample (block-offsets.ts).
 */
import type { AskRequest, Proposal, Strategy, StrategyInfo } from '../strategy-interface.js';
import type { AcquisitionChoice } from '../acquisition/choice.js';
import type { EncoderOptions } from './encoding.js';
import { netOfBlocks, type NetOfBlocks } from './block-offsets.js';
import type { BayesianStrategyOptions } from './bayesian-options.js';
import { BayesianStrategy } from './bayesian-strategy.js';
import { TreeEnsembleStrategy, type TreeStrategyOptions } from './tree-ensemble-strategy.js';

export interface DefaultStrategyOptions {
  /** Most observations modelled by the exact GP. Default 200 (about a second per proposal on 2 cores; an exact GP is cubic in N). */
  gpLimit?: number;
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
  private readonly gpLimit: number;
  private readonly encoding: EncoderOptions | undefined;
  private last: Strategy;
  /** How the trees' last request was put net of block offsets, if its results came in blocks. */
  private lastBlocks: NetOfBlocks['summary'] | undefined;

  constructor(options: DefaultStrategyOptions = {}) {
    const { encoding, acquisition } = options;
    this.gp = new BayesianStrategy({ encoding, ...(acquisition ? { acquisition } : {}), ...options.gp });
    this.trees = new TreeEnsembleStrategy({ encoding, ...(acquisition ? { acquisition } : {}), ...options.trees });
    this.gpLimit = options.gpLimit ?? 200;
    this.encoding = options.encoding;
    this.last = this.gp;
  }

  /** The strategy that made the last proposals, with its own settings. */
  get info(): StrategyInfo {
    const blocks = this.lastBlocks ? { netOfBlocks: { ...this.lastBlocks, by: 'a GP with blocks on a subsample' } } : {};
    return { name: this.last.info.name, settings: { chosenBy: 'default', gpLimit: this.gpLimit, ...this.last.info.settings, ...blocks } };
  }

  /** Which strategy a request with this many observations gets. */
  choose(observations: number): Strategy {
    return observations > this.gpLimit ? this.trees : this.gp;
  }

  ask(request: AskRequest): Promise<Proposal[]> {
    this.last = this.choose(request.observations.length);
    this.lastBlocks = undefined;
    // The trees cannot learn block offsets as the GP does: they get the results net of the offsets a GP estimates.
    if (this.last === this.trees && request.observations.some((o) => o.block !== undefined)) {
      const net = netOfBlocks(request.space, request.observations, { limit: this.gpLimit, seed: request.seed, encoding: this.encoding });
      this.lastBlocks = net.summary;
      return this.trees.ask({ ...request, observations: net.observations });
    }
    return this.last.ask(request);
  }
}
