import { DesignStrategy, type Strategy, DefaultStrategy, BayesianStrategy, TreeEnsembleStrategy, DOptimalStrategy } from '#optimizer';
import { NeuralEnsembleStrategy } from '#surrogates-tfjs';
import { assertNever } from '../common/errors.js';
import type { CampaignDefinition } from './campaign-definition.js';

/** Builds the strategy a campaign definition names (its batch size blocks a D-optimal design by batch). */
export function strategyFor(definition: Pick<CampaignDefinition, 'strategy' | 'batchSize'>): Strategy {
  const { kind, replicates, centerPoints, randomizeOrder, encoding } = definition.strategy;
  switch (kind) {
    case 'default':
      return new DefaultStrategy({ encoding });
    case 'bayesian':
      return new BayesianStrategy({ encoding });
    case 'trees':
      return new TreeEnsembleStrategy({ encoding });
    case 'neural':
      return new NeuralEnsembleStrategy({ encoding });
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
        then: new DefaultStrategy({ encoding }),
      });
    }
    default:
      return assertNever(kind, 'strategy kind');
  }
}
