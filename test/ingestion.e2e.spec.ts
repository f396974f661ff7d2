import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { topics } from '#protocol';
import { until } from './support/poll.js';
import { ScriptedDevice } from './support/scripted-device.js';
import { testMqttUrl } from './support/database.js';
import { braninCampaign, startTestService, type TestService } from './support/service.js';

interface Row {
  id: string;
  status: string;
  objective: number | null;
  values: Record<string, number | null> | null;
  failure_scope: string | null;
  failure_reason: string | null;
  device_id: string | null;
  attempt: number;
}

describe('result ingestion over MQTT', () => {
  const kind = `ingest-${randomUUID().slice(0, 8)}`;
  let svc: TestService;
  let device: ScriptedDevice;
  let intruder: ScriptedDevice;
  let campaignId: string;

  const row = async (id: string): Promise<Row> => (await svc.dataSource.query(`SELECT * FROM experiments WHERE id = $1`, [id]))[0];
  const audit = async (action: string): Promise<{ details: Record<string, unknown>; device_id: string }[]> =>
    svc.dataSource.query(`SELECT * FROM audit_log WHERE action = $1 ORDER BY id`, [action]);

  beforeAll(async () => {
    svc = await startTestService();
    device = await ScriptedDevice.connect(testMqttUrl(), `dev-${kind}`, kind);
    intruder = await ScriptedDevice.connect(testMqttUrl(), `intruder-${kind}`, `other-${kind}`);
    const created = await svc.api<{ id: string }>('POST', '/api/campaigns', braninCampaign({ budget: 20, batchSize: 8, deviceKind: kind }));
    campaignId = created.body.id;
    await device.waitForRuns(8);
  });
  afterAll(async () => {
    await device?.close();
    await intruder?.close();
    await svc?.stop();
  });

  it('re-sends a command until the device accepts it, then stops', async () => {
    const [run] = device.runs();
    await until(() => device.runs().filter((r) => r.experimentId === run.experimentId).length >= 2, { what: 'a re-sent command' });
    await device.publishEvent({ type: 'accepted', experimentId: run.experimentId });
    await until(async () => (await row(run.experimentId)).status === 'running', { what: 'running' });
    const copies = (experimentId: string) => device.runs().filter((r) => r.experimentId === experimentId).length;
    const sent = copies(run.experimentId);
    // Another experiment of the batch, never accepted, is re-sent on the same clock (they went out together):
    // four more copies of it mean three resend periods went by, in which the accepted one would have been sent again.
    const other = device.runs().find((r) => r.experimentId !== run.experimentId)!.experimentId;
    const otherSent = copies(other);
    await until(() => copies(other) >= otherSent + 4, { what: 'four more copies of an unaccepted command' });
    // At most one copy was already on its way when the acceptance was stored.
    expect(copies(run.experimentId)).toBeLessThanOrEqual(sent + 1);
    expect((await row(run.experimentId)).attempt).toBe(1);
  });

  it('stores a result delivered twice exactly once, and acknowledges both deliveries', async () => {
    const run = device.runs()[1];
    expect((await row(run.experimentId)).status).toBe('dispatched');
    // No acceptance first: a device that answers at once lets its result stand for it.
    await device.publishEvent({ type: 'result', experimentId: run.experimentId, values: { y: 12.5 } });
    await device.waitForAck(run.experimentId, 1);
    const [command] = (await svc.dataSource.query(
      `SELECT acked_at, ack_status FROM device_commands WHERE experiment_id = $1 AND type = 'run' AND attempt = 1`,
      [run.experimentId],
    )) as { acked_at: Date | null; ack_status: string | null }[];
    expect(command).toMatchObject({ acked_at: expect.any(Date), ack_status: 'accepted' });
    expect(await svc.dataSource.query(`SELECT accepted_at IS NOT NULL AS accepted FROM experiments WHERE id = $1`, [run.experimentId])).toEqual(
      [{ accepted: true }],
    );
    // An acceptance arriving after its result (a re-sent command answered late) changes nothing.
    await device.publishEvent({ type: 'accepted', experimentId: run.experimentId });
    await device.publishEvent({ type: 'result', experimentId: run.experimentId, values: { y: 12.5 } });
    const acks = await device.waitForAck(run.experimentId, 2);
    expect(acks.every((a) => a.type === 'ack' && a.status === 'ok')).toBe(true);
    const r = await row(run.experimentId);
    expect(r).toMatchObject({ status: 'completed', objective: 12.5, values: { y: 12.5 } });
    // Another value for it is not a duplicate: `ok` would tell the device a value was stored that was not
    // (conflicting-reports.e2e.spec.ts follows such reports).
    await device.publishEvent({ type: 'result', experimentId: run.experimentId, values: { y: 99 } });
    expect((await device.waitForAck(run.experimentId, 3))[2]).toMatchObject({ status: 'conflict' });
    expect(await row(run.experimentId)).toMatchObject({ status: 'completed', objective: 12.5, values: { y: 12.5 } });
    const health = await svc.api<{ results: { stored: number; duplicates: number } }>('GET', '/api/health');
    expect(health.body.results.duplicates).toBeGreaterThanOrEqual(1);
  });

  it('refuses a result for an unknown experiment, logs it, and stores nothing', async () => {
    const before = Number((await svc.dataSource.query(`SELECT count(*) AS n FROM experiments WHERE status = 'completed'`))[0].n);
    const unknown = randomUUID();
    await device.publishEvent({ type: 'result', experimentId: unknown, values: { y: 1 } });
    const [ack] = await device.waitForAck(unknown);
    expect(ack).toMatchObject({ status: 'error', error: { code: 'unknown_experiment' } });
    await device.publishEvent({ type: 'result', experimentId: 'not-even-a-uuid', values: { y: 1 } });
    expect((await device.waitForAck('not-even-a-uuid'))[0]).toMatchObject({ status: 'error', error: { code: 'unknown_experiment' } });
    expect(Number((await svc.dataSource.query(`SELECT count(*) AS n FROM experiments WHERE status = 'completed'`))[0].n)).toBe(before);
    expect((await audit('report.refused')).map((a) => a.details.experimentId)).toContain(unknown);
  });

  it('refuses a result from a device the experiment was not sent to', async () => {
    const run = device.runs()[2];
    await intruder.publishEvent({ type: 'result', experimentId: run.experimentId, values: { y: -1000 } });
    const [ack] = await intruder.waitForAck(run.experimentId);
    expect(ack).toMatchObject({ status: 'error', error: { code: 'not_assigned' } });
    const r = await row(run.experimentId);
    expect(r.status).toBe('dispatched');
    expect(r.objective).toBeNull();
  });

  it('records a null measurement as a failed experiment, and refuses an out-of-schema value as a device problem', async () => {
    const [, , , a, b] = device.runs();
    await device.publishEvent({ type: 'result', experimentId: a.experimentId, values: { y: null } });
    await device.waitForAck(a.experimentId);
    expect(await row(a.experimentId)).toMatchObject({ status: 'failed', failure_scope: 'experiment', objective: null });
    expect((await row(a.experimentId)).failure_reason).toMatch(/no value \(null\) for "y"/);

    // JSON cannot carry NaN: a rig that sends "NaN" gets a clear refusal. What it says cannot be trusted (a broken
    // adapter as likely as a condition), so the experiment goes to another device, audited, and is never data.
    await device.publishEvent(
      `{"v":1,"type":"result","experimentId":"${b.experimentId}","ts":"${new Date().toISOString()}","values":{"y":"NaN"}}`,
    );
    const [ack] = await device.waitForAck(b.experimentId);
    expect(ack).toMatchObject({ status: 'error', error: { code: 'malformed' } });
    expect((ack as { error: { message: string } }).error.message).toMatch(/values\.y/);
    const moved = await until(
      async () =>
        (
          (await svc.dataSource.query(`SELECT details FROM audit_log WHERE experiment_id = $1 AND action = 'experiment.redispatch'`, [
            b.experimentId,
          ])) as { details: { cause: string; reason: string } }[]
        )[0],
      { what: 'the re-dispatch of the experiment whose report was unreadable' },
    );
    expect(moved.details).toMatchObject({ cause: 'protocol' });
    expect(moved.details.reason).toMatch(/sent a report this service cannot read/);
    const after = await row(b.experimentId);
    expect(after.failure_scope).toBeNull();
    expect(after.objective).toBeNull();
  });

  it('survives garbage on every topic without storing anything', async () => {
    const snapshot = async () => svc.dataSource.query(`SELECT id, status, objective FROM experiments ORDER BY id`);
    // The experiment the previous test sent to another device is dispatched again first (else it may move mid-test).
    await until(async () => (await svc.dataSource.query(`SELECT 1 FROM experiments WHERE status = 'queued'`)).length === 0, {
      what: 'nothing left in the queue',
    });
    const before = await snapshot();
    const garbage: [string, string | Buffer][] = [
      [topics.events(device.id), 'not json'],
      [topics.events(device.id), Buffer.from([0xff, 0xfe, 0x00])],
      [topics.events(device.id), '[]'],
      [topics.events(device.id), 'null'],
      [topics.events(device.id), JSON.stringify({ v: 2, type: 'result', experimentId: randomUUID() })],
      [topics.events(device.id), JSON.stringify({ v: 1, type: 'explode', experimentId: randomUUID() })],
      [topics.events(device.id), JSON.stringify({ v: 1, type: 'result', experimentId: { $ne: null }, values: {} })],
      [topics.events(device.id), 'x'.repeat(300_000)],
      [topics.availability(device.id), JSON.stringify({ v: 1, status: 'sleeping' })],
      ['hakken/v1/devices/../events', '{}'],
      ['hakken/v1/devices/x/unknown', '{}'],
    ];
    for (const [t, p] of garbage) await device.publishRaw(t, p);
    await until(async () => (await svc.api<{ mqtt: { malformed: number } }>('GET', '/api/health')).body.mqtt.malformed >= 8, {
      what: 'malformed messages counted',
    });
    expect(await snapshot()).toEqual(before);
    // The service still works: a good result is stored.
    const run = device.runs()[5];
    await device.publishEvent({ type: 'result', experimentId: run.experimentId, values: { y: 3.25 } });
    await device.waitForAck(run.experimentId);
    expect((await row(run.experimentId)).objective).toBe(3.25);
  });

  it('re-queues an experiment after a device failure and does not learn from it', async () => {
    const run = device.runs()[6];
    await device.publishEvent({ type: 'failed', experimentId: run.experimentId, scope: 'device', reason: 'syringe pump stalled' });
    await device.waitForAck(run.experimentId);
    // Re-dispatched (to the only compatible device, so to this one again) as attempt 2.
    await until(() => device.runs().some((r) => r.experimentId === run.experimentId && r.attempt === 2), { what: 'attempt 2' });
    const redispatch = await audit('experiment.redispatch');
    expect(redispatch.map((a) => a.details.reason)).toContain('syringe pump stalled');
    const campaign = await svc.api<{ id: string }>('GET', `/api/campaigns/${campaignId}`);
    expect(campaign.status).toBe(200);
  });

  it('refuses a late report of an earlier attempt once the experiment was sent again, and stores the current one', async () => {
    // The experiment re-dispatched above is on this same device as attempt 2.
    const run = device.runs()[6];
    await device.publishEvent({ type: 'result', experimentId: run.experimentId, attempt: 1, values: { y: 111 } });
    const stale = await until(() => device.acks(run.experimentId).find((a) => a.type === 'ack' && a.status === 'error'), {
      what: 'the refusal',
    });
    expect(stale).toMatchObject({ status: 'error', attempt: 1, error: { code: 'stale_attempt' } });
    expect((await row(run.experimentId)).objective).toBeNull();
    await device.publishEvent({ type: 'result', experimentId: run.experimentId, attempt: 2, values: { y: 4.5 } });
    await until(async () => (await row(run.experimentId)).status === 'completed', { what: 'attempt 2 stored' });
    expect(await row(run.experimentId)).toMatchObject({ attempt: 2, objective: 4.5 });
  });

  it('stores each result of a burst once: copies, an acceptance and a refusal written together', async () => {
    // Sent without waiting between messages, these are written in one or a few groups.
    const run = device.runs()[7];
    const other = device.runs()[2];
    const before = (await svc.api<{ results: { duplicates: number } }>('GET', '/api/health')).body.results.duplicates;
    await Promise.all([
      device.publishEvent({ type: 'accepted', experimentId: run.experimentId }),
      device.publishEvent({ type: 'result', experimentId: run.experimentId, values: { y: 1.5 } }),
      device.publishEvent({ type: 'result', experimentId: run.experimentId, values: { y: 1.5 } }),
      device.publishEvent({ type: 'result', experimentId: run.experimentId, values: { y: 1.5 } }),
      intruder.publishEvent({ type: 'result', experimentId: other.experimentId, values: { y: -5 } }),
      device.publishEvent({ type: 'result', experimentId: other.experimentId, values: { y: 7 } }),
    ]);
    const acks = await device.waitForAck(run.experimentId, 3);
    expect(acks.map((a) => (a.type === 'ack' ? a.status : a.type))).toEqual(['ok', 'ok', 'ok']);
    expect((await intruder.waitForAck(other.experimentId))[0]).toMatchObject({ status: 'error', error: { code: 'not_assigned' } });
    await device.waitForAck(other.experimentId);
    expect(await row(run.experimentId)).toMatchObject({ status: 'completed', objective: 1.5, values: { y: 1.5 }, attempt: 1 });
    expect(await row(other.experimentId)).toMatchObject({ status: 'completed', objective: 7, device_id: device.id });
    const after = (await svc.api<{ results: { duplicates: number } }>('GET', '/api/health')).body.results.duplicates;
    expect(after - before).toBe(2);
  });
});
