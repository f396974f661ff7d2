import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { testMqttUrl } from './support/database.js';
import { until } from './support/poll.js';
import { ScriptedDevice } from './support/scripted-device.js';
import { braninCampaign, startTestService, type TestService } from './support/service.js';

interface Row {
  id: string;
  status: string;
  device_id: string | null;
  attempt: number;
  failure_scope: string | null;
  failure_reason: string | null;
  failed_on: string[];
}

interface DeviceBody {
  status: string;
  statusReason: string | null;
  heartbeatIntervalS: number | null;
  lastHeartbeatAt: string | null;
  running: number;
}

/** Hung devices (past the experiment timeout, or silent past three heartbeat intervals) lose their experiments to others. */
describe('devices: hangs, silence and what the optimizer learns', () => {
  let svc: TestService;
  const devices: ScriptedDevice[] = [];

  const connect = async (id: string, kind: string, capacity: number, heartbeatIntervalS?: number) => {
    const d = await ScriptedDevice.connect(testMqttUrl(), id, kind, capacity, {
      heartbeatIntervalS,
      heartbeats: heartbeatIntervalS !== undefined,
    });
    devices.push(d);
    return d;
  };
  const row = async (id: string): Promise<Row> =>
    (
      await svc.dataSource.query(
        `SELECT id, status, device_id, attempt, failure_scope, failure_reason, failed_on FROM experiments WHERE id = $1`,
        [id],
      )
    )[0];
  const redispatches = (experimentId: string): Promise<{ actor: string; details: { cause: string; reason: string } }[]> =>
    svc.dataSource.query(`SELECT actor, details FROM audit_log WHERE experiment_id = $1 AND action = 'experiment.redispatch' ORDER BY id`, [
      experimentId,
    ]);
  const device = async (id: string) => (await svc.api<DeviceBody>('GET', `/api/devices/${id}`)).body;

  beforeAll(async () => {
    svc = await startTestService();
  });
  afterAll(async () => {
    for (const d of devices) await d.close().catch(() => undefined);
    await svc?.stop();
  });

  it('re-dispatches to another device an experiment that runs past the campaign timeout; the hung device cannot store it late', async () => {
    const kind = `hang-${randomUUID().slice(0, 8)}`;
    const hung = await connect(`hung-${kind}`, kind, 1, 0.2);
    const created = await svc.api<{ id: string }>(
      'POST',
      '/api/campaigns',
      braninCampaign({ budget: 1, batchSize: 1, deviceKind: kind, experimentTimeoutS: 1 }),
    );
    expect(created.status).toBe(201);
    const [run] = await hung.waitForRuns(1);
    await hung.accept(run.experimentId);
    // It keeps heartbeating (alive) but never reports: only the timeout can take the experiment away.
    const other = await connect(`other-${kind}`, kind, 1);
    const [moved] = await other.waitForRuns(1);
    expect(moved).toMatchObject({ experimentId: run.experimentId, attempt: 2 });
    expect(await row(run.experimentId)).toMatchObject({ status: 'dispatched', device_id: other.id, attempt: 2, failed_on: [hung.id] });
    const [entry] = await redispatches(run.experimentId);
    expect(entry).toMatchObject({ actor: 'service', details: { cause: 'timeout' } });
    expect(entry.details.reason).toMatch(new RegExp(`no result from device ${hung.id} within the experiment timeout of 1 s`));
    expect((await device(hung.id)).status).toBe('online');

    await hung.publishEvent({ type: 'result', experimentId: run.experimentId, attempt: 1, values: { y: 1 } });
    expect((await hung.waitForAck(run.experimentId))[0]).toMatchObject({ status: 'error', error: { code: 'not_assigned' } });
    await other.publishEvent({ type: 'result', experimentId: run.experimentId, attempt: 2, values: { y: 2 } });
    await other.waitForAck(run.experimentId);
    expect(await svc.dataSource.query(`SELECT status, objective FROM experiments WHERE id = $1`, [run.experimentId])).toEqual([
      { status: 'completed', objective: 2 },
    ]);
  });

  it('takes offline a device silent for three heartbeat intervals, moves its experiment, and takes it back when it beats again', async () => {
    const kind = `silent-${kind8()}`;
    const quiet = await connect(`quiet-${kind}`, kind, 1, 0.2);
    await until(async () => Boolean((await device(quiet.id)).lastHeartbeatAt), { what: 'a heartbeat recorded' });
    expect(await device(quiet.id)).toMatchObject({ status: 'online', heartbeatIntervalS: 0.2 });
    await svc.api('POST', '/api/campaigns', braninCampaign({ budget: 1, batchSize: 1, deviceKind: kind }));
    const [run] = await quiet.waitForRuns(1);
    await quiet.accept(run.experimentId);
    const spare = await connect(`spare-${kind}`, kind, 1);

    quiet.stopHeartbeats(); // connected, but silent: hung
    const [moved] = await spare.waitForRuns(1);
    expect(moved).toMatchObject({ experimentId: run.experimentId, attempt: 2 });
    const offline = await device(quiet.id);
    expect(offline.status).toBe('offline');
    expect(offline.statusReason).toMatch(/silent: no heartbeat or other message for more than 0\.6 s/);
    const [entry] = await redispatches(run.experimentId);
    expect(entry.details).toMatchObject({ cause: 'offline' });
    expect(entry.details.reason).toMatch(/silent/);

    quiet.startHeartbeats(0.2);
    await until(async () => (await device(quiet.id)).status === 'online', { what: 'the device back online' });
    expect((await device(quiet.id)).statusReason).toBeNull();
  });

  it('takes offline after DEVICE_SILENT_AFTER_MS a device that declares no heartbeat interval', async () => {
    const strict = await startTestService({ deviceSilentAfterMs: 400 });
    try {
      const kind = `mute-${kind8()}`;
      const mute = await connect(`mute-${kind}`, kind, 1);
      const view = async () => (await strict.api<DeviceBody>('GET', `/api/devices/${mute.id}`)).body;
      const offline = await until(
        async () => {
          const d = await view();
          return d.status === 'offline' ? d : undefined;
        },
        { what: 'the mute device offline' },
      );
      expect(offline.statusReason).toBe('silent: no heartbeat or other message for more than 0.4 s');
      expect(offline.heartbeatIntervalS).toBeNull();
      mute.startHeartbeats(60); // any message brings back a device that was only silent
      await until(async () => (await view()).status === 'online', { what: 'the mute device back online' });
      mute.stopHeartbeats();
    } finally {
      await strict.stop();
    }
  });

  it('does not learn from a device failure, and records an experiment failure as data', async () => {
    const kind = `learn-${kind8()}`;
    const rig = await connect(`rig-${kind}`, kind, 3);
    const created = await svc.api<{ id: string }>(
      'POST',
      '/api/campaigns',
      braninCampaign({ budget: 6, batchSize: 3, deviceKind: kind, maxAttempts: 1 }),
    );
    const [ok, bad, broken] = await rig.waitForRuns(3);
    await rig.publishEvent({ type: 'result', experimentId: ok.experimentId, values: { y: 5 } });
    await rig.publishEvent({ type: 'failed', experimentId: bad.experimentId, scope: 'experiment', reason: 'the mixture gelled' });
    await rig.publishEvent({ type: 'failed', experimentId: broken.experimentId, scope: 'device', reason: 'the pump stalled' });
    for (const r of [ok, bad, broken]) await rig.waitForAck(r.experimentId);

    expect(await row(bad.experimentId)).toMatchObject({
      status: 'failed',
      failure_scope: 'experiment',
      failure_reason: 'the mixture gelled',
    });
    expect(await row(broken.experimentId)).toMatchObject({ status: 'failed', failure_scope: 'device', failed_on: [rig.id] });
    expect((await row(broken.experimentId)).failure_reason).toMatch(/device failure after 1 attempt: the pump stalled/);

    // The next batch was proposed from 2 observations: the result and the experiment failure, not the device failure.
    const second = await until(
      async () => {
        const c = (
          await svc.api<{ batches: { index: number; strategy: { observations: number } }[] }>('GET', `/api/campaigns/${created.body.id}`)
        ).body;
        return c.batches.find((b) => b.index === 1);
      },
      { what: 'the second batch' },
    );
    expect(second.strategy.observations).toBe(2);
  });
});

function kind8(): string {
  return randomUUID().slice(0, 8);
}
