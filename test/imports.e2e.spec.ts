import { randomUUID } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { parseCsv, toCsv } from '#tables';
import { serviceWithBraninRig } from './support/branin-rig.js';
import { until } from './support/poll.js';
import { braninCampaign, firstBatch, TEST_TOKENS, type ErrorBody } from './support/service.js';

const branin = (x1: number, x2: number) =>
  (x2 - (5.1 / (4 * Math.PI ** 2)) * x1 ** 2 + (5 / Math.PI) * x1 - 6) ** 2 + 10 * (1 - 1 / (8 * Math.PI)) * Math.cos(x1) + 10;

/** Earlier Branin results on a 4 × 3 grid as CSV, the last row a failed run, with a notes column the import does not read. */
function earlierResults(): { csv: string; values: number[] } {
  const lines = ['x1,x2,y,failed,failure_reason,notes'];
  const values: number[] = [];
  for (const x1 of [-2.5, 1.25, 5, 8.75]) {
    for (const x2 of [2.5, 7.5, 12.5]) {
      const y = branin(x1, x2);
      values.push(y);
      lines.push(`${x1},${x2},${y},false,,grid`);
    }
  }
  lines.push('3.14,2.27,,true,pump blocked,');
  return { csv: `${lines.join('\n')}\n`, values };
}

interface Summary {
  status: string;
  stopReason: string | null;
  counts: Record<string, number>;
  imported: { results: number; failed: number; best: { value: number; source: string; params: Record<string, number> } | null };
}

interface StoredBatch {
  index: number;
  status: string;
  strategy: { name: string; observations: number; imported: number };
}

describe('earlier results imported into a campaign', () => {
  const env = serviceWithBraninRig('import-rig', { noise: 0.01, latencyMs: 5, jitterMs: 5, seed: 1 });
  const { kind } = env;
  const imported = (id: string) => env.svc.dataSource.query(`SELECT * FROM imported_results WHERE campaign_id = $1`, [id]);
  const summary = async (id: string) => (await env.svc.api<Summary>('GET', `/api/campaigns/${id}`)).body;
  const batches = (id: string): Promise<StoredBatch[]> =>
    env.svc.dataSource.query(`SELECT index, status, strategy FROM batches WHERE campaign_id = $1 ORDER BY index`, [id]);
  /** Per batch, whether its proposals carry the model's prediction (the space-filling design has no model, hence none). */
  const predicted = async (id: string): Promise<boolean[]> =>
    (
      await env.svc.dataSource.query(
        `SELECT b.index, bool_and(e.prediction ? 'mean') AS predicted FROM batches b JOIN experiments e ON e.batch_id = b.id
         WHERE b.campaign_id = $1 GROUP BY b.index ORDER BY b.index`,
        [id],
      )
    ).map((r: { predicted: boolean | null }) => r.predicted === true);

  it('are learned from by the next proposal, and count toward neither the budget nor the runs', async () => {
    const created = await env.svc.api<{ id: string }>(
      'POST',
      '/api/campaigns',
      braninCampaign({ budget: 8, batchSize: 4, approval: 'manual', deviceKind: kind, seed: 7 }),
    );
    expect(created.status).toBe(201);
    const id = created.body.id;
    // With no data yet, the first batch is the space-filling design; it waits for approval.
    const design = await firstBatch(env.svc, id);

    const { csv, values } = earlierResults();
    const res = await env.svc.api<{ importId: string; results: number; failed: number; ignoredColumns: string[]; importedBy: string }>(
      'POST',
      `/api/campaigns/${id}/imports`,
      { source: 'Lab notebook 3, p. 41', csv },
      { as: 'operator' },
    );
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ results: 13, failed: 1, ignoredColumns: ['notes'], importedBy: 'operator:ada' });
    const before = await summary(id);
    expect(before.imported).toMatchObject({
      results: 13,
      failed: 1,
      best: { value: Math.min(...values), source: 'Lab notebook 3, p. 41' },
    });
    expect(before.counts).toEqual({ proposed: 4 });

    // From now on batches are approved by policy; rejecting the design makes the campaign propose again, with the imported results.
    expect((await env.svc.api('PUT', `/api/campaigns/${id}/approval`, { policy: 'auto' }, { as: 'operator' })).status).toBe(200);
    const rejected = await env.svc.api(
      'POST',
      `/api/campaigns/${id}/batches/${design.id}/reject`,
      { note: 'we have data' },
      { as: 'operator' },
    );
    expect(rejected.status).toBe(200);

    const done = await until(async () => ((await summary(id)).status === 'completed' ? summary(id) : undefined), {
      timeoutMs: 60_000,
      what: 'the campaign to spend its budget',
    });
    expect(done.stopReason).toMatch(/budget of 8 experiments spent/);
    expect(done.counts).toEqual({ rejected: 4, completed: 8 });
    expect(done.imported.results).toBe(13);
    const stored = await batches(id);
    expect(stored[0].status).toBe('rejected');
    // Every batch after the design was the model's (its proposals carry predictions), and saw the 13 imported results (one of them a failure) besides the campaign's own.
    expect(stored.length).toBe(3);
    for (const b of stored.slice(1)) {
      expect(b.strategy.name).toBe('bayesian/gp-logei');
      expect(b.strategy.imported).toBe(13);
    }
    expect(stored[1].strategy.observations).toBe(13);
    expect(stored[2].strategy.observations).toBe(17);
    expect(await predicted(id)).toEqual([false, true, true]);
    // Nothing imported was sent to a device.
    const runs: { params: { x1: number; x2: number } }[] = await env.svc.dataSource.query(
      `SELECT params FROM experiments WHERE campaign_id = $1 AND status = 'completed'`,
      [id],
    );
    const importedKeys = new Set((await imported(id)).map((r: { params: object }) => JSON.stringify(r.params)));
    for (const r of runs) expect(importedKeys.has(JSON.stringify(r.params))).toBe(false);

    const list = await env.svc.api<{ index: number; source: string; importedBy: string; failed: boolean; failureReason: string | null }[]>(
      'GET',
      `/api/campaigns/${id}/imports`,
      undefined,
      { as: 'viewer' },
    );
    expect(list.status).toBe(200);
    expect(list.body.map((r) => r.index)).toEqual([...Array(13).keys()]);
    expect(list.body[12]).toMatchObject({
      failed: true,
      failureReason: 'pump blocked',
      source: 'Lab notebook 3, p. 41',
      importedBy: 'operator:ada',
    });
    // Its results as CSV: the imported ones, then its own; the table an import reads, so they can start another campaign.
    const exported = await fetch(`${env.svc.httpUrl}/api/campaigns/${id}/results.csv`, {
      headers: { authorization: `Bearer ${TEST_TOKENS.viewer.token}` },
    });
    expect(exported.status).toBe(200);
    expect(exported.headers.get('content-type')).toMatch(/^text\/csv/);
    const table = parseCsv(await exported.text());
    expect(table.columns).toEqual([
      'source',
      'experiment',
      'batch',
      'device',
      'finished_at',
      'x1',
      'x2',
      'y',
      'failed',
      'failure_reason',
      'metadata',
    ]);
    expect(table.rows).toHaveLength(21);
    expect(table.rows.slice(0, 13).every((r) => r[0] === 'Lab notebook 3, p. 41')).toBe(true);
    expect(table.rows[12].slice(8)).toEqual(['true', 'pump blocked', '']);
    expect(table.rows.slice(13).map((r) => [r[0], r[3]])).toEqual(Array.from({ length: 8 }, () => ['campaign', `rig-${kind}`]));
    const next = await env.svc.api<{ id: string; imported: Summary['imported'] }>(
      'POST',
      '/api/campaigns',
      braninCampaign({
        approval: 'manual',
        deviceKind: 'nobody-has-this',
        earlierResults: { source: `campaign ${id}`, csv: toCsv(table.columns, table.rows) },
      }),
    );
    expect(next.status).toBe(201);
    const exportedValues = table.rows.filter((r) => r[7] !== '').map((r) => Number(r[7]));
    expect(next.body.imported).toMatchObject({ results: 21, failed: 1, best: { value: Math.min(...exportedValues) } });

    const audit = (
      await env.svc.api<{ action: string; actor: string; details: { results: number } }[]>('GET', `/api/campaigns/${id}/audit`)
    ).body;
    expect(audit.filter((a) => a.action === 'results.imported')).toEqual([
      expect.objectContaining({
        actor: 'operator:ada',
        details: expect.objectContaining({ results: 13, failed: 1, source: 'Lab notebook 3, p. 41' }),
      }),
    ]);
  });

  it('can come with the definition, so that the first proposal already learns from them', async () => {
    const { csv } = earlierResults();
    const created = await env.svc.api<{ id: string; imported: Summary['imported']; definition: Record<string, unknown> }>(
      'POST',
      '/api/campaigns',
      braninCampaign({ approval: 'manual', deviceKind: 'nobody-has-this', earlierResults: { source: 'Lab notebook 3, p. 41', csv } }),
    );
    expect(created.status).toBe(201);
    expect(created.body.imported).toMatchObject({ results: 13, failed: 1 });
    expect(created.body.definition.earlierResults).toBeUndefined();
    const id = created.body.id;
    await firstBatch(env.svc, id);
    const [first] = await batches(id);
    expect(first.strategy).toMatchObject({ name: 'bayesian/gp-logei', observations: 13, imported: 13 });
    expect(await predicted(id)).toEqual([true]);
    // The console's model learns from them too (the 12 with a value), before the campaign has a result of its own.
    const insights = await env.svc.api<{ model: { observations: number } | null; progress: unknown[] }>(
      'GET',
      `/api/campaigns/${id}/insights`,
    );
    expect(insights.body.model?.observations).toBe(12);
    expect(insights.body.progress).toEqual([]);

    const count = async () => Number((await env.svc.dataSource.query(`SELECT count(*) AS n FROM campaigns`))[0].n);
    const before = await count();
    const bad = await env.svc.api<ErrorBody>(
      'POST',
      '/api/campaigns',
      braninCampaign({ earlierResults: { source: 'Smith 2019', results: [{ params: { x1: 20, x2: 1 }, value: 3 }] } }),
    );
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('invalid_definition');
    expect(bad.body.error.problems).toEqual(['earlierResults: results[0]: "x1" = 20 is outside [-5, 10]']);
    expect(await count()).toBe(before);
  });

  it('are a block of their own where the campaign declares blocks, as each batch is', async () => {
    const { csv } = earlierResults();
    const created = await env.svc.api<{ id: string }>(
      'POST',
      '/api/campaigns',
      braninCampaign({
        budget: 8,
        batchSize: 4,
        deviceKind: kind,
        seed: 9,
        strategy: { kind: 'default', blocks: 'batch' },
        earlierResults: { source: 'Lab notebook 3, p. 41', csv },
      }),
    );
    expect(created.status).toBe(201);
    const id = created.body.id;
    await until(async () => (await summary(id)).status === 'completed', { timeoutMs: 60_000, what: 'the blocked campaign to complete' });
    const stored: { strategy: { settings: { blocks?: string; fit: { blocks: number; hyperparameters: { blockVariance?: number } } } } }[] =
      await env.svc.dataSource.query(`SELECT strategy FROM batches WHERE campaign_id = $1 ORDER BY index`, [id]);
    // The first batch saw one block (the import), the second that and the first batch.
    expect(stored.map((b) => b.strategy.settings.fit.blocks)).toEqual([1, 2]);
    for (const b of stored) expect(b.strategy.settings.fit.hyperparameters.blockVariance).toBeGreaterThan(0);
  });

  it("above 100 results, the next ask extends the campaign's kept strategy with an import; a changed definition builds a fresh one", async () => {
    // 110 earlier results on an 11 x 10 grid.
    const results = Array.from({ length: 110 }, (_, k) => {
      const params = { x1: -5 + 1.5 * (k % 11), x2: 1.5 * Math.floor(k / 11) };
      return { params, value: branin(params.x1, params.x2) };
    });
    const created = await env.svc.api<{ id: string }>(
      'POST',
      '/api/campaigns',
      braninCampaign({
        budget: 12,
        batchSize: 2,
        approval: 'manual',
        deviceKind: 'nobody-has-this',
        strategy: { kind: 'bayesian' },
        earlierResults: { source: 'grid', results },
      }),
    );
    expect(created.status).toBe(201);
    const id = created.body.id;
    type Kept = {
      id: string;
      strategy: { observations: number; imported: number; kept: boolean; definitionVersion: number };
    };
    const stored = (): Promise<Kept[]> =>
      env.svc.dataSource.query(`SELECT id, strategy FROM batches WHERE campaign_id = $1 ORDER BY index`, [id]);
    const proposed = (count: number) =>
      until(async () => ((await stored()).length >= count ? stored() : undefined), { what: `batch ${count}` });
    /** Rejects the last batch (waiting for approval), then waits for the next one. */
    const next = async (count: number): Promise<Kept[]> => {
      const last = (await stored()).at(-1)!;
      expect((await env.svc.api('POST', `/api/campaigns/${id}/batches/${last.id}/reject`, { note: 'next' })).status).toBe(200);
      return proposed(count);
    };
    await proposed(1);
    const more = { source: 'more', results: [{ params: { x1: Math.PI, x2: 2.275 }, value: branin(Math.PI, 2.275) }] };
    expect((await env.svc.api('POST', `/api/campaigns/${id}/imports`, more, { as: 'operator' })).status).toBe(201);
    const afterImport = await next(2);
    expect(afterImport.map((b) => [b.strategy.observations, b.strategy.imported, b.strategy.kept])).toEqual([
      [110, 110, false],
      [111, 111, true],
    ]);
    const changed = await env.svc.api('PATCH', `/api/campaigns/${id}`, { budget: 14, reason: 'more' }, { as: 'operator' });
    expect(changed.status).toBe(200);
    const afterChange = await next(3);
    expect(afterChange[2].strategy).toMatchObject({ observations: 111, kept: false, definitionVersion: 2 });
  });

  it('refuses a bad import whole, naming every problem, and stores nothing', async () => {
    const created = await env.svc.api<{ id: string }>(
      'POST',
      '/api/campaigns',
      braninCampaign({ approval: 'manual', deviceKind: 'nobody-has-this', objective: { name: 'y', direction: 'minimize', low: 0 } }),
    );
    const id = created.body.id;
    const res = await env.svc.api<ErrorBody>('POST', `/api/campaigns/${id}/imports`, {
      source: 'Smith 2019',
      results: [
        { params: { x1: 1, x2: 2 }, value: 17.5 },
        { params: { x1: 11, x2: 2 }, value: 3 },
        { params: { x1: 1, x2: 2 }, value: -4 },
        { params: { x1: 1 }, value: 2 },
      ],
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_input');
    expect(res.body.error.problems).toEqual([
      'results[1]: "x1" = 11 is outside [-5, 10]',
      "results[2]: y = -4 is below the objective's plausible range (low 0)",
      'results[3]: missing parameter "x2"',
    ]);
    expect(await imported(id)).toEqual([]);
    expect((await summary(id)).imported).toEqual({ results: 0, failed: 0, best: null });
  });

  it('never reach the target for the campaign, and a viewer, a finished campaign or an unknown one takes none', async () => {
    const created = await env.svc.api<{ id: string }>(
      'POST',
      '/api/campaigns',
      braninCampaign({ approval: 'manual', deviceKind: 'nobody-has-this', objective: { name: 'y', direction: 'minimize', target: 1 } }),
    );
    const id = created.body.id;
    const batch = await firstBatch(env.svc, id);
    const rows = { source: 'earlier campaign', results: [{ params: { x1: Math.PI, x2: 2.275 }, value: 0.4 }] };
    expect((await env.svc.api('POST', `/api/campaigns/${id}/imports`, rows, { as: 'viewer' })).status).toBe(403);
    expect((await env.svc.api('POST', `/api/campaigns/${id}/imports`, rows, { as: 'operator' })).status).toBe(201);
    // After the import, the first batch is rejected: the loop then decides what the campaign needs, checking the
    // target before it proposes another batch. A second batch shows that decision was taken with the import
    // stored, and an imported 0.4 is not the campaign's own result: it goes on running.
    expect((await env.svc.api('POST', `/api/campaigns/${id}/batches/${batch.id}/reject`, { note: 'barrier' })).status).toBe(200);
    type Detail = { status: string; batches: unknown[] };
    const decided = await until(
      async () => {
        const c = (await env.svc.api<Detail>('GET', `/api/campaigns/${id}`)).body;
        return c.status !== 'running' || c.batches.length >= 2 ? c : undefined;
      },
      { what: 'the next decision of the loop for the campaign' },
    );
    expect(decided).toMatchObject({ status: 'running', batches: [expect.anything(), expect.anything()] });

    expect((await env.svc.api('POST', `/api/campaigns/${id}/cancel`)).status).toBe(200);
    const late = await env.svc.api<ErrorBody>('POST', `/api/campaigns/${id}/imports`, rows, { as: 'operator' });
    expect(late.status).toBe(409);
    expect(late.body.error.message).toMatch(/is cancelled: it takes no more results/);
    expect((await imported(id)).length).toBe(1);
    expect((await env.svc.api('POST', `/api/campaigns/${randomUUID()}/imports`, rows)).status).toBe(404);
  });
});
