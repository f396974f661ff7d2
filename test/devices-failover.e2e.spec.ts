import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { testMqttUrl } from './support/database.js';
import { EventMonitor } from './support/event-monitor.js';
import { until } from './support/poll.js';
import { startRigProcess, type Child } from './support/processes.js';
import { ScriptedDevice } from './support/scripted-device.js';
import { braninCampaign, startTestService, type TestService } from './support/service.js';

interface Row {
  id: string;
  status: string;
  device_id: string | null;
  attempt: number;
  objective: number | null;
  failed_on: string[];
}

interface Audit {
  action: string;
  device_id: string | null;
  details: { cause?: string; reason?: string; next?: string };
}

/** A device that dies mid-experiment: its Last Will takes it offline and its experiments run on another device. */
describe('devices: crash mid-experiment', () => {
  let svc: TestService;
  let monitor: EventMonitor;
  const children: Child[] = [];
  const devices: ScriptedDevice[] = [];

  const rows = (campaignId: string): Promise<Row[]> =>
    svc.dataSource.query(
      `SELECT id, status, device_id, attempt, objective, failed_on FROM experiments WHERE campaign_id = $1 ORDER BY index`,
      [campaignId],
    );
  const audit = (experimentId: string): Promise<Audit[]> =>
    svc.dataSource.query(`SELECT action, device_id, details FROM audit_log WHERE experiment_id = $1 ORDER BY id`, [experimentId]);
  const campaignStatus = async (id: string) =>
    (await svc.api<{ status: string; counts: Record<string, number> }>('GET', `/api/campaigns/${id}`)).body;

  beforeAll(async () => {
    svc = await startTestService();
    monitor = await EventMonitor.start(testMqttUrl());
  });
  afterAll(async () => {
    for (const c of children) await c.stop();
    for (const d of devices) await d.close().catch(() => undefined);
    await monitor?.close();
    await svc?.stop();
  });

  it('re-runs on another device the experiments of a raw MQTT device whose socket dies (Last Will), and refuses its late result', async () => {
    const kind = `will-${randomUUID().slice(0, 8)}`;
    const a = await ScriptedDevice.connect(testMqttUrl(), `a-${kind}`, kind, 2);
    devices.push(a);
    const created = await svc.api<{ id: string }>('POST', '/api/campaigns', braninCampaign({ budget: 2, batchSize: 2, deviceKind: kind }));
    expect(created.status).toBe(201);
    const runs = await a.waitForRuns(2);
    for (const r of runs) await a.accept(r.experimentId);
    await until(async () => (await rows(created.body.id)).every((r) => r.status === 'running'), { what: 'both running on a' });

    const b = await ScriptedDevice.connect(testMqttUrl(), `b-${kind}`, kind, 2);
    devices.push(b);
    a.crash();

    // Where this wait fails, say what the service had stored: it has failed under load and the cause is not known.
    const moved = await b.waitForRuns(2).catch(async (e: unknown) => {
      const devices = await svc.dataSource.query(`SELECT id, status, offline_cause, status_changed_at FROM devices WHERE kind = $1`, [
        kind,
      ]);
      throw new Error(
        `${(e as Error).message}; experiments ${JSON.stringify(await rows(created.body.id))}; devices ${JSON.stringify(devices)}`,
      );
    });
    expect(moved.map((r) => r.attempt)).toEqual([2, 2]);
    expect(new Set(moved.map((r) => r.experimentId))).toEqual(new Set(runs.map((r) => r.experimentId)));
    for (const [i, r] of moved.entries())
      await b.publishEvent({ type: 'result', experimentId: r.experimentId, attempt: 2, values: { y: 10 + i } });
    const done = await until(
      async () => {
        const c = await campaignStatus(created.body.id);
        return c.status === 'completed' ? c : undefined;
      },
      { what: 'the campaign to complete on b' },
    );
    expect(done.counts).toEqual({ completed: 2 });

    for (const r of await rows(created.body.id)) {
      expect(r).toMatchObject({ status: 'completed', device_id: b.id, attempt: 2, failed_on: [a.id] });
      const entries = await audit(r.id);
      const redispatch = entries.filter((e) => e.action === 'experiment.redispatch');
      expect(redispatch).toHaveLength(1);
      expect(redispatch[0]).toMatchObject({ device_id: a.id, details: { cause: 'offline', next: 'queued' } });
      expect(redispatch[0].details.reason).toMatch(/went offline: the device announced offline/);
    }
    const device = await svc.api<{ status: string; statusReason: string }>('GET', `/api/devices/${a.id}`);
    expect(device.body).toMatchObject({ status: 'offline' });

    // The old device comes back and reports what it measured: refused, the stored value stays.
    const late = await ScriptedDevice.connect(testMqttUrl(), a.id, kind, 2);
    devices.push(late);
    const first = runs[0].experimentId;
    const before = (await rows(created.body.id)).find((r) => r.id === first)!.objective;
    await late.publishEvent({ type: 'result', experimentId: first, attempt: 1, values: { y: -999 } });
    const [ack] = await late.waitForAck(first);
    expect(ack).toMatchObject({ status: 'error', error: { code: 'not_assigned' } });
    expect((await rows(created.body.id)).find((r) => r.id === first)!.objective).toBe(before);
  });

  it('re-runs on another rig the experiments of a simulated rig killed with SIGKILL; each is measured once', async () => {
    const kind = `kill-${randomUUID().slice(0, 8)}`;
    const url = testMqttUrl();
    // A slow rig takes the whole batch; it is killed while running it.
    const slow = startRigProcess({ url, id: `slow-${kind}`, kind, function: 'branin', 'latency-ms': 60_000, capacity: 3, seed: 1 });
    children.push(slow);
    await until(async () => (await svc.api<{ status: string }>('GET', `/api/devices/slow-${kind}`)).body.status === 'online', {
      what: 'the slow rig online',
    });
    const created = await svc.api<{ id: string }>('POST', '/api/campaigns', braninCampaign({ budget: 3, batchSize: 3, deviceKind: kind }));
    await until(
      async () => {
        const r = await rows(created.body.id);
        return r.length === 3 && r.every((x) => x.status === 'running' && x.device_id === `slow-${kind}`);
      },
      { what: 'the batch running on the slow rig' },
    );

    const fast = startRigProcess({ url, id: `fast-${kind}`, kind, function: 'branin', 'latency-ms': 20, capacity: 3, seed: 2 });
    children.push(fast);
    await until(async () => (await svc.api<{ status: string }>('GET', `/api/devices/fast-${kind}`)).body.status === 'online', {
      what: 'the fast rig online',
    });
    slow.kill('SIGKILL');

    const done = await until(
      async () => {
        const c = await campaignStatus(created.body.id);
        return c.status === 'completed' ? c : undefined;
      },
      { timeoutMs: 30_000, what: 'the campaign to complete on the fast rig' },
    );
    expect(done.counts).toEqual({ completed: 3 });
    const final = await rows(created.body.id);
    for (const r of final) {
      expect(r).toMatchObject({ status: 'completed', device_id: `fast-${kind}`, attempt: 2, failed_on: [`slow-${kind}`] });
      expect((await audit(r.id)).filter((e) => e.action === 'experiment.redispatch').map((e) => e.details.cause)).toEqual(['offline']);
    }
    // The killed rig never reported; the fast one measured each experiment once.
    expect(monitor.runTwice().filter((id) => final.some((r) => r.id === id))).toEqual([]);
    for (const r of final) expect(monitor.resultValues.get(r.id)?.size).toBe(1);
  });
});
