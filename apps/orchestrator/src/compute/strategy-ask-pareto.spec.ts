import { describe, expect, it } from '@jest/globals';
import { Rng } from '#random';
import { parseCampaignDefinition } from '../campaigns/campaign-definition.js';
import { outcomesOf } from '../campaigns/outcomes-definition.js';
import { paretoStrategyFor } from '../campaigns/campaign-strategy.js';
import { MultiObjectiveNeuralStrategy } from '#surrogates-tfjs';
import { askStrategy, type AskJob } from './strategy-ask.js';

/**
 * Several objectives and a limit with each model kind: trees (and the neural
 * ensemble) get the same objectives as the GP, and their proposals the same
 * provenance: every outcome's prediction, each limit's probability, the
 * objectives each may improve on the measured front, and the acquisition.
 */
function job(kind: string, extra: Partial<AskJob> = {}): AskJob {
  const definition = parseCampaignDefinition({
    name: 'pareto',
    parameters: [
      { name: 'x1', type: 'continuous', low: 0, high: 1 },
      { name: 'x2', type: 'continuous', low: 0, high: 1 },
    ],
    objectives: [
      { name: 'f1', direction: 'minimize' },
      { name: 'f2', direction: 'minimize', ref: 3 },
    ],
    outcomeConstraints: [{ name: 'g', op: '<=', value: 0.8 }],
    budget: 60,
    batchSize: 3,
    seed: 1,
    strategy: { kind },
  });
  const rng = new Rng(5);
  const observations = Array.from({ length: 30 }, () => {
    const [x1, x2] = [rng.next(), rng.next()];
    const values = { f1: x1, f2: 1 - Math.sqrt(x1) + x2, g: x1 + x2 };
    return { params: { x1, x2 }, value: values.f1, values };
  });
  // A run that failed is data too.
  observations.push({ params: { x1: 0.95, x2: 0.95 }, failed: true } as never);
  const front = observations.filter((o) => o.values && o.values.g <= 0.8).map((o) => o.values);
  return {
    definition,
    direction: 'minimize',
    observations,
    outcomes: outcomesOf(definition),
    front,
    pending: [{ x1: 0.2, x2: 0.1 }],
    rejected: [],
    n: 3,
    seed: 3,
    ...extra,
  };
}

describe('asks of several objectives and a limit by model kind', () => {
  it('trees: the trees per outcome propose distinct points with every outcome predicted, the limit weighed, the reference point recorded', async () => {
    const { proposals, info } = await askStrategy(job('trees'));
    expect(info.name).toBe('bayesian/extra-trees-multi-objective');
    expect(info.settings.fit).toEqual(expect.objectContaining({ acquisition: 'ehvi', refSource: expect.stringMatching(/^inferred/) }));
    // f1 has no ref: inferred (the worst f1 observed, 10 % of its range worse); f2's is the given 3.
    expect((info.settings.fit as { ref: number[] }).ref[1]).toBe(3);
    expect(proposals).toHaveLength(3);
    expect(new Set(proposals.map((p) => `${p.params.x1},${p.params.x2}`)).size).toBe(3);
    for (const p of proposals) {
      expect(p.params).not.toEqual({ x1: 0.2, x2: 0.1 });
      expect(Object.keys(p.predictions ?? {}).sort()).toEqual(['f1', 'f2', 'g']);
      expect(p.prediction).toEqual(p.predictions?.f1);
      expect(p.limits).toHaveLength(1);
      expect(p.limits?.[0]).toEqual(expect.objectContaining({ name: 'g', op: '<=', value: 0.8 }));
      // Proposed where the limit is likely met: the learned feasibility steers the search.
      expect(p.limits?.[0].probability).toBeGreaterThan(0.5);
      expect(Array.isArray(p.improves)).toBe(true);
      expect(p.acquisition).toEqual(expect.any(Number));
    }
  });

  it('default and bayesian take the GP per outcome on few results (default past its cost estimate takes the trees)', async () => {
    for (const kind of ['default', 'bayesian']) {
      const { info } = await askStrategy(job(kind, { n: 1 }));
      expect(info.name).toBe('bayesian/multi-objective');
      if (kind === 'default') expect(info.settings).toMatchObject({ chosenBy: 'default', gpBudgetMs: 10_000 });
    }
  }, 60_000);

  it('neural: an ensemble per outcome (its asks are checked in libs/surrogates-tfjs, where the ensembles can be small)', () => {
    const strategy = paretoStrategyFor('neural', job('neural').definition);
    expect(strategy).toBeInstanceOf(MultiObjectiveNeuralStrategy);
    expect(strategy.info.name).toBe('bayesian/neural-ensemble-multi-objective');
  });
});
