import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { AckCommand } from '#protocol';
import { until } from './support/poll.js';
import { ScriptedDevice } from './support/scripted-device.js';
import { testMqttUrl } from './support/database.js';
import { braninCampaign, startTestService, type TestService } from './support/service.js';

interface Conflict {
  id: string;
  experimentId: string;
  deviceId: string;
  outcome: string;
  values: Record<string, number | null> | null;
  objective: number | null;
  failureScope: string | null;
  stored: Record<string, unknown>;
  receivedAt: string;
  deliveries: number;
}

// An acknowledgement means stored: `ok` only for the outcome the database holds. A report of another
// outcome for an experiment that already ended (a forged report stored first, then the rig's real one)
// is kept apart, answered `conflict`, audited and listed for an operator; its value is not lost.
describe('conflicting reports', () => {
  const kind = `conflict-${randomUUID().slice(0, 8)}`;
  let svc: TestService;
  let device: ScriptedDevice;
  let campaignId: string;

  const row = async (id: string) =>
    (await svc.dataSource.query(`SELECT status, objective, "values", failure_scope FROM experiments WHERE id = $1`, [id]))[0];
  const conflicts = async () => {
    const r = await svc.api<Conflict[]>('GET', `/api/campaigns/${campaignId}/conflicts`);
    expect(r.status).toBe(200);
    return r.body;
  };
  const lastAck = async (experimentId: string, count: number): Promise<AckCommand> =>
    (await device.waitForAck(experimentId, count))[count - 1] as AckCommand;

  beforeAll(async () => {
    svc = await startTestService();
    device = await ScriptedDevice.connect(testMqttUrl(), `dev-${kind}`, kind);
    const created = await svc.api<{ id: string }>('POST', '/api/campaigns', braninCampaign({ budget: 12, batchSize: 4, deviceKind: kind }));
    campaignId = created.body.id;
    await device.waitForRuns(4);
  });
  afterAll(async () => {
    await device?.close();
    await svc?.stop();
  });

  it('keeps the real result that follows a forged failure, answers it `conflict` and lists it', async () => {
    const { experimentId } = device.runs()[0];
    // The forgery: a failure on the assigned device's own topic (a broker without the ACL lets anyone publish there).
    await device.publishEvent({ type: 'failed', experimentId, scope: 'experiment', reason: 'forged: reactor clogged' });
    expect(await lastAck(experimentId, 1)).toMatchObject({ status: 'ok' });
    await device.publishEvent({ type: 'result', experimentId, values: { y: 3.75 } });
    const conflict = await lastAck(experimentId, 2);
    expect(conflict).toMatchObject({ status: 'conflict', reportId: expect.any(String), error: { code: 'conflict' } });
    expect(conflict.error?.message).toMatch(/already ended failed/);
    // The experiment keeps the outcome stored first; the real value is kept beside it.
    expect(await row(experimentId)).toMatchObject({ status: 'failed', failure_scope: 'experiment', objective: null });
    const [listed] = await conflicts();
    expect(listed).toMatchObject({
      id: conflict.reportId,
      experimentId,
      deviceId: device.id,
      outcome: 'completed',
      values: { y: 3.75 },
      objective: 3.75,
      stored: { status: 'failed', failureScope: 'experiment', failureReason: 'forged: reactor clogged' },
      deliveries: 1,
    });
    expect(Number.isNaN(Date.parse(listed.receivedAt))).toBe(false);
    const audit = await svc.dataSource.query(
      `SELECT actor, details FROM audit_log WHERE action = 'report.conflict' AND experiment_id = $1`,
      [experimentId],
    );
    expect(audit).toEqual([expect.objectContaining({ actor: `device:${device.id}` })]);
    expect(audit[0].details).toMatchObject({
      reportId: conflict.reportId,
      reported: { values: { y: 3.75 } },
      stored: { status: 'failed' },
    });

    // The device re-sends it (it missed the ack): the same report, the same id, one more delivery, one audit entry.
    await device.publishEvent({ type: 'result', experimentId, values: { y: 3.75 } });
    expect(await lastAck(experimentId, 3)).toMatchObject({ status: 'conflict', reportId: conflict.reportId });
    expect((await conflicts()).filter((c) => c.experimentId === experimentId)).toEqual([
      expect.objectContaining({ id: conflict.reportId, deliveries: 2 }),
    ]);
    const entries = await svc.dataSource.query(`SELECT id FROM audit_log WHERE action = 'report.conflict' AND experiment_id = $1`, [
      experimentId,
    ]);
    expect(entries).toHaveLength(1);
  });

  it('answers an exact repeat `ok`, and another value or a failure of a completed experiment `conflict`', async () => {
    const { experimentId } = device.runs()[1];
    await device.publishEvent({ type: 'result', experimentId, values: { y: 1.25 } });
    expect(await lastAck(experimentId, 1)).toMatchObject({ status: 'ok' });
    await device.publishEvent({ type: 'result', experimentId, values: { y: 1.25 } });
    expect(await lastAck(experimentId, 2)).toMatchObject({ status: 'ok' });
    await device.publishEvent({ type: 'result', experimentId, values: { y: 8 } });
    expect(await lastAck(experimentId, 3)).toMatchObject({ status: 'conflict' });
    await device.publishEvent({ type: 'failed', experimentId, scope: 'device', reason: 'pump stalled' });
    expect(await lastAck(experimentId, 4)).toMatchObject({ status: 'conflict' });
    // A result the service reads as a failure (no value) contradicts the stored value too.
    await device.publishEvent({ type: 'result', experimentId, values: { y: null } });
    expect(await lastAck(experimentId, 5)).toMatchObject({ status: 'conflict' });
    expect(await row(experimentId)).toMatchObject({ status: 'completed', objective: 1.25, values: { y: 1.25 } });
    const mine = (await conflicts()).filter((c) => c.experimentId === experimentId);
    expect(mine.map((c) => [c.outcome, c.values, c.failureScope])).toEqual([
      ['completed', { y: 8 }, null],
      ['failed', null, 'device'],
      ['failed', null, 'experiment'],
    ]);
    const health = await svc.api<{ results: { conflicts: number } }>('GET', '/api/health');
    expect(health.body.results.conflicts).toBeGreaterThanOrEqual(5);
  });

  it('answers a repeated failure of the same scope `ok`', async () => {
    const { experimentId } = device.runs()[2];
    await device.publishEvent({ type: 'failed', experimentId, scope: 'experiment', reason: 'precipitate' });
    await device.publishEvent({ type: 'failed', experimentId, scope: 'experiment', reason: 'precipitate' });
    const acks = await device.waitForAck(experimentId, 2);
    expect(acks.map((a) => (a as AckCommand).status)).toEqual(['ok', 'ok']);
  });

  it('lists nothing for an unknown campaign', async () => {
    const r = await svc.api('GET', `/api/campaigns/${randomUUID()}/conflicts`);
    expect(r.status).toBe(404);
    await until(async () => (await conflicts()).length >= 4, { what: 'the conflicts listed' });
  });
});
