import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parseFleetSpec, startFleet, type Fleet } from '#simulators';
import { parseCampaignDefinition } from '../apps/orchestrator/src/campaigns/campaign-definition.js';
import { freshDatabase, testMqttUrl } from './support/database.js';
import { until } from './support/poll.js';
import { Child } from './support/processes.js';
import { startTestService, type TestService } from './support/service.js';

/**
 * examples/<name>: a campaign definition and the fleet of bundled simulators
 * it runs on (what `npm run example -- <name>` starts). Each definition is
 * one the service accepts; the fleet's devices announce the campaign's
 * device kind and take its experiments: one batch of each runs to the end.
 */
const EXAMPLES = resolve(import.meta.dirname, '../examples');
const names = readdirSync(EXAMPLES, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();
const read = (name: string, file: string): unknown => JSON.parse(readFileSync(resolve(EXAMPLES, name, file), 'utf8'));

describe('examples', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService();
  });
  afterAll(async () => {
    await svc?.stop();
  });

  it('has the six the README names', () => {
    expect(names).toEqual(['branin', 'dft', 'direct-arylation', 'oer', 'suzuki', 'yield-cost']);
  });

  it.each(names)('%s: the service accepts its campaign, and its simulators run a batch of it', async (name) => {
    const definition = parseCampaignDefinition(read(name, 'campaign.json'));
    const spec = read(name, 'fleet.json') as { devices: Record<string, unknown>[] };
    // Device ids of their own, so that nothing else on the test broker answers for them.
    const prefix = `${name}-${randomUUID().slice(0, 8)}`;
    const fleetSpec = parseFleetSpec({
      ...spec,
      url: testMqttUrl(),
      devices: spec.devices.map((g, i) => ({ ...g, idPrefix: `${prefix}-${i}` })),
    });
    let fleet: Fleet | undefined;
    try {
      fleet = await startFleet(fleetSpec, { logger: () => () => undefined });
      const ids = fleet.members.map((m) => m.deviceId);
      const devices = await until(
        async () => {
          const all = (await svc.api<{ id: string; kind: string; status: string }[]>('GET', '/api/devices')).body;
          const ours = all.filter((d) => ids.includes(d.id) && d.status === 'online');
          return ours.length === ids.length ? ours : undefined;
        },
        { timeoutMs: 20_000, what: `the devices of example ${name} to come online` },
      );
      // The kind the campaign asks for is the one its simulators announce.
      for (const d of devices) expect(d.kind).toBe(definition.deviceKind);

      const batch = definition.batchSize;
      const created = await svc.api<{ id: string }>('POST', '/api/campaigns', {
        ...(read(name, 'campaign.json') as object),
        budget: batch,
        approval: 'auto',
      });
      expect(created.status).toBe(201);
      const done = await until(
        async () => {
          const c = (await svc.api<{ status: string; counts: Record<string, number> }>('GET', `/api/campaigns/${created.body.id}`)).body;
          return c.status === 'completed' ? c : undefined;
        },
        { timeoutMs: 60_000, what: `a batch of example ${name} to complete` },
      );
      // Every experiment ran to an end on the example's devices; most have a result (DFT fails some on purpose).
      expect((done.counts.completed ?? 0) + (done.counts.failed ?? 0)).toBe(batch);
      expect(done.counts.completed ?? 0).toBeGreaterThanOrEqual(batch / 2);
      const rows: { device_id: string }[] = await svc.dataSource.query(`SELECT device_id FROM experiments WHERE campaign_id = $1`, [
        created.body.id,
      ]);
      for (const r of rows) expect(ids).toContain(r.device_id);
    } finally {
      await fleet?.stop();
    }
  });

  it('npm run example -- branin --exit: one command runs the service, the devices and the campaign to its budget', async () => {
    const db = await freshDatabase();
    const child = new Child('dist/apps/examples/src/main.js', ['branin', '--exit'], {
      PATH: process.env.PATH,
      DATABASE_URL: db.url,
      MQTT_URL: testMqttUrl(),
    });
    try {
      expect(await child.exited).toBe(0);
      expect(child.output).toMatch(/operator console: http:\/\/127\.0\.0\.1:\d+\/console\//);
      expect(child.output).toMatch(/30 done \(0 failed\)/);
      expect(child.output).toMatch(/campaign completed: budget of 30 experiments spent/);
    } finally {
      await child.stop();
      await db.drop();
    }
  });
});
