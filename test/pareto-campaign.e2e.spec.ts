import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startSimRig, type SimRig } from '#simulators';
import { testMqttUrl } from './support/database.js';
import { dominates, hypervolume2 } from './support/pareto.js';
import { until } from './support/poll.js';
import { startTestService, TEST_TOKENS, type ErrorBody, type TestService } from './support/service.js';

/**
 * A campaign of two objectives and an outcome limit, end to end: simulated
 * flow reactors (simulators/src/functions.ts: yield up, cost down, impurity at
 * most 5 %) on the test broker, the several-objective strategy, and the front
 * and hypervolume read back from the API and the CSV export.
 */

interface Experiment {
  id: string;
  index: number;
  batchId: string;
  status: string;
  values: Record<string, number | null> | null;
  prediction: {
    mean?: number;
    outcomes?: Record<string, { mean: number; sd: number }>;
    limits?: { name: string; op: string; value: number; probability: number }[];
    improves?: string[];
    acquisition?: number;
  } | null;
}

interface Detail {
  id: string;
  status: string;
  stopReason: string | null;
  counts: Record<string, number>;
  batches: { id: string; index: number; strategy: { name: string; settings: { fit?: { ref: number[]; refSource: string } } } }[];
  experiments: Experiment[];
  pareto: {
    reference: { point: Record<string, number>; source: string } | null;
    front: { experimentId: string; index: number; values: Record<string, number> }[];
    hypervolume: { experimentId: string; completed: number; hypervolume: number }[];
  } | null;
}

const parameters = [
  { name: 'temperature', type: 'continuous', low: 40, high: 140, unit: 'C' },
  { name: 'residence_time', type: 'continuous', low: 1, high: 30, unit: 'min' },
];

/** Two objectives maximised-first: yield (max) and cost (min), as points to compare. */
const signed = (v: Record<string, number>) => [v.yield, -v.cost];

describe('a campaign of two objectives and an outcome limit', () => {
  const kind = `flowreactor-${randomUUID().slice(0, 8)}`;
  let svc: TestService;
  const rigs: SimRig[] = [];

  beforeAll(async () => {
    svc = await startTestService();
    for (const n of [1, 2]) {
      rigs.push(
        await startSimRig({
          url: testMqttUrl(),
          deviceId: `${kind}-${n}`,
          kind,
          functionName: 'flowreactor',
          noise: 0.05,
          latencyMs: 10,
          jitterMs: 20,
          failureRate: 0,
          deviceFailureRate: 0,
          capacity: 3,
          objective: 'y',
          seed: n,
        }),
      );
    }
    // The rigs' announcements (what they measure) are what a definition is checked against.
    await until(
      async () => {
        const all = (await svc.api<{ id: string; status: string }[]>('GET', '/api/devices')).body;
        return all.filter((d) => d.id.startsWith(kind) && d.status === 'online').length === 2 || undefined;
      },
      { timeoutMs: 20_000, what: 'both flow reactors online' },
    );
  });
  afterAll(async () => {
    for (const r of rigs) await r.stop();
    await svc?.stop();
  });

  const definition = (overrides: Record<string, unknown> = {}) => ({
    name: 'test: yield against cost under an impurity limit',
    parameters,
    objectives: [
      { name: 'yield', direction: 'maximize', low: 0, high: 100, ref: 0 },
      { name: 'cost', direction: 'minimize', low: 0, ref: 20 },
    ],
    outcomeConstraints: [{ name: 'impurity', op: '<=', value: 5 }],
    budget: 12,
    batchSize: 4,
    approval: 'auto',
    deviceKind: kind,
    seed: 3,
    ...overrides,
  });

  it('refuses a bad definition with a 400 that names every problem', async () => {
    const res = await svc.api<ErrorBody>(
      'POST',
      '/api/campaigns',
      definition({
        objectives: [
          { name: 'yield', direction: 'maximize', low: 0, high: 100 },
          { name: 'yield', direction: 'minimize' },
          { name: 'purity', direction: 'maximize' },
        ],
        outcomeConstraints: [
          { name: 'yield', op: '>=', value: 150 },
          { name: 'impurity', op: '<=', value: 5 },
        ],
        strategy: { kind: 'doptimal', model: 'linear', runs: 6 },
      }),
    );
    expect(res.status).toBe(400);
    const problems = res.body.error.problems;
    expect(problems).toEqual(
      expect.arrayContaining([
        'objectives[1]: objective "yield" is named twice',
        'outcomeConstraints[0]: "yield" >= 150 is impossible: "yield" is at most 100',
        expect.stringMatching(/^strategy kind "doptimal" handles one objective/),
        `"purity" is not measured by devices of kind "${kind}" (they declare cost, impurity, yield)`,
      ]),
    );
    expect((await svc.api<unknown[]>('GET', '/api/campaigns')).body).toHaveLength(0);
  });

  it('runs to its budget, and its front and hypervolume come out of the API and the export', async () => {
    const created = await svc.api<{ id: string }>('POST', '/api/campaigns', definition());
    expect(created.status).toBe(201);
    const id = created.body.id;
    const done = await until(
      async () => {
        const c = (await svc.api<Detail>('GET', `/api/campaigns/${id}`)).body;
        return c.status === 'completed' ? c : undefined;
      },
      { timeoutMs: 240_000, intervalMs: 200, what: 'the Pareto campaign to spend its budget' },
    );
    expect(done.stopReason).toBe('budget of 12 experiments spent');
    const completed = done.experiments.filter((e) => e.status === 'completed');
    expect(completed).toHaveLength(12);
    // Every result carries every objective and the limited outcome.
    for (const e of completed) for (const k of ['yield', 'cost', 'impurity']) expect(typeof e.values?.[k]).toBe('number');

    // The front: completed, meets the limit, dominated by no other result that meets it; and every such result is on it.
    const values = (e: Experiment) => e.values as Record<string, number>;
    const meeting = completed.filter((e) => values(e).impurity <= 5);
    const expected = meeting.filter((e) => !meeting.some((o) => o !== e && dominates(signed(values(o)), signed(values(e)))));
    const pareto = done.pareto!;
    expect(pareto.front.map((f) => f.index).sort((a, b) => a - b)).toEqual(expected.map((e) => e.index).sort((a, b) => a - b));
    expect(pareto.front.length).toBeGreaterThan(0);
    expect(pareto.reference).toEqual({ point: { yield: 0, cost: 20 }, source: 'given' });

    // Hypervolume after each result, in the order they finished: never falls, and ends at the front's.
    expect(pareto.hypervolume.map((h) => h.completed)).toEqual(Array.from({ length: 12 }, (_, k) => k + 1));
    for (let k = 1; k < 12; k++) expect(pareto.hypervolume[k].hypervolume).toBeGreaterThanOrEqual(pareto.hypervolume[k - 1].hypervolume);
    const last = pareto.hypervolume[11].hypervolume;
    expect(last).toBeGreaterThan(0);
    expect(last).toBeCloseTo(
      hypervolume2(
        meeting.map((e) => signed(values(e))),
        [0, -20],
      ),
      8,
    );

    // The model's batches: the several-objective strategy, its reference point recorded, and per proposal
    // every outcome's prediction, the limit's probability and the objectives it expects to improve.
    const modelBatches = done.batches.filter((b) => b.strategy.name === 'bayesian/multi-objective');
    expect(modelBatches.length).toBeGreaterThan(0);
    for (const b of modelBatches) {
      expect(b.strategy.settings.fit?.refSource).toBe('given');
      for (const e of done.experiments.filter((x) => x.batchId === b.id)) {
        const p = e.prediction!;
        expect(Object.keys(p.outcomes ?? {}).sort()).toEqual(['cost', 'impurity', 'yield']);
        expect(p.limits).toHaveLength(1);
        expect(p.limits![0]).toEqual(expect.objectContaining({ name: 'impurity', op: '<=', value: 5 }));
        expect(p.limits![0].probability).toBeGreaterThanOrEqual(0);
        expect(p.limits![0].probability).toBeLessThanOrEqual(1);
        expect(Array.isArray(p.improves)).toBe(true);
        for (const k of p.improves ?? []) expect(['yield', 'cost']).toContain(k);
      }
    }

    // The export: a column per objective and limited outcome, and the front flagged.
    const res = await fetch(`${svc.httpUrl}/api/campaigns/${id}/results.csv`, {
      headers: { authorization: `Bearer ${TEST_TOKENS.viewer.token}` },
    });
    expect(res.status).toBe(200);
    const [header, ...rows] = (await res.text()).trim().split('\n');
    const cols = header.split(',');
    expect(cols).toEqual(expect.arrayContaining(['yield', 'cost', 'impurity', 'pareto']));
    expect(rows).toHaveLength(12);
    const flagged = rows
      .map((r) => r.split(','))
      .filter((r) => r[cols.indexOf('pareto')] === 'true')
      .map((r) => Number(r[cols.indexOf('experiment')]));
    expect(flagged.sort((a, b) => a - b)).toEqual(pareto.front.map((f) => f.index).sort((a, b) => a - b));
    for (const r of rows.map((line) => line.split(','))) {
      const e = completed.find((x) => x.index === Number(r[cols.indexOf('experiment')]))!;
      expect(Number(r[cols.indexOf('cost')])).toBe(values(e).cost);
    }
  }, 300_000);

  it('runs with trees per outcome: accepted, and each model proposal records every prediction, the limit and the acquisition', async () => {
    const created = await svc.api<{ id: string }>('POST', '/api/campaigns', definition({ strategy: { kind: 'trees' } }));
    expect(created.status).toBe(201);
    const done = await until(
      async () => {
        const c = (await svc.api<Detail>('GET', `/api/campaigns/${created.body.id}`)).body;
        return c.status === 'completed' ? c : undefined;
      },
      { timeoutMs: 240_000, intervalMs: 200, what: 'the trees campaign to spend its budget' },
    );
    expect(done.counts.completed).toBe(12);
    const modelBatches = done.batches.filter((b) => b.strategy.name === 'bayesian/extra-trees-multi-objective');
    expect(modelBatches.length).toBeGreaterThan(0);
    for (const b of modelBatches) {
      expect(b.strategy.settings.fit).toEqual(expect.objectContaining({ refSource: 'given', ref: [0, 20] }));
      for (const e of done.experiments.filter((x) => x.batchId === b.id)) {
        const p = e.prediction!;
        expect(Object.keys(p.outcomes ?? {}).sort()).toEqual(['cost', 'impurity', 'yield']);
        expect(p.mean).toBe(p.outcomes?.yield.mean);
        expect(p.limits).toEqual([expect.objectContaining({ name: 'impurity', op: '<=', value: 5, probability: expect.any(Number) })]);
        expect(Array.isArray(p.improves)).toBe(true);
        expect(p.acquisition).toEqual(expect.any(Number));
      }
    }
    expect(done.pareto?.front.length).toBeGreaterThan(0);
  }, 300_000);

  it('ends when the front reaches its hypervolume target', async () => {
    const created = await svc.api<{ id: string }>(
      'POST',
      '/api/campaigns',
      definition({ budget: 40, strategy: { kind: 'sobol' }, target: { hypervolume: 1 } }),
    );
    expect(created.status).toBe(201);
    const done = await until(
      async () => {
        const c = (await svc.api<Detail>('GET', `/api/campaigns/${created.body.id}`)).body;
        return c.status === 'completed' ? c : undefined;
      },
      { timeoutMs: 60_000, what: 'the campaign to reach its target' },
    );
    expect(done.stopReason).toMatch(/^target reached: hypervolume [0-9.e+-]+ >= 1$/);
    expect(done.pareto!.hypervolume.at(-1)!.hypervolume).toBeGreaterThanOrEqual(1);
    expect(done.counts.completed).toBeLessThan(40);
  }, 90_000);
});
