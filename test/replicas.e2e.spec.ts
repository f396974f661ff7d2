import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startOrchestrator, type Orchestrator } from '../apps/orchestrator/src/bootstrap.js';
import { CampaignsService } from '../apps/orchestrator/src/campaigns/campaigns.service.js';
import { owner } from '../apps/orchestrator/src/loop/leases.service.js';
import { loadConfig, type AppConfig } from '../apps/orchestrator/src/common/config.js';
import type { SimRig } from '#simulators';
import { startBraninRig } from './support/branin-rig.js';
import { freshDatabase, testMqttUrl, type TestDatabase } from './support/database.js';
import { until } from './support/poll.js';
import { braninCampaign } from './support/service.js';

/**
 * Two orchestrator replicas on one database and one broker share the
 * campaigns through leases: every batch is proposed once, every experiment
 * dispatched once and stored once; when one replica goes, the other finishes its work.
 */
describe('two replicas', () => {
  const kind = `replicas-${randomUUID().slice(0, 8)}`;
  let db: TestDatabase;
  const replicas: Orchestrator[] = [];
  const rigs: SimRig[] = [];

  const start = async (id: string) => {
    const config: AppConfig = {
      ...loadConfig({}),
      databaseUrl: db.url,
      mqttUrl: testMqttUrl(),
      httpPort: 0,
      loopIntervalMs: 50,
      commandResendMs: 500,
      leaseTtlMs: 1500,
      logLevel: 'error',
      instanceId: id,
    };
    const o = await startOrchestrator(config);
    replicas.push(o);
    return o;
  };

  beforeAll(async () => {
    db = await freshDatabase();
    for (let i = 0; i < 2; i++) {
      rigs.push(await startBraninRig({ kind, deviceId: `rig-${kind}-${i}`, noise: 0.01, latencyMs: 20, jitterMs: 20, seed: i }));
    }
  });
  afterAll(async () => {
    for (const r of rigs) await r.stop();
    for (const o of replicas) await o.close().catch(() => undefined);
    await db?.drop();
  });

  it('share the campaigns without doubling any work, and one finishes what the other left', async () => {
    const a = await start(`replica-a-${kind}`);
    const b = await start(`replica-b-${kind}`);
    const campaigns = a.app.get(CampaignsService);
    const budget = 10;
    const ids: string[] = [];
    // At least 8 campaigns, and at least 2 ranked to each replica (rendezvous hashing of random ids gives all 8 to one replica
    // once in 128 draws, and then B would hold no lease to find).
    const names = [`replica-a-${kind}`, `replica-b-${kind}`];
    const ranked = (name: string) => ids.filter((id) => owner(id, names) === name).length;
    for (let i = 0; ids.length < 8 || names.some((name) => ranked(name) < 2); i++) {
      if (i >= 40) throw new Error('40 campaign ids all ranked to one replica: the rendezvous hashing is broken');
      const c = await campaigns.create(
        braninCampaign({ name: `replicated ${i}`, budget, batchSize: 5, deviceKind: kind, seed: i, strategy: { kind: 'sobol' } }),
        'test',
      );
      ids.push(c.id);
    }
    const q = <T>(sql: string, params: unknown[] = []): Promise<T[]> => a.dataSource.query(sql, params);
    // Both replicas take a share of the campaigns.
    await until(
      async () => {
        const owners = await q<{ lease_owner: string }>(`SELECT DISTINCT lease_owner FROM campaigns WHERE lease_owner IS NOT NULL`);
        return owners.length === 2;
      },
      { what: 'both replicas to hold leases', timeoutMs: 20_000 },
    );
    // Replica A goes away mid-way; B takes over its campaigns.
    await until(
      async () => Number((await q<{ n: string }>(`SELECT count(*) AS n FROM experiments WHERE status = 'completed'`))[0].n) >= 20,
      { what: '20 results' },
    );
    await a.close();
    await until(
      async () => {
        const open: { n: string }[] = await b.dataSource.query(`SELECT count(*) AS n FROM campaigns WHERE status <> 'completed'`);
        return Number(open[0].n) === 0;
      },
      { what: 'all campaigns to complete', timeoutMs: 60_000 },
    );

    const proposers = await b.dataSource.query(
      `SELECT DISTINCT details->>'replica' AS replica FROM audit_log WHERE action = 'batch.proposed'`,
    );
    expect(proposers.map((r: { replica: string }) => r.replica).sort()).toEqual([`replica-a-${kind}`, `replica-b-${kind}`].sort());
    for (const id of ids) {
      const rows: { status: string; attempt: number; index: number }[] = await b.dataSource.query(
        `SELECT status, attempt, index FROM experiments WHERE campaign_id = $1 ORDER BY index`,
        [id],
      );
      expect(rows).toHaveLength(budget);
      expect(rows.map((r) => r.index)).toEqual([...Array(budget).keys()]);
      expect(rows.every((r) => r.status === 'completed' && r.attempt === 1)).toBe(true);
      const batches: { index: number }[] = await b.dataSource.query(`SELECT index FROM batches WHERE campaign_id = $1 ORDER BY index`, [
        id,
      ]);
      expect(batches.map((x) => x.index)).toEqual([0, 1]);
    }
  });
});
