import { describe, expect, it } from '@jest/globals';
import { until } from './support/poll.js';
import { braninCampaign } from './support/service.js';
import { serviceWithRig } from './support/service-with-rig.js';

const BRANIN_OPTIMUM = 0.397887;

describe('closed loop: service, broker, database and a simulated rig in its own process', () => {
  const env = serviceWithRig('loop', {
    function: 'branin',
    noise: 0.05,
    'latency-ms': 20,
    'jitter-ms': 30,
    capacity: 3,
    seed: 11,
  });
  const { kind } = env;

  it('runs a campaign to its budget; every experiment has exactly one result', async () => {
    const budget = 24;
    const created = await env.svc.api<{ id: string }>(
      'POST',
      '/api/campaigns',
      braninCampaign({ budget, batchSize: 6, deviceKind: kind, seed: 5 }),
    );
    expect(created.status).toBe(201);
    const id = created.body.id;
    const done = await until(
      async () => {
        const c = (await env.svc.api<{ status: string; stopReason: string; best: { value: number } }>('GET', `/api/campaigns/${id}`)).body;
        return c.status === 'completed' ? c : undefined;
      },
      { timeoutMs: 60_000, what: 'the campaign to complete' },
    );
    expect(done.stopReason).toMatch(/budget of 24/);

    const rows: {
      status: string;
      objective: number | null;
      values: { y: number };
      attempt: number;
      device_id: string;
      params: { x1: number; x2: number };
    }[] = await env.svc.dataSource.query(`SELECT * FROM experiments WHERE campaign_id = $1 ORDER BY index`, [id]);
    expect(rows).toHaveLength(budget);
    for (const r of rows) {
      expect(r.status).toBe('completed');
      expect(r.objective).toEqual(r.values.y);
      expect(r.attempt).toBe(1);
      expect(r.device_id).toBe(`rig-${kind}`);
      // The rig measured Branin at the proposed point, with noise sd 0.05.
      const { x1, x2 } = r.params;
      const truth =
        (x2 - (5.1 / (4 * Math.PI ** 2)) * x1 ** 2 + (5 / Math.PI) * x1 - 6) ** 2 + 10 * (1 - 1 / (8 * Math.PI)) * Math.cos(x1) + 10;
      expect(Math.abs(r.objective! - truth)).toBeLessThan(0.5);
    }
    // Exactly one result per experiment: distinct params, no experiment run twice.
    expect(new Set(rows.map((r) => JSON.stringify(r.params))).size).toBe(budget);
    expect(env.monitor.runTwice()).toEqual([]);
    expect(done.best.value).toBeGreaterThanOrEqual(BRANIN_OPTIMUM - 0.3);
    const batches: { status: string }[] = await env.svc.dataSource.query(`SELECT status FROM batches WHERE campaign_id = $1`, [id]);
    expect(batches.map((b) => b.status)).toEqual(['completed', 'completed', 'completed', 'completed']);
  });

  it('runs a campaign on the TensorFlow.js ensemble (strategy "neural"); each batch records the backend it ran on', async () => {
    const created = await env.svc.api<{ id: string }>(
      'POST',
      '/api/campaigns',
      braninCampaign({ budget: 15, batchSize: 5, deviceKind: kind, seed: 6, strategy: { kind: 'neural' } }),
    );
    expect(created.status).toBe(201);
    const id = created.body.id;
    await until(async () => (await env.svc.api<{ status: string }>('GET', `/api/campaigns/${id}`)).body.status === 'completed', {
      timeoutMs: 90_000,
      what: 'the neural campaign to complete',
    });
    const rows: { status: string; params: { x1: number; x2: number } }[] = await env.svc.dataSource.query(
      `SELECT status, params FROM experiments WHERE campaign_id = $1`,
      [id],
    );
    expect(rows).toHaveLength(15);
    expect(rows.every((r) => r.status === 'completed')).toBe(true);
    expect(new Set(rows.map((r) => JSON.stringify(r.params))).size).toBe(15);
    const batches: { strategy: { name: string; settings: { fit?: { backend: { name: string; device: string } } } } }[] =
      await env.svc.dataSource.query(`SELECT strategy FROM batches WHERE campaign_id = $1 ORDER BY index`, [id]);
    // The first batch is the space-filling design (and says so); the ensemble proposes the rest.
    expect(batches.map((b) => b.strategy.name)).toEqual([
      'design/sobol',
      'bayesian/neural-ensemble-logei',
      'bayesian/neural-ensemble-logei',
    ]);
    expect(batches[0].strategy.settings.fit).toBeUndefined();
    for (const b of batches.slice(1)) expect(['tensorflow', 'wasm', 'cpu']).toContain(b.strategy.settings.fit?.backend.name);
  });
});
