import { DomainError } from '../common/errors.js';
import { planBatchEdit } from './batch-edit.js';
import { parseCampaignDefinition, spaceOf } from './campaign-definition.js';
import { strategyFor } from './campaign-strategy.js';

const base = {
  name: 'screening',
  parameters: [
    { name: 'temp', type: 'continuous', low: 20, high: 80 },
    { name: 'time', type: 'continuous', low: 1, high: 10 },
    { name: 'solvent', type: 'categorical', choices: ['water', 'ethanol'] },
  ],
  objective: { name: 'yield', direction: 'maximize' },
  budget: 40,
  batchSize: 4,
};

function problemsOf(input: unknown): string[] {
  try {
    parseCampaignDefinition(input);
  } catch (e) {
    if (e instanceof DomainError) return e.problems;
    throw e;
  }
  return [];
}

describe('campaign definition strategies', () => {
  it('accepts a D-optimal design with replicates and centre points, and builds it', () => {
    const d = parseCampaignDefinition({
      ...base,
      parameters: base.parameters.slice(0, 2),
      strategy: { kind: 'doptimal', model: 'quadratic', runs: 8, replicates: 2, centerPoints: 3 },
    });
    expect(d.strategy).toEqual({ kind: 'doptimal', model: 'quadratic', runs: 8, replicates: 2, centerPoints: 3 });
    expect(strategyFor(d).info).toEqual({
      name: 'design/doptimal',
      settings: expect.objectContaining({
        model: 'quadratic',
        runs: 8,
        replicates: 2,
        centerPoints: 3,
        randomizeOrder: true,
        totalRuns: 19,
      }),
    });
  });

  it('accepts design options on the space-filling kinds and keeps the old shape valid', () => {
    const d = parseCampaignDefinition({ ...base, strategy: { kind: 'sobol', replicates: 2, randomizeOrder: false } });
    expect(strategyFor(d).info.settings).toEqual(expect.objectContaining({ kind: 'sobol', replicates: 2, randomizeOrder: false }));
    expect(parseCampaignDefinition(base).strategy).toEqual({ kind: 'default' });
    expect(parseCampaignDefinition({ ...base, strategy: { kind: 'lhs' } }).strategy).toEqual({ kind: 'lhs' });
  });

  it('names a D-optimal design larger than the budget and a model with more terms than runs', () => {
    const numeric = base.parameters.slice(0, 2);
    expect(
      problemsOf({
        ...base,
        parameters: numeric,
        strategy: { kind: 'doptimal', model: 'linear', runs: 12, replicates: 3, centerPoints: 5 },
      }),
    ).toEqual(['the D-optimal design has 41 runs (12 runs x 3 replicates + 5 centre points), more than the budget (40)']);
    // 1 + 3 main + 3 interactions + 2 squares (not of the categorical one).
    expect(problemsOf({ ...base, strategy: { kind: 'doptimal', model: 'quadratic', runs: 8 } })).toEqual([
      'strategy: the quadratic model has 9 terms for these parameters but runs is 8; a D-optimal design needs at least as many runs as terms',
    ]);
  });

  it('requires a model and runs for doptimal, and refuses them on other kinds', () => {
    expect(problemsOf({ ...base, strategy: { kind: 'doptimal' } })).toEqual([
      'strategy kind "doptimal" needs a model: one of linear, interactions, quadratic',
      'strategy kind "doptimal" needs runs: the number of design runs before replication',
    ]);
    expect(problemsOf({ ...base, strategy: { kind: 'sobol', model: 'linear', runs: 8 } })).toEqual([
      'strategy.model is used by kind "doptimal" only, not by "sobol"',
      'strategy.runs is used by kind "doptimal" only, not by "sobol"',
    ]);
    expect(problemsOf({ ...base, strategy: { kind: 'bayesian', replicates: 2, randomizeOrder: true } })).toEqual([
      'strategy.replicates applies to the design kinds (sobol, lhs, random, doptimal) only, not to "bayesian"',
      'strategy.randomizeOrder applies to the design kinds (sobol, lhs, random, doptimal) only, not to "bayesian"',
    ]);
  });

  it('refuses bad counts, unknown models and centre points without a centre', () => {
    expect(problemsOf({ ...base, strategy: { kind: 'random', replicates: 0 } })).toEqual([
      'strategy.replicates: replicates must be at least 1',
    ]);
    expect(problemsOf({ ...base, strategy: { kind: 'lhs', replicates: 50 } })).toEqual(['strategy.replicates (50) exceeds budget (40)']);
    expect(problemsOf({ ...base, strategy: { kind: 'doptimal', model: 'cubic', runs: 10 } })).toEqual([
      expect.stringMatching(/^strategy\.model: /),
    ]);
    expect(problemsOf({ ...base, strategy: { kind: 'sobol', centerPoints: 2 } })).toEqual([
      'strategy.centerPoints: centre points need numeric parameters: categorical parameter "solvent" has no centre',
    ]);
  });

  it('passes an encoding to the model-based kinds and refuses it where no model runs', () => {
    const oneHot = { categorical: 'one-hot' } as const;
    for (const kind of ['default', 'bayesian', 'trees', 'neural'] as const) {
      const d = parseCampaignDefinition({ ...base, strategy: { kind, encoding: oneHot } });
      expect(strategyFor(d).info.settings).toEqual(
        expect.objectContaining({ encoding: { categorical: 'one-hot', composition: 'descriptors' } }),
      );
    }
    expect(problemsOf({ ...base, strategy: { kind: 'sobol', encoding: oneHot } })).toEqual([
      'strategy.encoding applies to the model-based kinds (default, bayesian, trees, neural, doptimal) only, not to "sobol"',
    ]);
    expect(problemsOf({ ...base, strategy: { kind: 'bayesian', encoding: { categorical: 'binary' } } })).toEqual([
      expect.stringMatching(/^strategy\.encoding\.categorical: /),
    ]);
  });

  it('takes blocks for the kinds whose GP learns block offsets, and refuses them elsewhere', () => {
    for (const kind of ['default', 'bayesian'] as const) {
      expect(parseCampaignDefinition({ ...base, strategy: { kind, blocks: 'batch' } }).strategy.blocks).toBe('batch');
    }
    expect(
      parseCampaignDefinition({ ...base, strategy: { kind: 'doptimal', model: 'linear', runs: 6, blocks: 'device' } }).strategy.blocks,
    ).toBe('device');
    expect(problemsOf({ ...base, strategy: { kind: 'trees', blocks: 'batch' } })).toEqual([
      'strategy.blocks applies to the kinds whose GP learns block offsets (default, bayesian, doptimal) only, not to "trees"',
    ]);
    expect(problemsOf({ ...base, strategy: { kind: 'sobol', blocks: 'batch' } })).toEqual([
      'strategy.blocks applies to the kinds whose GP learns block offsets (default, bayesian, doptimal) only, not to "sobol"',
    ]);
    expect(problemsOf({ ...base, strategy: { kind: 'bayesian', blocks: 'plate' } })).toEqual([
      expect.stringMatching(/^strategy\.blocks: /),
    ]);
  });

  it('explains that compositions are out of scope for D-optimal designs', () => {
    const problems = problemsOf({
      ...base,
      parameters: [...base.parameters, { name: 'cat', type: 'composition', components: ['Ni', 'Cu'] }],
      strategy: { kind: 'doptimal', model: 'linear', runs: 10 },
    });
    expect(problems).toEqual([expect.stringMatching(/^strategy\.model: parameter "cat" has type "composition".*out of scope/)]);
  });
});

describe('campaign definition constraints', () => {
  const totalTime = { coefficients: { temp: 0.1, time: 1 }, op: '<=', rhs: 12 };

  it('accepts linear constraints and builds a space that carries them', () => {
    const d = parseCampaignDefinition({ ...base, constraints: [totalTime] });
    expect(d.constraints).toEqual([totalTime]);
    const space = spaceOf(d);
    expect(space.constraints).toEqual([totalTime]);
    expect(space.check({ temp: 80, time: 5, solvent: 'water' })).toEqual([
      'constraint 1 (0.1*temp + time <= 12): 0.1*temp + time = 13 > 12',
    ]);
    // Definitions stored before constraints existed still give a space.
    expect(spaceOf(parseCampaignDefinition(base)).constraints).toEqual([]);
  });

  it('names every problem of the constraints', () => {
    expect(
      problemsOf({
        ...base,
        constraints: [
          { coefficients: { temp: 1, pressure: 2 }, op: '<=', rhs: 50 },
          { coefficients: { solvent: 1 }, op: '>=', rhs: 0 },
          { coefficients: { time: 0 }, op: '<=', rhs: 1 },
          { coefficients: { temp: 1, time: 1 }, op: '>=', rhs: 100 },
          { coefficients: { temp: 'hot' }, op: '=', rhs: 1 },
        ],
      }),
    ).toEqual([
      'constraints[4].coefficients.temp: a coefficient must be a finite number',
      'constraints[4].op: Invalid option: expected one of "<="|">="',
      'constraints[0]: unknown parameter "pressure"',
      'constraints[1]: parameter "solvent" is categorical: only continuous and integer parameters can be constrained',
      'constraints[2]: the coefficient of "time" is zero: leave the parameter out instead',
      "constraints[3]: temp + time >= 100 cannot hold: over the parameters' ranges temp + time is at most 90",
    ]);
  });

  it('refuses constraints that hold alone but not together, and centre runs outside them', () => {
    expect(
      problemsOf({
        ...base,
        constraints: [
          { coefficients: { temp: 1, time: 1 }, op: '<=', rhs: 40 },
          { coefficients: { temp: 1, time: 1 }, op: '>=', rhs: 50 },
        ],
      }),
    ).toEqual([
      expect.stringMatching(/^constraints: no point of 4096 sampled over the parameters' ranges satisfies all 2 constraints together/),
    ]);
    expect(
      problemsOf({
        ...base,
        parameters: base.parameters.slice(0, 2),
        constraints: [{ coefficients: { temp: 1 }, op: '<=', rhs: 30 }],
        strategy: { kind: 'sobol', centerPoints: 2 },
      }),
    ).toEqual(['strategy.centerPoints: the centre of the space violates its constraints: constraint 1 (temp <= 30): temp = 50 > 30']);
  });

  it("refuses an operator's edit that breaks a constraint", () => {
    const space = spaceOf(parseCampaignDefinition({ ...base, constraints: [totalTime] }));
    const id = '7a1b5c36-2f0e-4c55-9d55-3c1f6f1f2b10';
    const proposals = [{ id, index: 0, params: { temp: 50, time: 5, solvent: 'water' } }];
    expect(
      planBatchEdit(space, proposals, { edits: [{ experimentId: id, params: { time: 7 } }], exclude: [], reason: 'r' }).edits,
    ).toHaveLength(1);
    expect(() => planBatchEdit(space, proposals, { edits: [{ experimentId: id, params: { time: 8 } }], exclude: [], reason: 'r' })).toThrow(
      expect.objectContaining({ problems: ['proposal 0: constraint 1 (0.1*temp + time <= 12): 0.1*temp + time = 13 > 12'] }),
    );
  });
});
