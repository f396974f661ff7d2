import {
  DesignStrategy,
  type Strategy,
  DefaultStrategy,
  BayesianStrategy,
  TreeEnsembleStrategy,
  DOptimalStrategy,
  MultiObjectiveDefaultStrategy,
  MultiObjectiveStrategy,
  MultiObjectiveTreesStrategy,
  type MultiAskRequest,
  type MultiProposal,
  type StrategyInfo,
} from '#optimizer';
import { MultiObjectiveNeuralStrategy, NeuralEnsembleStrategy } from '#surrogates-tfjs';
import { assertNever } from '../common/errors.js';
import { acquisitionOf, type CampaignDefinition } from './campaign-definition.js';

/** Builds the strategy a campaign definition names (its batch size blocks a D-optimal design by batch). */
export function strategyFor(definition: Pick<CampaignDefinition, 'strategy' | 'batchSize'>): Strategy {
  const { kind, replicates, centerPoints, randomizeOrder, encoding } = definition.strategy;
  const acquisition = acquisitionOf(definition.strategy);
  // Left out when not chosen, so that the strategies' own default (log EI) applies as it always has.
  const modelOptions = { encoding, ...(acquisition ? { acquisition } : {}) };
  switch (kind) {
    case 'default':
      return new DefaultStrategy(modelOptions);
    case 'bayesian':
      return new BayesianStrategy(modelOptions);
    case 'trees':
      return new TreeEnsembleStrategy(modelOptions);
    case 'neural':
      return new NeuralEnsembleStrategy(modelOptions);
    case 'sobol':
    case 'lhs':
    case 'random':
      return new DesignStrategy({ kind, replicates, centerPoints, randomizeOrder });
    case 'doptimal': {
      const { model, runs } = definition.strategy;
      // parseCampaignDefinition requires both for this kind.
      if (model === undefined || runs === undefined) throw new Error('a doptimal strategy needs a model and runs');
      // The design spends its runs first; the rest of the budget goes to the default strategy.
      // With batches as blocks, the design is blocked by batch: its factors' effects come free of the batches' offsets.
      const blockSize = definition.strategy.blocks === 'batch' ? definition.batchSize : undefined;
      return new DOptimalStrategy({
        model,
        runs,
        replicates,
        centerPoints,
        randomizeOrder,
        blockSize,
        then: new DefaultStrategy(modelOptions),
      });
    }
    default:
      return assertNever(kind, 'strategy kind');
  }
}

/** A strategy of several objectives and outcome limits: its provenance, and an ask. */
export interface ParetoStrategy {
  readonly info: StrategyInfo;
  ask(request: MultiAskRequest): Promise<MultiProposal[]>;
}

/** The several-objective model kinds (the design kinds run as for one objective: they read no values). */
export const PARETO_MODEL_KINDS = ['default', 'bayesian', 'trees', 'neural'] as const;
export type ParetoModelKind = (typeof PARETO_MODEL_KINDS)[number];

export function isParetoModelKind(kind: string): kind is ParetoModelKind {
  return (PARETO_MODEL_KINDS as readonly string[]).includes(kind);
}

/**
 * The several-objective strategy of a model kind: a GP per outcome for
 * bayesian, and for default while the GPs' estimated ask time stays within
 * 10 s (trees per outcome past it, as the one-objective default past 2 s: see
 * bench/results/mo-trees-2026-12-08), extremely randomised trees per outcome
 * for trees, a neural ensemble per outcome for neural.
 */
export function paretoStrategyFor(kind: ParetoModelKind, definition: Pick<CampaignDefinition, 'strategy'>): ParetoStrategy {
  const { encoding } = definition.strategy;
  switch (kind) {
    case 'default':
      return new MultiObjectiveDefaultStrategy({ encoding });
    case 'bayesian':
      return new MultiObjectiveStrategy({ encoding });
    case 'trees':
      return new MultiObjectiveTreesStrategy({ encoding });
    case 'neural':
      return new MultiObjectiveNeuralStrategy({ encoding });
    default:
      return assertNever(kind, 'several-objective strategy kind');
  }
}
