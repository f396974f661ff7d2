import { describe, expect, it } from '@jest/globals';
import { serviceWithBraninRig } from './support/branin-rig.js';
import { until } from './support/poll.js';
import { braninCampaign, type ErrorBody } from './support/service.js';

describe('a campaign whose batches are blocks', () => {
  const env = serviceWithBraninRig('blocks-rig', { noise: 0.01, latencyMs: 5, jitterMs: 5, seed: 2 });
  const { kind } = env;

  it('runs a D-optimal design blocked by batch, then a GP that learns the batches’ offsets', async () => {
    const created = await env.svc.api<{ id: string }>(
      'POST',
      '/api/campaigns',
      braninCampaign({
        budget: 12,
        batchSize: 4,
        deviceKind: kind,
        seed: 4,
        strategy: { kind: 'doptimal', model: 'linear', runs: 8, blocks: 'batch' },
      }),
    );
    expect(created.status).toBe(201);
    const id = created.body.id;
    await until(async () => (await env.svc.api<{ status: string }>('GET', `/api/campaigns/${id}`)).body.status === 'completed', {
      timeoutMs: 60_000,
      what: 'the blocked campaign to complete',
    });
    const batches: { index: number; strategy: { name: string; settings: { blocks?: number; fit?: { blocks: number } } } }[] =
      await env.svc.dataSource.query(`SELECT index, strategy FROM batches WHERE campaign_id = $1 ORDER BY index`, [id]);
    expect(batches.map((b) => b.strategy.name)).toEqual(['design/doptimal', 'design/doptimal', 'bayesian/gp-logei']);
    expect(batches[0].strategy.settings.blocks).toBe(2);
    expect(batches[2].strategy.settings.fit?.blocks).toBe(2);
    // Each design batch is a block balanced in both factors (as many runs at each factor's low as at its high):
    // the factors' effects come out free of the batches' offsets.
    const rows: { batch: number; params: { x1: number; x2: number } }[] = await env.svc.dataSource.query(
      `SELECT b.index AS batch, e.params FROM experiments e JOIN batches b ON b.id = e.batch_id WHERE e.campaign_id = $1 AND b.index < 2`,
      [id],
    );
    for (const batch of [0, 1]) {
      const runs = rows.filter((r) => r.batch === batch).map((r) => r.params);
      expect(runs).toHaveLength(4);
      expect(runs.filter((p) => p.x1 === -5)).toHaveLength(2);
      expect(runs.filter((p) => p.x2 === 0)).toHaveLength(2);
    }
  });

  it('refuses a blocked design that cannot be blocked, naming why', async () => {
    const res = await env.svc.api<ErrorBody>(
      'POST',
      '/api/campaigns',
      braninCampaign({
        budget: 12,
        batchSize: 1,
        asynchronous: true,
        strategy: { kind: 'doptimal', model: 'linear', runs: 4, replicates: 2, blocks: 'batch' },
      }),
    );
    expect(res.status).toBe(400);
    expect(res.body.error.problems).toEqual([
      'strategy: a D-optimal design blocked by batch takes neither replicates nor centerPoints (it may repeat a point across blocks by itself)',
      'strategy: a D-optimal design blocked by batch needs whole batches: not with "asynchronous": true',
      'strategy: the linear model has 3 terms for these parameters and its 4 batches of 1 add 3, but runs is 4; a blocked D-optimal design needs at least 6',
    ]);
  });
});
