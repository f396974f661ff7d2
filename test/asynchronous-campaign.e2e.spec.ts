import { describe, expect, it } from '@jest/globals';
import { until } from './support/poll.js';
import { braninCampaign } from './support/service.js';
import { serviceWithRig } from './support/service-with-rig.js';

interface Row {
  id: string;
  batch_id: string;
  status: string;
  params: Record<string, number>;
  dispatched_at: Date;
  finished_at: Date;
}

/** Most intervals [from, to) open at once. */
function mostAtOnce(intervals: { from: number; to: number }[]): number {
  const edges = intervals.flatMap((i) => [
    { t: i.from, d: 1 },
    { t: i.to, d: -1 },
  ]);
  edges.sort((a, b) => a.t - b.t || a.d - b.d);
  let open = 0;
  let most = 0;
  for (const e of edges) most = Math.max(most, (open += e.d));
  return most;
}

describe('an asynchronous campaign: batches overlap, the budget and batch size hold', () => {
  // A rig slow enough, and uneven enough, that a batch has a tail worth not waiting for: up to 1.5 s, longer than a
  // refill takes to be proposed even on a loaded machine (with 0.2 s a loaded CI run saw every tail end first).
  const env = serviceWithRig('async', { function: 'branin', noise: 0, 'latency-ms': 40, 'jitter-ms': 1500, capacity: 8, seed: 3 });

  it('proposes the next batch while the current one finishes, never runs more than batchSize at once, and stops at the budget', async () => {
    const budget = 16;
    const batchSize = 4;
    const created = await env.svc.api<{ id: string }>(
      'POST',
      '/api/campaigns',
      braninCampaign({ budget, batchSize, asynchronous: true, deviceKind: env.kind, seed: 8, strategy: { kind: 'sobol' } }),
    );
    expect(created.status).toBe(201);
    const id = created.body.id;
    const done = await until(
      async () => {
        const c = (await env.svc.api<{ status: string; stopReason: string }>('GET', `/api/campaigns/${id}`)).body;
        return c.status === 'completed' ? c : undefined;
      },
      { timeoutMs: 60_000, what: 'the campaign to complete' },
    );
    expect(done.stopReason).toMatch(/budget of 16/);

    const rows: Row[] = await env.svc.dataSource.query(`SELECT * FROM experiments WHERE campaign_id = $1 ORDER BY index`, [id]);
    expect(rows).toHaveLength(budget);
    expect(rows.every((r) => r.status === 'completed')).toBe(true);
    expect(new Set(rows.map((r) => JSON.stringify(r.params))).size).toBe(budget);
    expect(env.monitor.runTwice()).toEqual([]);

    // Never more than batchSize experiments on the rig at once.
    const spans = rows.map((r) => ({ from: new Date(r.dispatched_at).getTime(), to: new Date(r.finished_at).getTime() }));
    expect(mostAtOnce(spans)).toBeLessThanOrEqual(batchSize);

    // Some batch was proposed before the one before it had finished: they overlapped.
    const batches: { id: string; index: number; proposed_at: Date }[] = await env.svc.dataSource.query(
      `SELECT id, index, proposed_at FROM batches WHERE campaign_id = $1 ORDER BY index`,
      [id],
    );
    expect(batches.length).toBeGreaterThan(budget / batchSize); // refills of half a batch
    const lastFinished = (batchId: string) =>
      Math.max(...rows.filter((r) => r.batch_id === batchId).map((r) => new Date(r.finished_at).getTime()));
    const overlapped = batches.slice(1).filter((b, i) => new Date(b.proposed_at).getTime() < lastFinished(batches[i].id));
    expect(overlapped.length).toBeGreaterThan(0);
  });

  it('keeps one batch at a time when the definition does not ask for overlap', async () => {
    const created = await env.svc.api<{ id: string }>(
      'POST',
      '/api/campaigns',
      braninCampaign({ budget: 8, batchSize: 4, deviceKind: env.kind, seed: 9, strategy: { kind: 'sobol' } }),
    );
    const id = created.body.id;
    await until(async () => (await env.svc.api<{ status: string }>('GET', `/api/campaigns/${id}`)).body.status === 'completed', {
      timeoutMs: 60_000,
      what: 'the campaign to complete',
    });
    const rows: Row[] = await env.svc.dataSource.query(`SELECT * FROM experiments WHERE campaign_id = $1 ORDER BY index`, [id]);
    const batches: { id: string; proposed_at: Date }[] = await env.svc.dataSource.query(
      `SELECT id, proposed_at FROM batches WHERE campaign_id = $1 ORDER BY index`,
      [id],
    );
    expect(batches).toHaveLength(2);
    const firstDone = Math.max(...rows.filter((r) => r.batch_id === batches[0].id).map((r) => new Date(r.finished_at).getTime()));
    expect(new Date(batches[1].proposed_at).getTime()).toBeGreaterThanOrEqual(firstDone);
  });
});
