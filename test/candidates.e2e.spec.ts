import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { directArylationCampaignParameters, directArylationEmulator, startEmulatorDevice, type EmulatorDevice } from '#simulators';
import { testMqttUrl } from './support/database.js';
import { until } from './support/poll.js';
import { startTestService, TEST_TOKENS, type ErrorBody, type TestService } from './support/service.js';

/**
 * Campaigns over candidate lists: a list of direct-arylation reactions
 * uploaded as CSV, run to its budget by the direct-arylation emulator as the
 * MQTT rig; only rows of the list proposed, none twice, exclusions made
 * mid-campaign respected, and every problem of a bad list named.
 */
interface Experiment {
  params: Record<string, string | number>;
  status: string;
  objective: number | null;
  batchId: string;
}
interface Candidates {
  list: { id: string; rows: number };
  replicates: number;
  proposed: number;
  available: number;
  excluded: { row: number; reason: string; excludedBy: string }[];
}

const emulator = directArylationEmulator();
const parameters = directArylationCampaignParameters();
const bases = emulator.choices.base;
const ligands = emulator.choices.ligand.slice(0, 5);
const solvents = emulator.choices.solvent.slice(0, 3);
/** 60 reactions at 0.1 M and 105 °C, with one numeric descriptor of the row (the ligand's molar mass). */
const rows = bases.flatMap((base) =>
  ligands.flatMap((ligand) =>
    solvents.map((solvent) => ({
      base,
      ligand,
      solvent,
      concentration_M: '0.1',
      temperature_C: '105',
      ligand_mass: emulator.descriptors.ligand[ligand].molar_mass,
    })),
  ),
);
const csvOf = (table: Record<string, string | number>[]) =>
  [Object.keys(table[0]).join(','), ...table.map((r) => Object.values(r).join(','))].join('\n');
const keyOf = (p: Record<string, string | number>) =>
  [p.base, p.ligand, p.solvent, String(p.concentration_M), String(p.temperature_C)].join('|');

describe('campaigns over a candidate list', () => {
  let svc: TestService;
  let rig: EmulatorDevice;
  const kind = `arylation-list-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    svc = await startTestService();
    rig = await startEmulatorDevice(emulator, {
      url: testMqttUrl(),
      deviceId: `${kind}-1`,
      kind,
      noise: 0,
      latencyMs: 5,
      jitterMs: 5,
      failureRate: 0,
      deviceFailureRate: 0,
      capacity: 4,
      seed: 1,
    });
  });
  afterAll(async () => {
    await rig?.stop();
    await svc?.stop();
  });

  async function uploadCsv(csv: string, query: string): Promise<{ status: number; body: { id: string; rows: number } & ErrorBody }> {
    const res = await fetch(`${svc.httpUrl}/api/candidate-lists?${query}`, {
      method: 'POST',
      headers: { 'content-type': 'text/csv', authorization: `Bearer ${TEST_TOKENS.operator.token}` },
      body: csv,
    });
    return { status: res.status, body: (await res.json()) as { id: string; rows: number } & ErrorBody };
  }

  const definition = (candidates: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
    name: 'arylation over a list',
    parameters,
    objective: { name: 'yield', direction: 'maximize', low: 0, high: 100 },
    budget: 24,
    batchSize: 4,
    approval: 'manual',
    deviceKind: kind,
    seed: 5,
    candidates,
    ...extra,
  });

  it('names every problem of a list that does not fit the parameters, and creates nothing', async () => {
    const bad = [
      ...rows.slice(0, 3),
      { ...rows[3], ligand: 'Unobtainium' },
      { ...rows[4], temperature_C: '200' },
      rows[1],
      { ...rows[5], ligand_mass: 'heavy' },
    ];
    const uploaded = await uploadCsv(csvOf(bad), 'name=bad&descriptors=ligand_mass');
    expect(uploaded.status).toBe(201);
    const refused = await svc.api<ErrorBody>('POST', '/api/campaigns', definition({ list: uploaded.body.id }));
    expect(refused.status).toBe(400);
    const problems = refused.body.error.problems.join('\n');
    expect(problems).toMatch(/row 4: "ligand" must be one of/);
    expect(problems).toMatch(/row 5: "temperature_C" must be one of/);
    expect(problems).toMatch(/row 6 repeats row 2/);
    expect(problems).toMatch(/row 7, column "ligand_mass": descriptor "heavy" is not a number/);
    // An undeclared column is named too (here the descriptor, uploaded without saying it is one).
    const undeclared = await uploadCsv(csvOf(rows.slice(0, 5)), 'name=undeclared');
    const refusedAgain = await svc.api<ErrorBody>('POST', '/api/campaigns', definition({ list: undeclared.body.id }));
    expect(refusedAgain.status).toBe(400);
    expect(refusedAgain.body.error.problems.join('\n')).toMatch(/column "ligand_mass" is neither a parameter .* nor a declared descriptor/);
    // Inline rows are checked the same way; the budget must fit in the list.
    const inline = await svc.api<ErrorBody>(
      'POST',
      '/api/campaigns',
      definition({ rows: [{ ...rows[0], ligand: 'Unobtainium', ligand_mass: undefined }] }, { budget: 4 }),
    );
    expect(inline.status).toBe(400);
    expect(inline.body.error.problems.join('\n')).toMatch(/budget \(4\) exceeds what the list can give \(1 rows x 1 replicates = 1\)/);
    const unknownChoice = await svc.api<ErrorBody>(
      'POST',
      '/api/campaigns',
      definition({ rows: [{ ...rows[0], ligand: 'Unobtainium' }], descriptors: ['ligand_mass'] }, { budget: 1, batchSize: 1 }),
    );
    expect(unknownChoice.status).toBe(400);
    expect(unknownChoice.body.error.problems.join('\n')).toMatch(/candidates: row 1: "ligand" must be one of/);
    const list = (await svc.api<{ name: string }[]>('GET', '/api/campaigns')).body;
    expect(list.filter((c) => c.name === 'arylation over a list')).toEqual([]);
  });

  it('runs to its budget proposing only rows of the list, none twice, and none an operator excluded', async () => {
    const uploaded = await uploadCsv(csvOf(rows), 'name=arylation%2060&descriptors=ligand_mass');
    expect(uploaded.status).toBe(201);
    expect(uploaded.body.rows).toBe(60);
    const created = await svc.api<{ id: string }>('POST', '/api/campaigns', definition({ list: uploaded.body.id }));
    expect(created.status).toBe(201);
    const id = created.body.id;

    // The first batch waits for approval: exclude 20 rows it does not hold, then let the rest run.
    type Campaign = { status: string; batches: { id: string; status: string }[]; experiments: Experiment[] };
    const first = await until(
      async () => {
        const c = (await svc.api<Campaign>('GET', `/api/campaigns/${id}`)).body;
        return c.batches.length > 0 && c.experiments.length > 0 ? c : undefined;
      },
      { what: 'the first batch' },
    );
    const inFirst = new Set(first.experiments.map((e) => keyOf(e.params)));
    const excludedRows = rows
      .map((r, i) => ({ key: keyOf(r), number: i + 1 }))
      .filter((r) => !inFirst.has(r.key))
      .slice(0, 20);
    const badExclusion = await svc.api<ErrorBody>(
      'POST',
      `/api/campaigns/${id}/candidates/exclusions`,
      { rows: [0, 61], reason: 'typo' },
      { as: 'operator' },
    );
    expect(badExclusion.status).toBe(400);
    expect(badExclusion.body.error.problems).toEqual([
      'rows[0]: row 0 is not a row of the list (rows 1 to 60)',
      'rows[1]: row 61 is not a row of the list (rows 1 to 60)',
    ]);
    const excluded = await svc.api<Candidates>(
      'POST',
      `/api/campaigns/${id}/candidates/exclusions`,
      { rows: excludedRows.map((r) => r.number), reason: 'ligand out of stock' },
      { as: 'operator' },
    );
    expect(excluded.status).toBe(200);
    expect(excluded.body.excluded).toHaveLength(20);
    expect(excluded.body.excluded[0]).toMatchObject({ reason: 'ligand out of stock', excludedBy: 'operator:ada' });
    expect(excluded.body.available).toBe(60 - 20 - inFirst.size);

    expect((await svc.api('PUT', `/api/campaigns/${id}/approval`, { policy: 'auto' }, { as: 'operator' })).status).toBe(200);
    await svc.api('POST', `/api/campaigns/${id}/batches/${first.batches[0].id}/approve`, {}, { as: 'operator' });
    const done = await until(
      async () => {
        const c = (await svc.api<Campaign>('GET', `/api/campaigns/${id}`)).body;
        return c.status === 'completed' ? c : undefined;
      },
      { timeoutMs: 120_000, what: 'the campaign to complete' },
    );

    const listed = new Set(rows.map(keyOf));
    const forbidden = new Set(excludedRows.map((r) => r.key));
    const proposed = done.experiments.map((e) => keyOf(e.params));
    expect(done.experiments).toHaveLength(24);
    expect(proposed.filter((k) => !listed.has(k))).toEqual([]);
    expect(new Set(proposed).size).toBe(proposed.length);
    expect(proposed.filter((k) => forbidden.has(k))).toEqual([]);
    for (const e of done.experiments) {
      expect(e.status).toBe('completed');
      const answer = emulator.evaluate(e.params);
      expect(answer.ok && answer.values.yield).toBeCloseTo(e.objective as number, 9);
    }
    const after = (await svc.api<Candidates>('GET', `/api/campaigns/${id}/candidates`)).body;
    expect(after).toMatchObject({ proposed: 24, available: 60 - 20 - 24, replicates: 1 });
    const audit = (await svc.api<{ action: string; details: { rows: number[] } }[]>('GET', `/api/campaigns/${id}/audit`)).body;
    expect(audit.find((a) => a.action === 'candidates.excluded')?.details.rows).toEqual(excludedRows.map((r) => r.number));
  });
  it('runs a list with two objectives and an outcome limit: the several-objective models pick its rows, with every prediction recorded', async () => {
    const uploaded = await uploadCsv(csvOf(rows), 'name=arylation%2060%20pareto&descriptors=ligand_mass');
    expect(uploaded.status).toBe(201);
    // A cost limit that some rows of the list meet and others do not.
    const costs = rows.map((r) => {
      const a = emulator.evaluate(r);
      if (!a.ok) throw new Error(`the emulator has no value for ${keyOf(r)}`);
      return a.values.cost;
    });
    const limit = [...costs].sort((a, b) => a - b)[Math.floor(costs.length * 0.6)];
    const created = await svc.api<{ id: string }>(
      'POST',
      '/api/campaigns',
      definition(
        { list: uploaded.body.id },
        {
          name: 'arylation yield against cost over a list',
          objective: undefined,
          objectives: [
            { name: 'yield', direction: 'maximize', low: 0, high: 100, ref: 0 },
            { name: 'cost', direction: 'minimize', low: 0 },
          ],
          outcomeConstraints: [{ name: 'cost', op: '<=', value: limit }],
          budget: 20,
        },
      ),
    );
    expect(created.status).toBe(201);
    const id = created.body.id;
    type Campaign = {
      status: string;
      batches: { id: string; strategy: { name: string; settings: { fit?: { refSource: string } } } }[];
      experiments: (Experiment & {
        values: Record<string, number> | null;
        prediction: {
          outcomes?: Record<string, { mean: number; sd: number }>;
          limits?: { name: string; probability: number }[];
          improves?: string[];
        } | null;
      })[];
      pareto: { front: { index: number; values: Record<string, number> }[] } | null;
    };
    const first = await until(
      async () => {
        const c = (await svc.api<Campaign>('GET', `/api/campaigns/${id}`)).body;
        return c.batches.length > 0 && c.experiments.length > 0 ? c : undefined;
      },
      { what: 'the first batch' },
    );
    const inFirst = new Set(first.experiments.map((e) => keyOf(e.params)));
    const excludedRows = rows
      .map((r, i) => ({ key: keyOf(r), number: i + 1 }))
      .filter((r) => !inFirst.has(r.key))
      .slice(0, 15);
    const excluded = await svc.api<Candidates>(
      'POST',
      `/api/campaigns/${id}/candidates/exclusions`,
      { rows: excludedRows.map((r) => r.number), reason: 'base out of stock' },
      { as: 'operator' },
    );
    expect(excluded.status).toBe(200);
    expect((await svc.api('PUT', `/api/campaigns/${id}/approval`, { policy: 'auto' }, { as: 'operator' })).status).toBe(200);
    await svc.api('POST', `/api/campaigns/${id}/batches/${first.batches[0].id}/approve`, {}, { as: 'operator' });
    const done = await until(
      async () => {
        const c = (await svc.api<Campaign>('GET', `/api/campaigns/${id}`)).body;
        return c.status === 'completed' ? c : undefined;
      },
      { timeoutMs: 120_000, what: 'the campaign to complete' },
    );

    // Only rows of the list, none twice, none excluded; every outcome the emulator's.
    const listed = new Set(rows.map(keyOf));
    const forbidden = new Set(excludedRows.map((r) => r.key));
    const proposed = done.experiments.map((e) => keyOf(e.params));
    expect(done.experiments).toHaveLength(20);
    expect(proposed.filter((k) => !listed.has(k))).toEqual([]);
    expect(new Set(proposed).size).toBe(proposed.length);
    expect(proposed.filter((k) => forbidden.has(k))).toEqual([]);
    for (const e of done.experiments) {
      expect(e.status).toBe('completed');
      const answer = emulator.evaluate(e.params);
      if (!answer.ok) throw new Error('the emulator measured a row it has no value for');
      expect(e.values?.yield).toBeCloseTo(answer.values.yield, 9);
      expect(e.values?.cost).toBeCloseTo(answer.values.cost, 9);
    }
    // After the design, the several-objective models over the rows: per proposal every outcome's prediction,
    // the limit's probability and the objectives it may improve, as on a continuous space.
    const modelBatches = done.batches.filter((b) => b.strategy.name === 'pool/multi-objective' && b.strategy.settings.fit);
    expect(modelBatches.length).toBeGreaterThan(0);
    for (const b of modelBatches) {
      expect(b.strategy.settings.fit?.refSource).toMatch(/^inferred/);
      for (const e of done.experiments.filter((x) => x.batchId === b.id)) {
        const p = e.prediction!;
        expect(Object.keys(p.outcomes ?? {}).sort()).toEqual(['cost', 'yield']);
        expect(p.limits).toHaveLength(1);
        expect(p.limits![0].probability).toBeGreaterThanOrEqual(0);
        expect(p.limits![0].probability).toBeLessThanOrEqual(1);
        expect(Array.isArray(p.improves)).toBe(true);
      }
    }
    // The front: results that meet the limit, none dominated by another that does.
    const meeting = done.experiments.filter((e) => (e.values?.cost ?? Infinity) <= limit);
    expect(meeting.length).toBeGreaterThan(0);
    const front = done.pareto?.front ?? [];
    expect(front.length).toBeGreaterThan(0);
    for (const f of front) {
      expect(f.values.cost).toBeLessThanOrEqual(limit);
      const beaten = meeting.some(
        (e) =>
          e.values!.yield >= f.values.yield &&
          e.values!.cost <= f.values.cost &&
          (e.values!.yield > f.values.yield || e.values!.cost < f.values.cost),
      );
      expect(beaten).toBe(false);
    }
  }, 150_000);

  it('completes a campaign whose inline list is used up or excluded, saying so', async () => {
    const created = await svc.api<{ id: string; definition: { candidates: { list: string } } }>(
      'POST',
      '/api/campaigns',
      definition({ rows: rows.slice(0, 8), descriptors: ['ligand_mass'] }, { name: 'arylation over 8 rows', budget: 8, batchSize: 2 }),
    );
    expect(created.status).toBe(201);
    const id = created.body.id;
    // The inline rows were stored as a list of their own, which the stored definition names.
    const stored = await svc.api<Candidates>('GET', `/api/campaigns/${id}/candidates`);
    expect(stored.body.list).toMatchObject({ id: created.body.definition.candidates.list, rows: 8 });
    type Campaign = { status: string; stopReason: string | null; batches: { id: string }[]; experiments: Experiment[] };
    const first = await until(
      async () => {
        const c = (await svc.api<Campaign>('GET', `/api/campaigns/${id}`)).body;
        return c.experiments.length > 0 ? c : undefined;
      },
      { what: 'the first batch' },
    );
    const inFirst = new Set(first.experiments.map((e) => keyOf(e.params)));
    const others = rows.slice(0, 8).flatMap((r, i) => (inFirst.has(keyOf(r)) ? [] : [i + 1]));
    const excluded = await svc.api(
      'POST',
      `/api/campaigns/${id}/candidates/exclusions`,
      { rows: others.slice(0, 4), reason: 'not today' },
      { as: 'operator' },
    );
    expect(excluded.status).toBe(200);
    await svc.api('PUT', `/api/campaigns/${id}/approval`, { policy: 'auto' }, { as: 'operator' });
    await svc.api('POST', `/api/campaigns/${id}/batches/${first.batches[0].id}/approve`, {}, { as: 'operator' });
    const done = await until(
      async () => {
        const c = (await svc.api<Campaign>('GET', `/api/campaigns/${id}`)).body;
        return c.status === 'completed' ? c : undefined;
      },
      { timeoutMs: 60_000, what: 'the campaign to complete' },
    );
    // 8 rows, 4 excluded: 4 experiments, then nothing left to propose.
    expect(done.experiments).toHaveLength(4);
    expect(done.stopReason).toMatch(/no candidates left/);
  });
});
