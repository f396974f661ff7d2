import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { testMqttUrl } from './support/database.js';
import { until } from './support/poll.js';
import { ScriptedDevice } from './support/scripted-device.js';
import { braninCampaign, startTestService, type TestService } from './support/service.js';

/** A report in another protocol version is the device's fault: refused to it, and its experiment runs again; the optimizer learns nothing. */
describe('devices: a report in another protocol version', () => {
  let svc: TestService;
  const devices: ScriptedDevice[] = [];
  beforeAll(async () => {
    svc = await startTestService();
  });
  afterAll(async () => {
    for (const d of devices) await d.close().catch(() => undefined);
    await svc?.stop();
  });

  it('is refused with the reason and sends the experiment again, never failing it as data', async () => {
    const kind = `protocol-${randomUUID().slice(0, 8)}`;
    const device = await ScriptedDevice.connect(testMqttUrl(), `rig-${kind}`, kind, 1);
    devices.push(device);
    await svc.api('POST', '/api/campaigns', braninCampaign({ budget: 1, batchSize: 1, deviceKind: kind }));
    const [run] = await device.waitForRuns(1);
    await device.accept(run.experimentId);
    const row = async () =>
      (
        (await svc.dataSource.query(`SELECT status, attempt, failure_scope FROM experiments WHERE id = $1`, [run.experimentId])) as {
          status: string;
          attempt: number;
          failure_scope: string | null;
        }[]
      )[0];
    await until(async () => (await row()).status === 'running' || undefined, { what: 'the experiment running' });

    await device.publishEvent({ v: 2, type: 'result', experimentId: run.experimentId, attempt: 1, values: { y: 1.5 } });
    const [ack] = await device.waitForAck(run.experimentId);
    expect(ack).toMatchObject({ status: 'error', error: { code: 'unsupported_version' } });
    expect((ack as { error: { message: string } }).error.message).toMatch(/unsupported protocol version 2/);

    await until(() => device.runs().some((r) => r.experimentId === run.experimentId && r.attempt === 2), { what: 'attempt 2 sent' });
    expect((await row()).failure_scope).toBeNull();
    const audit = (await svc.dataSource.query(`SELECT action, details FROM audit_log WHERE experiment_id = $1 ORDER BY id`, [
      run.experimentId,
    ])) as { action: string; details: { cause?: string; scope?: string } }[];
    expect(audit.filter((a) => a.action === 'experiment.failed')).toEqual([]);
    expect(audit.find((a) => a.action === 'experiment.redispatch')).toMatchObject({ details: { cause: 'protocol', scope: 'device' } });
  });
});
