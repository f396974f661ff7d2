import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parseCsv, toCsv } from '#tables';
import { expectedImprovements } from '../apps/orchestrator/src/campaigns/pareto.js';
import { dominates, hypervolume2 } from './support/pareto.js';
import { until } from './support/poll.js';
import { startTestService, TEST_TOKENS, type ErrorBody, type TestService } from './support/service.js';

/**
 * Earlier results imported into a campaign of two objectives (yield up, cost
 * down) and an outcome limit (impurity at most 5): each result holds every
 * outcome's value, the several-objective strategy learns from them from its
 * first proposal, and the campaign's own front stays its own, with the
 * imports' front beside it, in the API and the CSV export.
 */

type Values = { yield: number; cost: number; impurity: number };

/** A closed-form flow reactor: yield peaks at 100 °C and rises with time; cost and impurity rise with both. */
function reactor(t: number, r: number): Values {
  return {
    yield: 100 * (1 - Math.exp(-r / 10)) * Math.exp(-(((t - 100) / 40) ** 2)),
    cost: 0.1 * t + 0.3 * r,
    impurity: 0.05 * t + 0.1 * r - 2,
  };
}

/** Twelve earlier results on a 4 × 3 grid and a failed run, as CSV with a column per outcome (in another order than the definition's). */
function earlier(): { csv: string; values: Values[]; params: { temperature: number; residence_time: number }[] } {
  const lines = ['temperature,residence_time,impurity,cost,yield,failed,failure_reason'];
  const values: Values[] = [];
  const params: { temperature: number; residence_time: number }[] = [];
  for (const t of [50, 80, 110, 140]) {
    for (const r of [3, 12, 25]) {
      const v = reactor(t, r);
      values.push(v);
      params.push({ temperature: t, residence_time: r });
      lines.push(`${t},${r},${v.impurity},${v.cost},${v.yield},false,`);
    }
  }
  lines.push('130,28,,,,true,decomposed');
  return { csv: `${lines.join('\n')}\n`, values, params };
}

const signed = (v: Values) => [v.yield, -v.cost];
/** Those that meet the limit and that no other such result dominates. */
const frontOf = (all: Values[]) => {
  const meeting = all.filter((v) => v.impurity <= 5);
  return meeting.filter((v) => !meeting.some((o) => o !== v && dominates(signed(o), signed(v))));
};

interface Batch {
  id: string;
  status: string;
  strategy: {
    name: string;
    observations: number;
    imported: number;
    settings: { fit?: { ref: number[]; refSource: string; front: number }; phase?: string };
  };
}

interface Detail {
  id: string;
  status: string;
  imported: { results: number; failed: number; best: { value: number } | null };
  batches: Batch[];
  experiments: {
    id: string;
    index: number;
    batchId: string;
    params: Record<string, number>;
    prediction: { outcomes?: Record<string, { mean: number; sd: number }>; improves?: string[] } | null;
  }[];
  pareto: {
    reference: { point: Record<string, number>; source: string } | null;
    front: { experimentId: string; index: number; values: Values }[];
    imported: { results: number; front: { index: number; source: string; values: Values }[]; hypervolume: number | null };
  };
}

describe('earlier results of several outcomes imported into a campaign of two objectives and a limit', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService();
  });
  afterAll(async () => {
    await svc?.stop();
  });

  const parameters = [
    { name: 'temperature', type: 'continuous', low: 40, high: 140, unit: 'C' },
    { name: 'residence_time', type: 'continuous', low: 1, high: 30, unit: 'min' },
  ];
  const definition = (overrides: Record<string, unknown> = {}) => ({
    name: 'test: yield against cost under an impurity limit, from earlier results',
    parameters,
    // Cost has no reference point: the strategy infers it from what it learned from.
    objectives: [
      { name: 'yield', direction: 'maximize', low: 0, high: 100, ref: 0 },
      { name: 'cost', direction: 'minimize', low: 0 },
    ],
    outcomeConstraints: [{ name: 'impurity', op: '<=', value: 5 }],
    budget: 4,
    batchSize: 2,
    approval: 'manual',
    // Experiments that a person runs and reports: nothing runs them meanwhile.
    deviceKind: 'manual',
    seed: 11,
    ...overrides,
  });
  const get = async (id: string) => (await svc.api<Detail>('GET', `/api/campaigns/${id}`)).body;
  const batches = (id: string, count: number) =>
    // A fit of three outcome models: seconds of CPU, more on a loaded machine.
    until(async () => ((await get(id)).batches.length >= count ? get(id) : undefined), {
      timeoutMs: 90_000,
      what: `batch ${count} of ${id}`,
    });
  const stored = async (id: string) =>
    Number((await svc.dataSource.query(`SELECT count(*) AS n FROM imported_results WHERE campaign_id = $1`, [id]))[0].n);

  it('refuses a bad import whole, naming every problem, and stores nothing', async () => {
    const created = await svc.api<{ id: string }>('POST', '/api/campaigns', definition());
    expect(created.status).toBe(201);
    const id = created.body.id;
    const at = { temperature: 80, residence_time: 10 };
    const json = await svc.api<ErrorBody>(
      'POST',
      `/api/campaigns/${id}/imports`,
      {
        source: 'Smith 2019',
        results: [
          { params: at, values: reactor(80, 10) },
          { params: at, values: { yield: 50, cost: 10 } },
          { params: at, values: { ...reactor(80, 10), purity: 99 } },
          { params: at, value: 50 },
          { params: { ...at, temperature: 200 }, values: reactor(80, 10) },
        ],
      },
      { as: 'operator' },
    );
    expect(json.status).toBe(400);
    expect(json.body.error.code).toBe('invalid_input');
    expect(json.body.error.message).toMatch(/4 problems; nothing was imported/);
    expect(json.body.error.problems).toEqual([
      'results[1]: values: no value for "impurity"',
      'results[2]: values: "purity" is not an objective or limited outcome of this campaign ("yield", "cost", "impurity")',
      'results[3]: "value" holds one objective\'s value; this campaign needs "values" with one for each of "yield", "cost", "impurity"',
      'results[4]: "temperature" = 200 is outside [40, 140]',
    ]);
    const csv = await svc.api<ErrorBody>(
      'POST',
      `/api/campaigns/${id}/imports`,
      { source: 'Smith 2019', csv: 'temperature,residence_time,yield,cost\n80,10,50,8\n' },
      { as: 'operator' },
    );
    expect(csv.status).toBe(400);
    expect(csv.body.error.problems).toEqual([
      'csv: the header has no column for "impurity" (it needs one per parameter and one per outcome ("yield", "cost", "impurity"))',
    ]);
    const cells = await svc.api<ErrorBody>(
      'POST',
      `/api/campaigns/${id}/imports`,
      {
        source: 'Smith 2019',
        csv: 'temperature,residence_time,yield,cost,impurity,failed\n80,10,50,8,1,\n80,10,50,,1,\n80,10,50,cheap,1,\n80,10,,,0.5,true\n',
      },
      { as: 'operator' },
    );
    expect(cells.body.error.problems).toEqual([
      'csv: line 3, column "cost": empty (a failed experiment is marked true in a "failed" column)',
      'csv: line 4, column "cost": "cheap" is not a number',
      'csv: line 5: a failed experiment has no value, but "impurity" is 0.5',
    ]);
    expect(await stored(id)).toBe(0);
    expect((await get(id)).imported).toEqual({ results: 0, failed: 0, best: null });
    expect((await svc.api('POST', `/api/campaigns/${id}/cancel`)).status).toBe(200);
  });

  it('learns from them at its first proposal, keeps its own front apart from theirs, and exports both as the table an import reads', async () => {
    const { csv, values } = earlier();
    const created = await svc.api<{ id: string; imported: Detail['imported'] }>(
      'POST',
      '/api/campaigns',
      definition({ earlierResults: { source: 'Lab notebook 5, p. 2', csv } }),
    );
    expect(created.status).toBe(201);
    expect(created.body.imported).toMatchObject({ results: 13, failed: 1, best: { value: Math.max(...values.map((v) => v.yield)) } });
    const id = created.body.id;
    // Every outcome of every result is stored as a value (a failed run holds none).
    const list = await svc.api<{ index: number; objective: number | null; values: Values | null; failed: boolean }[]>(
      'GET',
      `/api/campaigns/${id}/imports`,
      undefined,
      { as: 'viewer' },
    );
    expect(list.body.map((r) => r.values)).toEqual([...values, null]);
    expect(list.body.map((r) => r.objective)).toEqual([...values.map((v) => v.yield), null]);

    // The first batch is the model's, fitted to the 13 imported results: without them it would be the space-filling design.
    const first = (await batches(id, 1)).batches[0];
    expect(first.strategy).toMatchObject({ name: 'bayesian/multi-objective', observations: 13, imported: 13 });
    // Cost's reference point is inferred from the imported costs: the worst, a tenth of their range worse.
    const costs = values.map((v) => v.cost);
    const worst = Math.max(...costs) + 0.1 * (Math.max(...costs) - Math.min(...costs));
    expect(first.strategy.settings.fit?.ref[0]).toBe(0);
    expect(first.strategy.settings.fit?.ref[1]).toBeCloseTo(worst, 9);
    expect(first.strategy.settings.fit?.refSource).toMatch(/^inferred/);
    const proposed = (await get(id)).experiments.filter((e) => e.batchId === first.id);
    expect(proposed).toHaveLength(2);
    // Each proposal's expected improvements are judged against the front of what the strategy learned from: the imports'.
    const objectives = [
      { name: 'yield', direction: 'maximize' as const },
      { name: 'cost', direction: 'minimize' as const },
    ];
    for (const e of proposed) {
      expect(Object.keys(e.prediction?.outcomes ?? {}).sort()).toEqual(['cost', 'impurity', 'yield']);
      expect(e.prediction?.improves).toEqual(expectedImprovements(objectives, frontOf(values), e.prediction!.outcomes!));
    }

    // Two results of its own, reported by hand: one meets the limit, one does not; the imports dominate both.
    expect((await svc.api('POST', `/api/campaigns/${id}/batches/${first.id}/approve`, {}, { as: 'operator' })).status).toBe(200);
    const own: Values[] = [
      { yield: 20, cost: 30, impurity: 1 },
      { yield: 25, cost: 35, impurity: 6 },
    ];
    for (const [k, e] of proposed.entries()) {
      const res = await svc.api('POST', `/api/experiments/${e.id}/result`, { values: own[k] }, { as: 'operator' });
      expect(res.status).toBe(200);
    }
    const detail = await until(
      async () => {
        const c = await get(id);
        return c.pareto.front.length > 0 ? c : undefined;
      },
      { what: 'the own results on the front' },
    );
    // The campaign's front is of its own results (as `best` is for one objective), the reference inferred from them.
    expect(detail.pareto.front.map((f) => f.experimentId)).toEqual([proposed[0].id]);
    expect(detail.pareto.reference?.point).toEqual({ yield: 0, cost: 35.5 });
    // The imports' front beside it, and its hypervolume against the same reference.
    const importedFront = frontOf(values);
    expect(importedFront.length).toBeGreaterThan(1);
    expect(detail.pareto.imported.results).toBe(12);
    expect(detail.pareto.imported.front.map((f) => f.values)).toEqual(importedFront);
    for (const f of detail.pareto.imported.front) expect(f.source).toBe('Lab notebook 5, p. 2');
    expect(detail.pareto.imported.hypervolume).toBeCloseTo(hypervolume2(importedFront.map(signed), [0, -35.5]), 8);

    // The export: imported results first with every outcome and no front flag, then the campaign's own, flagged.
    const exported = await fetch(`${svc.httpUrl}/api/campaigns/${id}/results.csv`, {
      headers: { authorization: `Bearer ${TEST_TOKENS.viewer.token}` },
    });
    expect(exported.status).toBe(200);
    const table = parseCsv(await exported.text());
    const col = (name: string) => table.columns.indexOf(name);
    const cell = (r: string[], name: string) => r[col(name)];
    expect(table.rows).toHaveLength(15);
    expect(table.rows.slice(0, 12).map((r) => ['yield', 'cost', 'impurity'].map((k) => Number(cell(r, k))))).toEqual(
      values.map((v) => [v.yield, v.cost, v.impurity]),
    );
    expect(table.rows.slice(0, 13).map((r) => [cell(r, 'source'), cell(r, 'pareto')])).toEqual(
      Array.from({ length: 13 }, () => ['Lab notebook 5, p. 2', '']),
    );
    expect(cell(table.rows[12], 'failed')).toBe('true');
    expect(table.rows.slice(13).map((r) => [cell(r, 'source'), cell(r, 'pareto')])).toEqual([
      ['campaign', 'true'],
      ['campaign', 'false'],
    ]);

    // The export starts another campaign: all of it imported, every outcome, and the front of the lot.
    const next = await svc.api<Detail>(
      'POST',
      '/api/campaigns',
      definition({ earlierResults: { source: `campaign ${id}`, csv: toCsv(table.columns, table.rows) } }),
    );
    expect(next.status).toBe(201);
    expect(next.body.imported).toMatchObject({ results: 15, failed: 1 });
    expect(next.body.pareto.imported.results).toBe(14);
    expect(next.body.pareto.imported.front.map((f) => f.values)).toEqual(frontOf([...values, ...own]));
    expect((await batches(next.body.id, 1)).batches[0].strategy).toMatchObject({ name: 'bayesian/multi-objective', observations: 15 });
  }, 300_000);

  it('over a candidate list, the pool strategy learns from them too and never proposes a row imported', async () => {
    const rows = [50, 70, 90, 110, 130].flatMap((t) => [2, 8, 16, 28].map((r) => ({ temperature: t, residence_time: r })));
    const earlierRows = rows.filter((_, k) => k % 3 === 0);
    const created = await svc.api<{ id: string }>(
      'POST',
      '/api/campaigns',
      definition({
        candidates: { rows },
        earlierResults: {
          source: 'screen',
          results: earlierRows.map((p) => ({ params: p, values: reactor(p.temperature, p.residence_time) })),
        },
      }),
    );
    expect(created.status).toBe(201);
    const detail = await batches(created.body.id, 1);
    const batch = detail.batches[0];
    // Past the pool's design (5 rows): the outcome models' phase, fitted to the imported rows.
    expect(batch.strategy).toMatchObject({ name: 'pool/multi-objective', observations: earlierRows.length, imported: earlierRows.length });
    expect(batch.strategy.settings.phase).toMatch(/^gp-/);
    expect(batch.strategy.settings.fit?.front).toBeGreaterThan(0);
    const key = (p: Record<string, number>) => `${p.temperature}|${p.residence_time}`;
    const imported = new Set(earlierRows.map(key));
    const proposed = detail.experiments.filter((e) => e.batchId === batch.id);
    expect(proposed).toHaveLength(2);
    for (const e of proposed) expect(imported.has(key(e.params))).toBe(false);
  }, 120_000);
});
