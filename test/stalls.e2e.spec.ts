import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { until } from './support/poll.js';
import { ScriptedDevice } from './support/scripted-device.js';
import { testMqttUrl } from './support/database.js';
import { braninCampaign, startTestService, type TestService } from './support/service.js';

interface Stall {
  detectedAt: string;
  since: string;
  reason: string;
  waitingFor: { experimentId: string; index: number; status: string; deviceId: string | null }[];
}
interface Campaign {
  status: string;
  stalled: Stall | null;
  experiments: { id: string; status: string; attempt: number; failureScope: string | null; waitingReason: string | null }[];
}

// No silent stall, ever: a campaign that stops moving says so (audited, with what it waits for, in its
// summary) and an operator gets it moving; an experiment on a device that declares its typical duration
// has a liveness deadline even without experimentTimeoutS, which its progress events push back.
describe('stalled campaigns and liveness deadlines', () => {
  let svc: TestService;
  const devices: ScriptedDevice[] = [];
  const kind = () => `stall-${randomUUID().slice(0, 8)}`;
  const campaign = async (id: string) => (await svc.api<Campaign>('GET', `/api/campaigns/${id}`)).body;
  const audit = async (campaignId: string, action: string) =>
    svc.dataSource.query(`SELECT actor, details, experiment_id FROM audit_log WHERE campaign_id = $1 AND action = $2 ORDER BY id`, [
      campaignId,
      action,
    ]);

  beforeAll(async () => {
    svc = await startTestService({ campaignStallAfterMs: 1500 });
  });
  afterAll(async () => {
    await Promise.all(devices.map((d) => d.close()));
    await svc?.stop();
  });

  it('marks a campaign whose experiments never finish stalled, with what it waits for, and lets an operator resolve it', async () => {
    const k = kind();
    // The rig takes both experiments and then says nothing of them (it restarted and lost them, or hung).
    const rig = await ScriptedDevice.connect(testMqttUrl(), `rig-${k}`, k, 2);
    devices.push(rig);
    const created = await svc.api<{ id: string }>('POST', '/api/campaigns', braninCampaign({ budget: 2, batchSize: 2, deviceKind: k }));
    const id = created.body.id;
    const [a, b] = await rig.waitForRuns(2);
    await rig.accept(a.experimentId);
    await rig.accept(b.experimentId);

    const stall = await until(async () => (await campaign(id)).stalled ?? undefined, {
      what: 'the campaign marked stalled',
      timeoutMs: 20_000,
    });
    expect(stall.reason).toMatch(/^no progress for \d+ s; waits for experiment 0 running on rig-/);
    expect(stall.reason).toContain('no result');
    expect(stall.waitingFor.map((w) => [w.experimentId, w.status, w.deviceId]).sort()).toEqual(
      [
        [a.experimentId, 'running', rig.id],
        [b.experimentId, 'running', rig.id],
      ].sort(),
    );
    const [entry] = await audit(id, 'campaign.stalled');
    expect(entry).toMatchObject({ actor: 'service', details: { reason: stall.reason } });

    // A viewer may not act; an operator re-dispatches one and gives up on the other.
    expect((await svc.api('POST', `/api/campaigns/${id}/stall/resolve`, { action: 'fail' }, { as: 'viewer' })).status).toBe(403);
    expect((await svc.api('POST', `/api/campaigns/${id}/stall/resolve`, { action: 'retry' }, { as: 'operator' })).status).toBe(400);
    const redispatched = await svc.api<{ action: string; experiments: { id: string; deviceId: string }[] }>(
      'POST',
      `/api/campaigns/${id}/stall/resolve`,
      { action: 'redispatch', experimentIds: [a.experimentId], note: 'rig restarted' },
      { as: 'operator' },
    );
    expect(redispatched).toMatchObject({
      status: 200,
      body: { action: 'redispatch', experiments: [{ id: a.experimentId, deviceId: rig.id }] },
    });
    expect((await campaign(id)).stalled).toBeNull();
    await until(() => rig.runs().find((r) => r.experimentId === a.experimentId && r.attempt === 2), { what: 'attempt 2 sent' });
    await rig.publishEvent({ type: 'result', experimentId: a.experimentId, attempt: 2, values: { y: 4 } });
    await rig.waitForAck(a.experimentId);

    const failed = await svc.api<{ experiments: { id: string }[] }>(
      'POST',
      `/api/campaigns/${id}/stall/resolve`,
      { action: 'fail' },
      { as: 'operator' },
    );
    expect(failed.body.experiments.map((e) => e.id)).toEqual([b.experimentId]);
    const done = await until(
      async () => {
        const c = await campaign(id);
        return c.status === 'completed' ? c : undefined;
      },
      { what: 'the campaign completed' },
    );
    expect(done.experiments.find((e) => e.id === b.experimentId)).toMatchObject({ status: 'failed', failureScope: 'device' });
    expect(done.experiments.find((e) => e.id === a.experimentId)).toMatchObject({ status: 'completed', attempt: 2 });
    const resolved = await audit(id, 'campaign.stall_resolved');
    expect(resolved.map((r: { actor: string; details: { action: string } }) => [r.actor, r.details.action])).toEqual([
      ['operator:ada', 'redispatch'],
      ['operator:ada', 'fail'],
    ]);
    expect((await audit(id, 'experiment.failed')).map((r: { experiment_id: string }) => r.experiment_id)).toEqual([b.experimentId]);
  });

  it('does not mark a campaign stalled whose open experiments all wait for a person', async () => {
    const manual = (
      await svc.api<{ id: string }>('POST', '/api/campaigns', braninCampaign({ budget: 2, batchSize: 2, deviceKind: 'manual' }))
    ).body.id;
    await until(
      async () => {
        const open = (await campaign(manual)).experiments.filter((e) => e.status === 'queued');
        return open.length === 2 && open.every((e) => e.waitingReason?.startsWith('waiting for a person')) ? true : undefined;
      },
      { what: 'both experiments waiting for a person' },
    );
    // A campaign no device takes, created after it: once the monitor marks this one stalled, it has looked at
    // the manual campaign too, idle for longer.
    const other = (await svc.api<{ id: string }>('POST', '/api/campaigns', braninCampaign({ budget: 2, batchSize: 2, deviceKind: kind() })))
      .body.id;
    const stall = await until(async () => (await campaign(other)).stalled ?? undefined, {
      what: 'the campaign no device takes marked stalled',
      timeoutMs: 20_000,
    });
    expect(stall.reason).toMatch(/^no progress for \d+ s; waits for experiment 0 queued/);
    expect((await campaign(manual)).stalled).toBeNull();
    expect(await audit(manual, 'campaign.stalled')).toEqual([]);
  });

  it('takes an experiment with no result or progress for three typical durations off its device; progress keeps one alive', async () => {
    const k = kind();
    const rig = await ScriptedDevice.connect(testMqttUrl(), `rig-${k}`, k, 2, { capabilities: { typicalDurationS: 0.4 } });
    devices.push(rig);
    const created = await svc.api<{ id: string }>('POST', '/api/campaigns', braninCampaign({ budget: 2, batchSize: 2, deviceKind: k }));
    const [alive, lost] = await rig.waitForRuns(2);
    await rig.accept(alive.experimentId);
    await rig.accept(lost.experimentId);
    const progress = setInterval(
      () => void rig.publishEvent({ type: 'progress', experimentId: alive.experimentId, fraction: 0.5 }).catch(() => undefined),
      250,
    );
    try {
      await until(() => rig.runs().find((r) => r.experimentId === lost.experimentId && r.attempt === 2), {
        what: 'the silent experiment sent again',
        timeoutMs: 20_000,
      });
      expect(
        rig
          .runs()
          .filter((r) => r.experimentId === alive.experimentId)
          .every((r) => r.attempt === 1),
      ).toBe(true);
    } finally {
      clearInterval(progress);
    }
    const [entry] = await audit(created.body.id, 'experiment.redispatch');
    expect(entry).toMatchObject({ actor: 'service', experiment_id: lost.experimentId, details: { cause: 'timeout' } });
    expect(entry.details.reason).toMatch(/no result and no progress from device rig-.* for 3 × its typical duration of 0\.4 s/);
  });
});
