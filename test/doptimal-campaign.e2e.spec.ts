import { describe, expect, it } from '@jest/globals';
import { until } from './support/poll.js';
import { braninCampaign } from './support/service.js';
import { serviceWithRig } from './support/service-with-rig.js';

describe('a D-optimal campaign with replicates and centre runs, on a simulated rig', () => {
  const env = serviceWithRig('doe', {
    function: 'branin',
    noise: 0.05,
    'latency-ms': 20,
    capacity: 3,
    seed: 4,
  });
  const { kind } = env;

  it('runs every design point twice as separate experiments, then hands the rest of the budget to the default strategy', async () => {
    // 6 quadratic runs x 2 replicates + 2 centre runs = 14 design runs; 4 more from the default strategy.
    const budget = 18;
    const definition = braninCampaign({
      budget,
      batchSize: 4,
      deviceKind: kind,
      seed: 9,
      strategy: { kind: 'doptimal', model: 'quadratic', runs: 6, replicates: 2, centerPoints: 2 },
    });
    const created = await env.svc.api<{ id: string }>('POST', '/api/campaigns', definition);
    expect(created.status).toBe(201);
    const id = created.body.id;
    await until(
      async () => {
        const c = (await env.svc.api<{ status: string }>('GET', `/api/campaigns/${id}`)).body;
        return c.status === 'completed' ? c : undefined;
      },
      { timeoutMs: 90_000, what: 'the campaign to complete' },
    );

    const rows: { id: string; status: string; objective: number; params: { x1: number; x2: number }; batch_id: string }[] =
      await env.svc.dataSource.query(
        `SELECT id, status, objective, params, batch_id FROM experiments WHERE campaign_id = $1 ORDER BY index`,
        [id],
      );
    expect(rows).toHaveLength(budget);
    for (const r of rows) expect(r.status).toBe('completed');
    expect(env.monitor.runTwice()).toEqual([]);

    const design = rows.slice(0, 14);
    const byPoint = new Map<string, typeof rows>();
    for (const r of design) byPoint.set(JSON.stringify(r.params), [...(byPoint.get(JSON.stringify(r.params)) ?? []), r]);
    const centre = JSON.stringify({ x1: 2.5, x2: 7.5 });
    // The centre of the space is also a point of the 3-level grid: it may be a design point as well.
    const centreRuns = byPoint.get(centre)?.length ?? 0;
    expect(centreRuns === 2 || centreRuns === 4).toBe(true);
    for (const [key, replicates] of byPoint) if (key !== centre) expect(replicates).toHaveLength(2);
    expect(design.length - centreRuns).toBe(2 * (byPoint.size - 1));
    // Replicates are separate experiments: own ids, own measurements (the rig adds noise).
    for (const replicates of byPoint.values()) {
      expect(new Set(replicates.map((r) => r.id)).size).toBe(replicates.length);
      expect(new Set(replicates.map((r) => r.objective)).size).toBe(replicates.length);
    }
    // Every run sits on the 3-level grid of the quadratic model.
    for (const r of design) {
      expect([-5, 2.5, 10]).toContain(r.params.x1);
      expect([0, 7.5, 15]).toContain(r.params.x2);
    }

    const batches: { index: number; strategy: { name: string } }[] = await env.svc.dataSource.query(
      `SELECT index, strategy FROM batches WHERE campaign_id = $1 ORDER BY index`,
      [id],
    );
    expect(batches.map((b) => b.strategy.name)).toEqual([
      'design/doptimal',
      'design/doptimal',
      'design/doptimal',
      expect.stringMatching(/^design\/doptimal\+/),
      expect.not.stringMatching(/doptimal/),
    ]);
  });
});
