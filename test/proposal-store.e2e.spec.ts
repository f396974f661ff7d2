import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ProposalStore, type ProposedBatch } from '../apps/orchestrator/src/loop/proposal-store.js';
import { until } from './support/poll.js';
import { braninCampaign, startTestService, type TestService } from './support/service.js';

/**
 * The proposer's shared statements (proposal-store.ts): batches of several campaigns stored together,
 * each only under the definition version it was proposed under, and one the database refuses failing
 * alone. The campaigns have no devices: the loop proposes their first batch and then waits.
 */
describe('proposals stored together', () => {
  let svc: TestService;
  let store: ProposalStore;
  const campaigns: string[] = [];

  const batch = (campaignId: string, firstIndex: number, definitionVersion: number): ProposedBatch => {
    const now = new Date();
    return {
      batchId: randomUUID(),
      campaignId,
      approved: true,
      batchStatus: 'approved',
      strategy: JSON.stringify({ name: 'test' }),
      now,
      decidedBy: 'policy:auto',
      firstIndex,
      experiments: [0, 1].map((i) => ({ id: randomUUID(), params: JSON.stringify({ x1: i, x2: i }), prediction: null })),
      audit: JSON.stringify({ size: 2 }),
      definitionVersion,
    };
  };
  const experiments = async (campaignId: string): Promise<{ index: number; batch_id: string; status: string }[]> =>
    svc.dataSource.query(`SELECT index, batch_id, status FROM experiments WHERE campaign_id = $1 ORDER BY index`, [campaignId]);

  beforeAll(async () => {
    svc = await startTestService();
    store = svc.app.get(ProposalStore);
    for (let i = 0; i < 3; i++) {
      const created = await svc.api<{ id: string }>(
        'POST',
        '/api/campaigns',
        braninCampaign({ name: `store ${i}`, budget: 20, batchSize: 4, deviceKind: `nobody-${randomUUID().slice(0, 8)}` }),
      );
      expect(created.status).toBe(201);
      campaigns.push(created.body.id);
    }
    // Each campaign's first batch (indexes 0-3), proposed by the loop.
    await until(async () => (await Promise.all(campaigns.map(experiments))).every((rows) => rows.length === 4), {
      what: 'the first batch of each campaign',
    });
  });
  afterAll(async () => {
    await svc?.stop();
  });

  it('reads the history of several campaigns, each its own', async () => {
    const [a, b] = await Promise.all([store.history(campaigns[0]), store.history(campaigns[1])]);
    expect(a.campaign?.id).toBe(campaigns[0]);
    expect(b.campaign?.id).toBe(campaigns[1]);
    expect(a.rows.map((r) => r.index)).toEqual([0, 1, 2, 3]);
    expect(new Set(a.rows.map((r) => r.id)).size).toBe(4);
    expect(a.rows.some((r) => b.rows.some((s) => s.id === r.id))).toBe(false);
  });

  it('stores a batch only under the definition version it was proposed under', async () => {
    const [good, stale] = await Promise.all([store.store(batch(campaigns[0], 4, 1)), store.store(batch(campaigns[1], 4, 2))]);
    expect(good).toBe(1); // the campaign's second batch
    expect(stale).toBe('stale');
    expect((await experiments(campaigns[0])).map((r) => r.index)).toEqual([0, 1, 2, 3, 4, 5]);
    expect((await experiments(campaigns[0])).slice(4).every((r) => r.status === 'queued')).toBe(true);
    expect(await experiments(campaigns[1])).toHaveLength(4);
    const audits = await svc.dataSource.query(
      `SELECT campaign_id, details->>'index' AS index FROM audit_log WHERE action = 'batch.proposed' AND campaign_id = ANY($1::uuid[]) ORDER BY id`,
      [campaigns.slice(0, 2)],
    );
    expect(audits.filter((a: { campaign_id: string }) => a.campaign_id === campaigns[0]).map((a: { index: string }) => a.index)).toEqual(['0', '1']);
    expect(audits.filter((a: { campaign_id: string }) => a.campaign_id === campaigns[1])).toHaveLength(1);
  });

  it("fails a batch the database refuses on its own, and stores the others' written with it", async () => {
    const before = store.counters.writes;
    // Experiment index 0 is taken: that batch breaks the campaign's unique (campaign_id, index).
    const outcomes = await Promise.allSettled([
      store.store(batch(campaigns[1], 4, 1)),
      store.store(batch(campaigns[2], 0, 1)),
      store.store(batch(campaigns[1], 6, 1)),
    ]);
    expect(outcomes[0]).toEqual({ status: 'fulfilled', value: 1 });
    expect(outcomes[1].status).toBe('rejected');
    expect(outcomes[2]).toEqual({ status: 'fulfilled', value: 2 });
    expect((await experiments(campaigns[1])).map((r) => r.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(await experiments(campaigns[2])).toHaveLength(4);
    // The first went alone (nothing in flight); the two that gathered behind it failed together, then went one by one.
    expect(store.counters.writes - before).toBe(4);
  });
});
