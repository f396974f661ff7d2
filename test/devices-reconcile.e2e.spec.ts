import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from '@jest/globals';
import { topics } from '#protocol';
import { testMqttUrl } from './support/database.js';
import { until } from './support/poll.js';
import { ScriptedDevice } from './support/scripted-device.js';
import { braninCampaign, startTestService, type TestService } from './support/service.js';

interface Row {
  id: string;
  status: string;
  device_id: string | null;
  attempt: number;
}

interface Audit {
  action: string;
  device_id: string | null;
  details: { cause?: string; reason?: string; next?: string };
}

/**
 * What a device says it holds (its `online` announcement, live or replayed,
 * and its heartbeats) against what the database has running there: an
 * experiment the device no longer holds goes to another device, whether or
 * not the service saw the device go offline.
 */
describe('devices: reconciled with what they say they hold', () => {
  const services: TestService[] = [];
  const devices: ScriptedDevice[] = [];
  afterAll(async () => {
    for (const d of devices) await d.close().catch(() => undefined);
    for (const s of services.reverse()) await s.stop().catch(() => undefined);
  });

  const start = async (...args: Parameters<typeof startTestService>) => {
    const svc = await startTestService(...args);
    services.push(svc);
    return svc;
  };
  const connect = async (id: string, kind: string, holding?: string[]) => {
    const d = await ScriptedDevice.connect(testMqttUrl(), id, kind, 1, holding ? { holding } : {});
    devices.push(d);
    return d;
  };
  const rows = async (svc: TestService, campaignId: string): Promise<Row[]> =>
    svc.dataSource.query(`SELECT id, status, device_id, attempt FROM experiments WHERE campaign_id = $1 ORDER BY index`, [campaignId]);
  const audit = async (svc: TestService, experimentId: string): Promise<Audit[]> =>
    svc.dataSource.query(`SELECT action, device_id, details FROM audit_log WHERE experiment_id = $1 ORDER BY id`, [experimentId]);
  /** A one-experiment campaign whose experiment the device has accepted (running on it). */
  const runningOn = async (svc: TestService, device: ScriptedDevice, kind: string) => {
    const created = await svc.api<{ id: string }>('POST', '/api/campaigns', braninCampaign({ budget: 1, batchSize: 1, deviceKind: kind }));
    expect(created.status).toBe(201);
    const [run] = await device.waitForRuns(1);
    await device.accept(run.experimentId);
    await until(async () => (await rows(svc, created.body.id))[0]?.status === 'running' || undefined, { what: 'the experiment running' });
    return { campaignId: created.body.id, experimentId: run.experimentId };
  };

  // The service and the rig die together; the rig comes back first, announcing (retained) that it holds
  // nothing. The restarted service reads that "online" for a device its registry already has online: no
  // offline -> online change, yet the experiment is gone. Same replica (its broker session queued the
  // announcement) and a new one (it reads the retained announcement on subscribe).
  for (const replica of ['the same replica', 'a new replica'] as const) {
    it(`re-dispatches, when ${replica} starts, the experiment a rig that restarted while the service was down no longer holds`, async () => {
      const kind = `reconcile-${randomUUID().slice(0, 8)}`;
      const id = `rig-${kind}`;
      const instanceId = `reconcile-${randomUUID().slice(0, 8)}`;
      const first = await start({ instanceId });
      const rig = await connect(id, kind, []);
      const { campaignId, experimentId } = await runningOn(first, rig, kind);

      await first.close(); // the service is gone (its database stays)
      await rig.vanish(); // and so is the rig, without a word the service could read
      const restarted = await connect(id, kind, []);
      const second = await start(replica === 'the same replica' ? { instanceId } : {}, first.database);

      await until(() => restarted.runs().some((r) => r.experimentId === experimentId && r.attempt === 2), {
        what: 'the experiment sent again (attempt 2)',
      });
      const [moved] = (await audit(second, experimentId)).filter((e) => e.action === 'experiment.redispatch');
      expect(moved).toMatchObject({ device_id: id, details: { cause: 'lost', next: 'queued' } });
      expect(moved.details.reason).toMatch(new RegExp(`^device ${id} announced online.* without it: it restarted or dropped it$`));
      expect((await rows(second, campaignId))[0]).toMatchObject({ id: experimentId, device_id: id, attempt: 2 });
    });
  }

  it('leaves a fresh dispatch the device has not accepted yet, keeps what it lists, and re-dispatches what its heartbeat leaves out', async () => {
    const svc = await start();
    const kind = `heartbeat-${randomUUID().slice(0, 8)}`;
    const device = await connect(`rig-${kind}`, kind);
    const reported = async () =>
      (await svc.api<{ reportedRunning: number | null }>('GET', `/api/devices/${device.id}`)).body.reportedRunning;
    /** Sends a heartbeat with this list, then one more: once the second is read, the first was handled (one lane per device). */
    let beat = 0;
    const heartbeat = async (holding: string[]) => {
      await device.publishHeartbeat({ running: ++beat, holding });
      await device.publishHeartbeat({ running: ++beat });
      const n = beat;
      await until(async () => (await reported()) === n || undefined, { what: `heartbeat ${n} read` });
    };

    const created = await svc.api<{ id: string }>('POST', '/api/campaigns', braninCampaign({ budget: 1, batchSize: 1, deviceKind: kind }));
    const [run] = await device.waitForRuns(1);
    // Sent before the device accepted it: the list cannot name it yet.
    await heartbeat([]);
    expect((await rows(svc, created.body.id))[0]).toMatchObject({
      id: run.experimentId,
      status: 'dispatched',
      device_id: device.id,
      attempt: 1,
    });

    await device.accept(run.experimentId);
    await until(async () => (await rows(svc, created.body.id))[0].status === 'running' || undefined, { what: 'the acceptance' });
    await heartbeat([run.experimentId]);
    expect((await rows(svc, created.body.id))[0]).toMatchObject({ status: 'running', device_id: device.id, attempt: 1 });

    // The device restarted and lost it: its heartbeats say so, and the experiment is sent again.
    await until(
      async () => {
        await device.publishHeartbeat({ running: 0, holding: [] });
        return (await audit(svc, run.experimentId)).find((e) => e.action === 'experiment.redispatch');
      },
      { what: 'the experiment taken off the device', intervalMs: 200 },
    );
    const [moved] = (await audit(svc, run.experimentId)).filter((e) => e.action === 'experiment.redispatch');
    expect(moved).toMatchObject({ device_id: device.id, details: { cause: 'lost', next: 'queued' } });
    expect(moved.details.reason).toBe(`device ${device.id} does not hold it by its heartbeat (it restarted or dropped it)`);
    await until(() => device.runs().some((r) => r.experimentId === run.experimentId && r.attempt === 2), { what: 'attempt 2 sent' });
  });

  it('takes a device that an offline message contradicts (its heartbeats go on) back online, keeping its experiment', async () => {
    const svc = await start({ deviceOfflineGraceMs: 60_000 });
    const kind = `forged-${randomUUID().slice(0, 8)}`;
    const device = await ScriptedDevice.connect(testMqttUrl(), `rig-${kind}`, kind, 1, { heartbeatIntervalS: 0.2, heartbeats: true });
    devices.push(device);
    const { campaignId, experimentId } = await runningOn(svc, device, kind);
    const transitions = async (action: string): Promise<number> =>
      Number(
        (
          (await svc.dataSource.query(`SELECT count(*)::int AS n FROM audit_log WHERE device_id = $1 AND action = $2`, [
            device.id,
            action,
          ])) as { n: number }[]
        )[0].n,
      );
    const onlineBefore = await transitions('device.online');

    // On a broker without the ACL anyone may publish this; it is not retained.
    await device.publishRaw(topics.availability(device.id), JSON.stringify({ v: 1, status: 'offline' }));
    await until(async () => (await transitions('device.offline')) === 1 || undefined, { what: 'the forged offline read' });
    await until(
      async () =>
        ((await transitions('device.online')) > onlineBefore &&
          (await svc.api<{ status: string }>('GET', `/api/devices/${device.id}`)).body.status === 'online') ||
        undefined,
      { what: 'the device back online by its heartbeats' },
    );
    expect((await rows(svc, campaignId))[0]).toMatchObject({ id: experimentId, status: 'running', device_id: device.id, attempt: 1 });
  });
});
