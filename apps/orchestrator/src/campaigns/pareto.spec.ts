import { DomainError } from '../common/errors.js';
import { resultProblem, objectiveOf } from '../experiments/objectives.js';
import { parseCampaignDefinition } from './campaign-definition.js';
import { outcomesOf } from './outcomes-definition.js';
import { expectedImprovements, limitProbability, paretoSummary, paretoTargetReached, referencePoint } from './pareto.js';
import { resultsCsv } from './results-export.js';
import { definitionOf, storedDefinition } from './stored-definition.js';

const base = {
  name: 'yield and cost',
  parameters: [
    { name: 'temp', type: 'continuous', low: 20, high: 80 },
    { name: 'time', type: 'continuous', low: 1, high: 10 },
  ],
  objectives: [
    { name: 'yield', direction: 'maximize', low: 0, high: 100 },
    { name: 'cost', direction: 'minimize', ref: 50 },
  ],
  outcomeConstraints: [{ name: 'impurity', op: '<=', value: 2 }],
  budget: 20,
  batchSize: 4,
};

function problemsOf(input: unknown, measured?: string[][]): string[] {
  try {
    parseCampaignDefinition(input, { measured });
  } catch (e) {
    if (e instanceof DomainError) return e.problems;
    throw e;
  }
  return [];
}

describe('definitions of several objectives', () => {
  it('accepts objectives and limits, fills in the first objective, and reads back what it stored', () => {
    const d = parseCampaignDefinition(base);
    expect(d.objective).toEqual({ name: 'yield', direction: 'maximize', low: 0, high: 100 });
    const outcomes = outcomesOf(d);
    expect(outcomes.pareto).toBe(true);
    expect(outcomes.names).toEqual(['yield', 'cost', 'impurity']);
    expect(outcomes.objectives).toEqual([
      { name: 'yield', direction: 'maximize' },
      { name: 'cost', direction: 'minimize', ref: 50 },
    ]);
    const again = definitionOf({ id: 'c', definition: storedDefinition(d) });
    expect(again).toEqual(d);
    // The one-element case is the single objective.
    expect(outcomesOf(parseCampaignDefinition({ ...base, objectives: [base.objectives[0]], outcomeConstraints: undefined })).pareto).toBe(
      false,
    );
  });

  it('accepts every model kind with several objectives and a limit: a GP, trees or a neural ensemble per outcome', () => {
    for (const kind of ['default', 'bayesian', 'trees', 'neural']) expect(problemsOf({ ...base, strategy: { kind } })).toEqual([]);
  });

  it('keeps the single objective as it was', () => {
    const { objectives: _o, outcomeConstraints: _c, ...rest } = base;
    const d = parseCampaignDefinition({ ...rest, objective: { name: 'yield', direction: 'maximize', target: 90 } });
    expect(d.objective.target).toBe(90);
    expect(outcomesOf(d).pareto).toBe(false);
  });

  it('names every problem at once', () => {
    const problems = problemsOf(
      {
        ...base,
        objectives: [
          { name: 'yield', direction: 'maximize', low: 0, high: 100, ref: 120 },
          { name: 'yield', direction: 'minimize' },
          { name: 'temp', direction: 'minimize' },
        ],
        outcomeConstraints: [
          { name: 'yield', op: '>=', value: 150 },
          { name: 'impurity', op: '>=', value: 5 },
          { name: 'impurity', op: '<=', value: 2 },
        ],
        target: { dominate: { yield: 80, purity: 3 } },
        strategy: { kind: 'doptimal', model: 'linear', runs: 6 },
        deviceKind: 'reactor',
      },
      [['yield', 'temp']],
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        'objectives[0]: ref 120 of "yield" is outside its range [0, 100]',
        'objectives[1]: objective "yield" is named twice',
        'objectives[2]: objective "temp" has the name of a parameter',
        'outcomeConstraints[0]: "yield" >= 150 is impossible: "yield" is at most 100',
        'outcomeConstraints: "impurity" >= 5 and <= 2 cannot both hold',
        'target.dominate: "purity" is not an objective (yield, temp)',
        expect.stringContaining('strategy kind "doptimal" handles one objective'),
        expect.stringContaining('"impurity" is not measured by devices of kind "reactor"'),
      ]),
    );
    expect(problemsOf({ ...base, objectives: undefined })).toEqual([
      'a campaign needs an objective: "objective", or "objectives" for several',
    ]);
  });
});

describe('the Pareto front and hypervolume', () => {
  const objectives = [
    { name: 'yield', direction: 'maximize' as const },
    { name: 'cost', direction: 'minimize' as const },
  ];
  const limits = [{ name: 'impurity', op: '<=' as const, value: 2 }];
  const at = (s: number) => new Date(1_800_000_000_000 + s * 1000);
  const results = [
    { experimentId: 'a', index: 0, values: { yield: 50, cost: 10, impurity: 1 }, finishedAt: at(1) },
    { experimentId: 'b', index: 1, values: { yield: 80, cost: 30, impurity: 1 }, finishedAt: at(2) },
    // Dominates both, but breaks the limit: not on the front, adds no volume.
    { experimentId: 'c', index: 2, values: { yield: 90, cost: 5, impurity: 3 }, finishedAt: at(3) },
    // Dominated by b.
    { experimentId: 'd', index: 3, values: { yield: 70, cost: 40, impurity: 0 }, finishedAt: at(4) },
    { experimentId: 'e', index: 4, values: { yield: 60, cost: null, impurity: 0 }, finishedAt: at(5) },
  ];

  it('keeps the non-dominated results that meet the limits, and the hypervolume after each result', () => {
    const ref = [
      { ...objectives[0], ref: 0 },
      { ...objectives[1], ref: 50 },
    ];
    const s = paretoSummary(ref, limits, results);
    expect(s.front.map((f) => f.experimentId)).toEqual(['a', 'b']);
    expect(s.reference).toEqual({ point: { yield: 0, cost: 50 }, source: 'given' });
    // By hand: a alone is 50 x 40 = 2000; with b, 2000 + (80 - 50) x (50 - 30) = 2600; c and d add nothing; e lacks a value.
    expect(s.hypervolume.map((h) => h.hypervolume)).toEqual([2000, 2600, 2600, 2600]);
    expect(paretoTargetReached({ hypervolume: 2500 }, s)).toBe('target reached: hypervolume 2600 >= 2500');
    expect(paretoTargetReached({ hypervolume: 3000 }, s)).toBeUndefined();
    expect(paretoTargetReached({ dominate: { yield: 75, cost: 35 } }, s)).toContain('experiment 1 dominates');
    expect(paretoTargetReached({ dominate: { yield: 85, cost: 35 } }, s)).toBeUndefined();
  });

  it('infers the reference point from the measured values', () => {
    // yield 50..90: 50 - 0.1 x 40 = 46; cost 5..40 (minimised): 40 + 0.1 x 35 = 43.5.
    const r = referencePoint(
      objectives,
      results.slice(0, 4).map((r) => r.values as Record<string, number>),
    );
    expect(r?.point.yield).toBeCloseTo(46);
    expect(r?.point.cost).toBeCloseTo(43.5);
    expect(r?.source).toContain('inferred');
  });

  it('says which objectives a prediction improves against the front', () => {
    const front = [
      { yield: 50, cost: 10 },
      { yield: 80, cost: 30 },
    ];
    const p = (y: number, c: number) => ({ yield: { mean: y, sd: 1 }, cost: { mean: c, sd: 1 } });
    expect(expectedImprovements(objectives, front, p(65, 20))).toEqual(['yield', 'cost']);
    expect(expectedImprovements(objectives, front, p(90, 35))).toEqual(['yield']);
    expect(expectedImprovements(objectives, front, p(40, 5))).toEqual(['cost']);
    expect(expectedImprovements(objectives, front, p(45, 15))).toEqual([]);
    expect(expectedImprovements(objectives, [], p(45, 15))).toEqual(['yield', 'cost']);
    expect(limitProbability(limits[0], { mean: 2, sd: 1 })).toBeCloseTo(0.5);
    expect(limitProbability({ name: 'x', op: '>=', value: 0 }, { mean: 1.96, sd: 1 })).toBeCloseTo(0.975, 3);
  });
});

describe('results of several objectives', () => {
  it('names every missing or out-of-range outcome', () => {
    const d = parseCampaignDefinition(base);
    const o = objectiveOf({ objective: d.objective, objectives: d.objectives ?? null, limits: d.outcomeConstraints ?? null });
    const event = (values: Record<string, number | null>) => ({
      type: 'result' as const,
      v: 1 as const,
      experimentId: 'x',
      ts: '',
      values,
    });
    expect(resultProblem(o, event({ yield: 50, cost: 3, impurity: 1 }))).toBeUndefined();
    expect(resultProblem(o, event({ yield: 150, impurity: null }))).toBe(
      '"yield" = 150 is above the plausible range (high 100); the result has no value for the objective "cost" (got yield, impurity); the instrument reported no value (null) for "impurity"',
    );
  });

  it('exports a column per objective and limit and the front as a flag', () => {
    const d = parseCampaignDefinition(base);
    const e = (id: string, index: number, values: Record<string, number>) => ({
      id,
      index,
      batchId: 'b',
      params: { temp: 30, time: 2 },
      status: 'completed' as const,
      objective: values.yield,
      values,
      failureScope: null,
      failureReason: null,
      deviceId: 'rig',
      finishedAt: new Date(0),
      metadata: null,
    });
    const csv = resultsCsv(
      d,
      [e('a', 0, { yield: 50, cost: 10, impurity: 1 }), e('b', 1, { yield: 40, cost: 20, impurity: 1 })],
      new Map([['b', 0]]),
      [],
    );
    const lines = csv.trim().split('\n');
    expect(lines[0]).toBe('source,experiment,batch,device,finished_at,temp,time,yield,cost,impurity,failed,failure_reason,pareto,metadata');
    expect(lines[1].endsWith(',50,10,1,false,,true,')).toBe(true);
    expect(lines[2].endsWith(',40,20,1,false,,false,')).toBe(true);
  });
});
