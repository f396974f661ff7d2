import { describe, expect, it } from '@jest/globals';
import { DomainError } from '../common/errors.js';
import { parseCampaignDefinition } from './campaign-definition.js';
import { planDefinitionChange } from './definition-changes.js';

const current = parseCampaignDefinition({
  name: 'c',
  parameters: [{ name: 'x', type: 'continuous', low: 0, high: 1 }],
  objective: { name: 'y', direction: 'minimize', target: 0.1 },
  budget: 20,
  batchSize: 4,
  strategy: { kind: 'bayesian', acquisition: { kind: 'UCB', kappa: 3 }, encoding: { categorical: 'one-hot' } },
});
const idle = { spent: 6, committed: 4 };
const problems = (input: unknown, use = idle) => {
  try {
    planDefinitionChange(current, input, use);
    return [];
  } catch (e) {
    return (e as DomainError).problems;
  }
};

describe('planDefinitionChange', () => {
  it('patches the strategy field by field: a field given replaces the current one whole, a null removes it', () => {
    const plan = planDefinitionChange(current, { strategy: { acquisition: 'EI', encoding: null }, reason: 'r' }, idle);
    expect(plan.definition.strategy).toEqual({ kind: 'bayesian', acquisition: 'EI' });
    expect(Object.keys(plan.changes)).toEqual(['strategy']);
  });

  it('removes the target with null and keeps the rest of the objective', () => {
    const plan = planDefinitionChange(current, { target: null, reason: 'run the budget out' }, idle);
    expect(plan.definition.objective).toEqual({ name: 'y', direction: 'minimize' });
    expect(plan.changes).toEqual({ target: { from: 0.1, to: null } });
  });

  it('reports no changes for values the definition already has', () => {
    expect(planDefinitionChange(current, { budget: 20, reason: 'same' }, idle).changes).toEqual({});
  });

  it('allows a budget down to what is spent and committed, not below', () => {
    expect(planDefinitionChange(current, { budget: 10, reason: 'cut' }, idle).definition.budget).toBe(10);
    expect(problems({ budget: 9, reason: 'cut' })).toEqual([
      'budget 9 is below what the campaign has already spent or committed: 10 experiments (6 finished, 4 proposed, queued or running)',
    ]);
  });

  it('names every problem: fixed fields, no reason, nothing to change, an acquisition the kind refuses', () => {
    expect(problems({ parameters: [], seed: 3 })).toEqual([
      'parameters: cannot change mid-campaign (only budget, batchSize, strategy, target can, with a reason)',
      'seed: cannot change mid-campaign (only budget, batchSize, strategy, target can, with a reason)',
      'reason: Invalid input: expected string, received undefined',
      'nothing to change: give one of budget, batchSize, strategy, target',
    ]);
    expect(problems({ strategy: { kind: 'sobol' }, reason: 'r' })).toEqual([
      'strategy.encoding applies to the model-based kinds (default, bayesian, trees, neural, doptimal) only, not to "sobol"',
      'strategy.acquisition applies to the model-based kinds (default, bayesian, trees, neural, doptimal) only, not to the design "sobol"',
    ]);
  });
});
