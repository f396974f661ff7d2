import { describe, expect, it } from '@jest/globals';
import type { ExperimentEntity } from '#persistence';
import { DomainError } from '../common/errors.js';
import { parseCampaignDefinition } from './campaign-definition.js';
import { planImport } from './imports.js';
import { paretoOf } from './pareto.js';
import { resultsCsv } from './results-export.js';

/** Two objectives (yield up, cost down) and a limit on a third outcome (impurity at most 2). */
const definition = parseCampaignDefinition({
  name: 'yield and cost',
  parameters: [
    { name: 'temp', type: 'continuous', low: 20, high: 80 },
    { name: 'time', type: 'continuous', low: 1, high: 10 },
  ],
  objectives: [
    { name: 'yield', direction: 'maximize', low: 0, high: 100, ref: 0 },
    { name: 'cost', direction: 'minimize', ref: 50 },
  ],
  outcomeConstraints: [{ name: 'impurity', op: '<=', value: 2 }],
  budget: 20,
  batchSize: 4,
});

function problems(input: unknown): string[] {
  try {
    planImport(definition, input);
  } catch (e) {
    expect(e).toBeInstanceOf(DomainError);
    expect((e as DomainError).message).toMatch(/nothing was imported/);
    return (e as DomainError).problems;
  }
  throw new Error('the import was accepted');
}

const at = { temp: 50, time: 5 };

describe('importing earlier results into a campaign of several objectives and limits', () => {
  it('takes every objective and limited outcome of each result, from JSON rows and CSV columns alike', () => {
    const rows = planImport(definition, {
      source: 'Smith 2019',
      results: [
        { params: at, values: { yield: 71, cost: 12, impurity: 0.5 } },
        { params: { temp: 70, time: 2 }, failed: true, reason: 'tar' },
      ],
    });
    const csv = planImport(definition, {
      source: 'Smith 2019',
      csv: 'temp,time,cost,impurity,yield,failed,failure_reason,notes\n50,5,12,0.5,71,,,a\n70,2,,,,true,tar,b\n',
    });
    expect(rows.results).toEqual([
      { params: at, value: 71, values: { yield: 71, cost: 12, impurity: 0.5 }, failed: false, reason: null },
      { params: { temp: 70, time: 2 }, value: null, values: null, failed: true, reason: 'tar' },
    ]);
    expect(csv.results).toEqual(rows.results);
    expect(csv.ignoredColumns).toEqual(['notes']);
  });

  it('refuses JSON rows that lack an outcome, name one the campaign lacks, give one value, or a failure with values', () => {
    expect(
      problems({
        source: 's',
        results: [
          { params: at, values: { yield: 71, cost: 12, impurity: 0.5 } },
          { params: at, values: { yield: 71, cost: 12 } },
          { params: at, values: { yield: 71, cost: 12, impurity: 1, purity: 99 } },
          { params: at, value: 71 },
          { params: at },
          { params: at, failed: true, values: { yield: 1, cost: 1, impurity: 1 } },
          { params: at, values: { yield: 140, cost: 1, impurity: 1 } },
        ],
      }),
    ).toEqual([
      'results[1]: values: no value for "impurity"',
      'results[2]: values: "purity" is not an objective or limited outcome of this campaign ("yield", "cost", "impurity")',
      'results[3]: "value" holds one objective\'s value; this campaign needs "values" with one for each of "yield", "cost", "impurity"',
      'results[4]: no value (give "values" with one for each of "yield", "cost", "impurity", or "failed": true for an experiment that ran and gave none)',
      'results[5]: a failed experiment has no values, but values is {"yield":1,"cost":1,"impurity":1}',
      "results[6]: yield = 140 is above the objective's plausible range (high 100)",
    ]);
    expect(problems({ source: 's', results: [{ params: at, values: { yield: 'high', cost: 1, impurity: 1 } }] })).toEqual([
      expect.stringMatching(/^results\[0\]\.values\.yield: .*number/),
    ]);
  });

  it('refuses CSV text without a column per outcome, or with a cell that is empty or not a number, naming each', () => {
    expect(problems({ source: 's', csv: 'temp,time,yield,cost\n50,5,71,12\n' })).toEqual([
      'csv: the header has no column for "impurity" (it needs one per parameter and one per outcome ("yield", "cost", "impurity"))',
    ]);
    expect(
      problems({
        source: 's',
        csv: 'temp,time,yield,cost,impurity,failed\n50,5,71,12,0.5,\n50,5,71,,0.5,\n50,5,71,cheap,0.5,\n50,5,,,,true\n50,5,,,0.1,true\n',
      }),
    ).toEqual([
      'csv: line 3, column "cost": empty (a failed experiment is marked true in a "failed" column)',
      'csv: line 4, column "cost": "cheap" is not a number',
      'csv: line 6: a failed experiment has no value, but "impurity" is 0.1',
    ]);
  });

  it("exports imported results with every outcome, off the campaign's own front, and reads the export back", () => {
    const experiment = (index: number, values: Record<string, number>) =>
      ({
        id: `e${index}`,
        index,
        batchId: 'b0',
        params: at,
        status: 'completed',
        objective: values.yield,
        values,
        failureScope: null,
        failureReason: null,
        deviceId: 'rig-1',
        finishedAt: new Date('2026-12-06T10:00:00Z'),
      }) as unknown as ExperimentEntity;
    const plan = planImport(definition, {
      source: 'Smith 2019',
      results: [
        { params: at, values: { yield: 90, cost: 5, impurity: 0.5 } },
        { params: at, values: { yield: 95, cost: 1, impurity: 3 } },
        { params: at, values: { yield: 60, cost: 9, impurity: 0.5 } },
        { params: at, failed: true },
      ],
    });
    const imported = plan.results.map((r, index) => ({
      index,
      params: r.params,
      objective: r.value,
      values: r.values,
      failed: r.failed,
      failureReason: r.reason,
      source: plan.source,
      importedAt: new Date('2026-12-01T00:00:00Z'),
    }));
    const experiments = [experiment(0, { yield: 50, cost: 10, impurity: 1 }), experiment(1, { yield: 40, cost: 4, impurity: 1 })];

    // The campaign's front is its own two results, though an imported one dominates both; the imports' front is theirs.
    const pareto = paretoOf(definition, experiments, imported)!;
    expect(pareto.front.map((f) => f.experimentId)).toEqual(['e0', 'e1']);
    expect(pareto.reference?.point).toEqual({ yield: 0, cost: 50 });
    // The one imported result that meets the limit and no other dominates: (90, 5) against (0, 50).
    expect(pareto.imported).toEqual({
      results: 3,
      front: [{ index: 0, source: 'Smith 2019', values: { yield: 90, cost: 5, impurity: 0.5 } }],
      hypervolume: 90 * 45,
    });

    const csv = resultsCsv(definition, experiments, new Map([['b0', 0]]), imported);
    const lines = csv
      .trim()
      .split('\n')
      .map((l) => l.split(','));
    const cols = lines[0];
    const col = (row: string[], name: string) => row[cols.indexOf(name)];
    expect(cols).toEqual(expect.arrayContaining(['yield', 'cost', 'impurity', 'failed', 'pareto']));
    expect(lines.slice(1).map((r) => [col(r, 'source'), col(r, 'yield'), col(r, 'cost'), col(r, 'impurity'), col(r, 'pareto')])).toEqual([
      ['Smith 2019', '90', '5', '0.5', ''],
      ['Smith 2019', '95', '1', '3', ''],
      ['Smith 2019', '60', '9', '0.5', ''],
      ['Smith 2019', '', '', '', ''],
      ['campaign', '50', '10', '1', 'true'],
      ['campaign', '40', '4', '1', 'true'],
    ]);
    const back = planImport(definition, { source: 'export', csv });
    expect(back.results.map((r) => r.values)).toEqual([...plan.results.map((r) => r.values), ...experiments.map((e) => e.values)]);
  });

  it('reads rows stored with one value (before imports held every outcome) as the objective alone', () => {
    const single = parseCampaignDefinition({
      name: 'yield',
      parameters: [
        { name: 'temp', type: 'continuous', low: 20, high: 80 },
        { name: 'time', type: 'continuous', low: 1, high: 10 },
      ],
      objective: { name: 'yield', direction: 'maximize' },
      budget: 20,
      batchSize: 4,
    });
    const csv = resultsCsv(single, [], new Map(), [
      { params: at, objective: 7, values: null, failed: false, failureReason: null, source: 'old', importedAt: new Date(0) },
    ]);
    expect(csv.trim().split('\n')[1]).toBe('old,,,,1970-01-01T00:00:00.000Z,50,5,7,false,,');
  });
});
