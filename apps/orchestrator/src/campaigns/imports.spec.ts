import { describe, expect, it } from '@jest/globals';
import { DomainError } from '../common/errors.js';
import { parseCampaignDefinition } from './campaign-definition.js';
import type { ExperimentEntity } from '#persistence';
import { planImport } from './imports.js';
import { resultsCsv } from './results-export.js';

const definition = parseCampaignDefinition({
  name: 'Suzuki coupling',
  parameters: [
    { name: 'temperature', type: 'continuous', low: 25, high: 110 },
    { name: 'volume_a', type: 'continuous', low: 0, high: 10 },
    { name: 'volume_b', type: 'continuous', low: 0, high: 10 },
    { name: 'solvent', type: 'categorical', choices: ['DMF', 'THF'] },
  ],
  constraints: [{ coefficients: { volume_a: 1, volume_b: 1 }, op: '<=', rhs: 10 }],
  objective: { name: 'yield', direction: 'maximize', low: 0, high: 100 },
  budget: 20,
  batchSize: 4,
});

function problems(input: unknown): string[] {
  try {
    planImport(definition, input);
  } catch (e) {
    expect(e).toBeInstanceOf(DomainError);
    expect((e as DomainError).code).toBe('invalid_input');
    expect((e as DomainError).message).toMatch(/nothing was imported/);
    return (e as DomainError).problems;
  }
  throw new Error('the import was accepted');
}

const point = { temperature: 80, volume_a: 4, volume_b: 5, solvent: 'THF' };

describe('importing earlier results into a campaign', () => {
  it('takes JSON rows and CSV text alike, failures included', () => {
    const rows = planImport(definition, {
      source: '  ELN page 12  ',
      results: [
        { params: point, value: 71 },
        { params: { ...point, solvent: 'DMF' }, failed: true, reason: 'precipitate' },
      ],
    });
    const csv = planImport(definition, {
      source: 'ELN page 12',
      csv: 'temperature,volume_a,volume_b,solvent,yield,failed,failure_reason,operator\n80,4,5,THF,71,,,kim\n80,4,5,DMF,,true,precipitate,kim\n',
    });
    expect(rows.source).toBe('ELN page 12');
    expect(rows.results).toEqual([
      { params: point, value: 71, values: { yield: 71 }, failed: false, reason: null },
      { params: { ...point, solvent: 'DMF' }, value: null, values: null, failed: true, reason: 'precipitate' },
    ]);
    expect(csv.results).toEqual(rows.results);
    expect(csv.ignoredColumns).toEqual(['operator']);
  });

  it('refuses the whole import, naming every problem: outside the space or its constraints, out of range, no value', () => {
    const found = problems({
      source: 'Smith 2019, table 2',
      results: [
        { params: point, value: 71 },
        { params: { ...point, temperature: 140 }, value: 50 },
        { params: { ...point, volume_a: 6 }, value: 50 },
        { params: { ...point, solvent: 'water', pressure: 2 }, value: 50 },
        { params: point, value: 130 },
        { params: point },
        { params: point, value: 3, failed: true },
      ],
    });
    expect(found).toEqual([
      'results[1]: "temperature" = 140 is outside [25, 110]',
      'results[2]: constraint 1 (volume_a + volume_b <= 10): volume_a + volume_b = 11 > 10',
      'results[3]: unknown parameter "pressure"',
      'results[3]: "solvent" must be one of "DMF", "THF"',
      "results[4]: yield = 130 is above the objective's plausible range (high 100)",
      'results[5]: no value (give "value", or "failed": true for an experiment that ran and gave none)',
      'results[6]: a failed experiment has no value, but value is 3',
    ]);
  });

  it('names CSV problems by line', () => {
    const found = problems({
      source: 'screen.csv',
      csv: 'temperature,volume_a,volume_b,solvent,yield\n80,4,5,THF,71\n80,4,5,THF,lots\n200,4,5,THF,10\n',
    });
    expect(found).toEqual(['csv: line 3, column "yield": "lots" is not a number', 'csv: line 4: "temperature" = 200 is outside [25, 110]']);
    expect(problems({ source: 's', csv: 'temperature,volume_a\n80,4\n' })).toEqual([
      'csv: the header has no column for "volume_b", "solvent", "yield" (it needs one per parameter and one for the objective "yield")',
    ]);
    expect(problems({ source: 's', csv: 'temperature,volume_a,volume_b,solvent,yield\n80,4\n' })).toEqual([
      'csv: line 2 has 2 fields, the header has 5',
    ]);
  });

  it('needs a source and exactly one of results and csv', () => {
    expect(problems({ results: [{ params: point, value: 1 }] })).toEqual([expect.stringMatching(/^source: /)]);
    expect(problems({ source: '   ', results: [{ params: point, value: 1 }] })).toEqual([
      'source: say where the results come from (a paper, a notebook, an earlier campaign)',
    ]);
    expect(problems({ source: 's' })).toEqual(['give the results either as "results" (JSON rows) or as "csv" (text), one of the two']);
    expect(problems({ source: 's', results: [], csv: 'a' })).toEqual(['results: an import needs at least one result']);
    expect(problems({ source: 'lab\u0000book', results: [{ params: point, value: 1 }] })).toEqual([
      'source: must not contain a NUL character',
    ]);
  });

  it('lists the first 50 problems of a large bad import and counts the rest', () => {
    const found = problems({
      source: 's',
      results: Array.from({ length: 120 }, () => ({ params: { ...point, temperature: 0 }, value: 1 })),
    });
    expect(found).toHaveLength(51);
    expect(found[50]).toBe('… and 70 more problems of the same import');
  });
});

describe("exporting a campaign's results", () => {
  const experiment = (
    index: number,
    params: Record<string, number | string>,
    status: string,
    objective: number | null,
    scope: string | null = null,
  ) =>
    ({
      index,
      batchId: 'b0',
      params,
      status,
      objective,
      failureScope: scope,
      failureReason: scope ? 'it broke' : null,
      deviceId: 'rig-1',
      finishedAt: new Date('2026-12-06T10:00:00Z'),
    }) as unknown as ExperimentEntity;

  it('writes the table an import reads back, leaving out device failures and unfinished experiments', () => {
    const csv = resultsCsv(
      definition,
      [
        experiment(0, point, 'completed', 71),
        experiment(1, { ...point, solvent: 'DMF' }, 'failed', null, 'experiment'),
        experiment(2, point, 'failed', null, 'device'),
        experiment(3, point, 'running', null),
      ],
      new Map([['b0', 0]]),
      [],
    );
    expect(csv.split('\n')[0]).toBe(
      'source,experiment,batch,device,finished_at,temperature,volume_a,volume_b,solvent,yield,failed,failure_reason,metadata',
    );
    const back = planImport(definition, { source: 'export', csv });
    expect(back.results).toEqual([
      { params: point, value: 71, values: { yield: 71 }, failed: false, reason: null },
      { params: { ...point, solvent: 'DMF' }, value: null, values: null, failed: true, reason: 'it broke' },
    ]);
    expect(back.ignoredColumns).toEqual(['source', 'experiment', 'batch', 'device', 'finished_at', 'metadata']);
  });

  it('keeps parameters named like its own columns', () => {
    const named = parseCampaignDefinition({
      name: 'n',
      parameters: [
        { name: 'batch', type: 'integer', low: 1, high: 3 },
        { name: 'failed', type: 'integer', low: 0, high: 1 },
      ],
      objective: { name: 'y', direction: 'minimize' },
      budget: 4,
      batchSize: 2,
    });
    const csv = resultsCsv(
      named,
      [experiment(0, { batch: 2, failed: 1 }, 'completed', 3), experiment(1, { batch: 1, failed: 0 }, 'failed', null, 'experiment')],
      new Map([['b0', 0]]),
      [],
    );
    // No column can mark a failure here ("failed" is a parameter): the failed experiment is left out.
    expect(csv).toBe(
      'source,experiment,#batch,device,finished_at,batch,failed,y,metadata\ncampaign,0,0,rig-1,2026-12-06T10:00:00.000Z,2,1,3,\n',
    );
    expect(planImport(named, { source: 'export', csv }).results).toEqual([
      { params: { batch: 2, failed: 1 }, value: 3, values: { y: 3 }, failed: false, reason: null },
    ]);
  });
});
