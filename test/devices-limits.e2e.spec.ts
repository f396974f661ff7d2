import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DispatcherService } from '../apps/orchestrator/src/loop/dispatcher.service.js';
import type { Capabilities } from '#protocol';
import { testMqttUrl } from './support/database.js';
import { until } from './support/poll.js';
import { ScriptedDevice } from './support/scripted-device.js';
import { braninCampaign, startTestService, type TestService } from './support/service.js';

interface Experiment {
  id: string;
  status: string;
  params: { x1: number; x2: number };
  deviceId: string | null;
  waitingReason: string | null;
}

const limits = (x1High: number): Capabilities => ({
  parameters: { x1: { low: -5, high: x1High, unit: 'mm' }, x2: { low: 0, high: 15 } },
  objectives: ['y'],
});

/** The safety envelope: a command is never sent to a device whose declared limits exclude it; a campaign says why it waits. */
describe('devices: declared limits', () => {
  let svc: TestService;
  const devices: ScriptedDevice[] = [];
  const connect = async (id: string, kind: string, capabilities: Capabilities) => {
    const d = await ScriptedDevice.connect(testMqttUrl(), id, kind, 20, { capabilities, heartbeatIntervalS: 30 });
    devices.push(d);
    return d;
  };
  const experiments = async (campaignId: string) =>
    (await svc.api<{ experiments: Experiment[] }>('GET', `/api/campaigns/${campaignId}`)).body.experiments;
  const waitingAudit = async (campaignId: string): Promise<{ experiment_id: string; details: { reason: string } }[]> =>
    svc.dataSource.query(`SELECT experiment_id, details FROM audit_log WHERE campaign_id = $1 AND action = 'experiment.waiting'`, [
      campaignId,
    ]);

  beforeAll(async () => {
    svc = await startTestService();
  });
  afterAll(async () => {
    for (const d of devices) await d.close().catch(() => undefined);
    await svc?.stop();
  });

  it('sends each experiment only to a device whose limits cover it', async () => {
    const kind = `env-${randomUUID().slice(0, 8)}`;
    const narrow = await connect(`narrow-${kind}`, kind, limits(2.5));
    const wide = await connect(`wide-${kind}`, kind, limits(10));
    const created = await svc.api<{ id: string }>(
      'POST',
      '/api/campaigns',
      braninCampaign({ budget: 16, batchSize: 16, deviceKind: kind }),
    );
    await until(
      async () => {
        const e = await experiments(created.body.id);
        return e.length === 16 && e.every((x) => x.status === 'dispatched');
      },
      { what: 'all 16 dispatched' },
    );
    // Rows are marked dispatched before the commands are published: wait for them to arrive too.
    await until(() => new Set([...narrow.runs(), ...wide.runs()].map((r) => r.experimentId)).size === 16, {
      what: 'all 16 commands received',
    });
    const all = await experiments(created.body.id);
    const outside = all.filter((e) => e.params.x1 > 2.5);
    expect(outside.length).toBeGreaterThan(0);
    expect(narrow.runs().length).toBeGreaterThan(0);
    // Every command the narrow device received is within its limits; the others went to the wide one.
    for (const r of narrow.runs()) expect(r.params.x1 as number).toBeLessThanOrEqual(2.5);
    for (const e of outside) expect(e.deviceId).toBe(wide.id);
    expect(new Set([...narrow.runs(), ...wide.runs()].map((r) => r.experimentId)).size).toBe(16);
  });

  it('holds back what no online device may run, says why once, and sends it when a device that may comes online', async () => {
    const kind = `wait-${randomUUID().slice(0, 8)}`;
    const narrow = await connect(`narrow-${kind}`, kind, limits(0));
    const created = await svc.api<{ id: string }>('POST', '/api/campaigns', braninCampaign({ budget: 8, batchSize: 8, deviceKind: kind }));
    const id = created.body.id;
    const all = await until(
      async () => {
        const e = await experiments(id);
        return e.length === 8 && e.every((x) => x.status === 'dispatched' || x.waitingReason !== null) ? e : undefined;
      },
      { what: 'every experiment dispatched or waiting with a reason' },
    );
    const waiting = all.filter((e) => e.status === 'queued');
    expect(waiting.length).toBeGreaterThan(0);
    expect(waiting.map((e) => e.id).sort()).toEqual(
      all
        .filter((e) => e.params.x1 > 0)
        .map((e) => e.id)
        .sort(),
    );
    for (const e of waiting) {
      expect(e.waitingReason).toMatch(
        new RegExp(`outside the declared capabilities of every online device: ${narrow.id} allows x1 <= 0 mm, not `),
      );
    }
    for (const r of narrow.runs()) expect(r.params.x1 as number).toBeLessThanOrEqual(0);

    // One audit entry per waiting experiment, however many dispatch passes look at it.
    const dispatcher = svc.app.get(DispatcherService);
    for (let i = 0; i < 5; i++) await dispatcher.dispatchQueued();
    const entries = await waitingAudit(id);
    expect(entries.map((a) => a.experiment_id).sort()).toEqual(waiting.map((e) => e.id).sort());
    expect(narrow.runs().every((r) => (r.params.x1 as number) <= 0)).toBe(true);

    // The device registry shows what the narrow device declared and holds.
    const view = await svc.api<{ status: string; running: number; capabilities: Capabilities; lastSeenAt: string; experiments: unknown[] }>(
      'GET',
      `/api/devices/${narrow.id}`,
    );
    expect(view.body).toMatchObject({ status: 'online', running: 8 - waiting.length, capabilities: limits(0) });
    expect(view.body.experiments).toHaveLength(8 - waiting.length);
    const list = await svc.api<{ id: string; running: number }[]>('GET', '/api/devices');
    expect(list.body.find((d) => d.id === narrow.id)?.running).toBe(8 - waiting.length);
    expect((await svc.api('GET', `/api/devices/no-such-${kind}`)).status).toBe(404);

    const wide = await connect(`wide-${kind}`, kind, limits(10));
    await wide.waitForRuns(waiting.length);
    const after = await experiments(id);
    for (const e of after.filter((x) => waiting.some((w) => w.id === x.id))) {
      expect(e).toMatchObject({ status: 'dispatched', deviceId: wide.id, waitingReason: null });
    }
    expect(await waitingAudit(id)).toHaveLength(waiting.length);
  });

  it('says so when no device of the kind is online, without an audit entry per pass', async () => {
    const kind = `none-${randomUUID().slice(0, 8)}`;
    const created = await svc.api<{ id: string }>('POST', '/api/campaigns', braninCampaign({ budget: 2, batchSize: 2, deviceKind: kind }));
    const waiting = await until(
      async () => {
        const e = await experiments(created.body.id);
        return e.length === 2 && e.every((x) => x.waitingReason !== null) ? e : undefined;
      },
      { what: 'waiting reasons' },
    );
    expect(waiting[0].waitingReason).toBe(`no device of kind "${kind}" is online`);
    for (let i = 0; i < 3; i++) await svc.app.get(DispatcherService).dispatchQueued();
    expect(await waitingAudit(created.body.id)).toEqual([]); // no device is not a safety decision: the row says it, the audit log does not
    const d = await connect(`late-${kind}`, kind, limits(10));
    await d.waitForRuns(2);
    expect((await experiments(created.body.id)).every((e) => e.waitingReason === null)).toBe(true);
  });
});
