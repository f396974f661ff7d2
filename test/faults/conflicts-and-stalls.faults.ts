import { afterAll, describe, expect, it } from '@jest/globals';
import { topics } from '#protocol';
import { until } from '../support/poll.js';
import { ScriptedDevice } from '../support/scripted-device.js';
import { braninCampaign } from '../support/service.js';
import { DatabaseServer } from './support/database-server.js';
import { MosquittoProcess } from './support/mosquitto-process.js';
import { ServiceProcess } from './support/service-process.js';
import { FaultTally } from './support/tally.js';

interface Campaign {
  status: string;
  stalled: { reason: string; waitingFor: { experimentId: string }[] } | null;
  experiments: { id: string; status: string; objective: number | null; attempt: number }[];
}

/**
 * On an open broker (no ACL, as the suite's Mosquitto): a forged failure on a rig's own topic fails
 * its experiment first; the rig's real result that follows must be answered `conflict`, kept with its
 * value, and listed, not acknowledged `ok` and dropped. Then the rig hangs on its other experiment:
 * the campaign must be marked stalled with what it waits for, and an operator's re-dispatch must get
 * it to the end.
 */
describe('fault injection: a forged conflicting report and a stalled campaign', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  });

  it('keeps the real value beside a forged outcome, and gets a stalled campaign moving again', async () => {
    const tally = new FaultTally();
    const database = await DatabaseServer.start();
    cleanups.push(() => database.stop());
    const broker = await MosquittoProcess.start();
    cleanups.push(() => broker.stop());
    const service = await ServiceProcess.start(database.url, broker.url, { CAMPAIGN_STALL_AFTER_MS: '2000' });
    cleanups.push(() => service.stop());
    const rig = await ScriptedDevice.connect(broker.url, 'rig-conflict', 'conflict-kind', 2);
    cleanups.push(() => rig.close());
    const forger = await ScriptedDevice.connect(broker.url, 'forger', 'forger-kind', 1);
    cleanups.push(() => forger.close());

    const created = await until(
      () =>
        service.api<{ id: string }>(
          'POST',
          '/api/campaigns',
          braninCampaign({ name: 'faults: conflict and stall', budget: 2, batchSize: 2, seed: 11, deviceKind: 'conflict-kind' }),
        ),
      { what: 'the campaign created' },
    );
    const id = created.body.id;
    const campaign = async () => (await service.api<Campaign>('GET', `/api/campaigns/${id}`))?.body;
    const [forged, hung] = await rig.waitForRuns(2);
    await rig.accept(forged.experimentId);
    await rig.accept(hung.experimentId);

    // The forgery, published on the rig's own events topic, then the rig's real result.
    const forgery = {
      v: 1,
      type: 'failed',
      experimentId: forged.experimentId,
      ts: new Date().toISOString(),
      scope: 'experiment',
      reason: 'forged',
    };
    await forger.publishRaw(topics.events(rig.id), JSON.stringify(forgery));
    tally.add('forged-conflict');
    await until(async () => (await campaign())?.experiments.find((e) => e.id === forged.experimentId)?.status === 'failed', {
      what: 'the forged failure stored',
    });
    await rig.publishEvent({ type: 'result', experimentId: forged.experimentId, values: { y: 2.5 } });
    const [ack] = await until(
      () => {
        const acks = rig.acks(forged.experimentId).filter((a) => a.type === 'ack' && a.status !== 'ok');
        return acks.length > 0 ? acks : undefined;
      },
      { what: "the answer to the rig's real result" },
    );
    expect(ack).toMatchObject({ status: 'conflict', reportId: expect.any(String) });
    const conflicts = await service.api<{ id: string; objective: number; deviceId: string }[]>('GET', `/api/campaigns/${id}/conflicts`);
    expect(conflicts?.body).toEqual([expect.objectContaining({ objective: 2.5, deviceId: rig.id })]);

    // The rig never answers its other experiment: the campaign stalls, says so, and an operator re-dispatches it.
    tally.add('stalled-campaign');
    const stalled = await until(async () => (await campaign())?.stalled ?? undefined, { timeoutMs: 30_000, what: 'the campaign stalled' });
    expect(stalled.waitingFor.map((w) => w.experimentId)).toEqual([hung.experimentId]);
    const resolved = await service.api<{ experiments: { id: string }[] }>('POST', `/api/campaigns/${id}/stall/resolve`, {
      action: 'redispatch',
    });
    expect(resolved?.body.experiments.map((e) => e.id)).toEqual([hung.experimentId]);
    await until(() => rig.runs().find((r) => r.experimentId === hung.experimentId && r.attempt === 2), { what: 'attempt 2 sent' });
    await rig.publishEvent({ type: 'result', experimentId: hung.experimentId, attempt: 2, values: { y: 7 } });
    const done = await until(
      async () => {
        const c = await campaign();
        return c?.status === 'completed' ? c : undefined;
      },
      { timeoutMs: 30_000, what: 'the campaign completed' },
    );
    expect(done.experiments.map((e) => [e.id, e.status, e.objective]).sort()).toEqual(
      [
        [forged.experimentId, 'failed', null],
        [hung.experimentId, 'completed', 7],
      ].sort(),
    );
    expect(service.crashes).toEqual([]);
    process.stdout.write(
      [
        'conflicts and stalls:',
        ...tally
          .entries()
          .filter(([, n]) => n > 0)
          .map(([k, n]) => `  ${k.padEnd(20)} ${n}`),
        '',
      ].join('\n'),
    );
  }, 120_000);
});
