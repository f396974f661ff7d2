import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DeviceClient, RunAborted, type RunContext } from '#device-sdk';
import type { RunCommand } from '#protocol';
import { testMqttUrl } from './support/database.js';
import { until } from './support/poll.js';
import { ScriptedDevice } from './support/scripted-device.js';
import { braninCampaign, startTestService, TEST_TOKENS, type ErrorBody, type TestService } from './support/service.js';

interface Experiment {
  id: string;
  campaignId: string;
  status: string;
  attempt: number;
  deviceId: string | null;
  values: Record<string, number | null> | null;
  objective: number | null;
  metadata: Record<string, unknown> | null;
  reportedBy: string | null;
  failureScope: string | null;
  failureReason: string | null;
  waitingReason: string | null;
}

interface Command {
  id: string;
  type: string;
  deviceId: string;
  experimentId: string | null;
  attempt: number | null;
  issuedBy: string;
  sends: number;
  ackStatus: string | null;
  ackDetail: string | null;
  payload: Record<string, unknown>;
}

const kind8 = () => randomUUID().slice(0, 8);

/**
 * A device whose run blocks until the service aborts it (its signal), or returns what the test says: the
 * test observes each run start and how it ended, never sleeping.
 */
class BlockingRig {
  readonly started: { command: RunCommand; ctx: RunContext }[] = [];
  readonly endedBy: { experimentId: string; reason: unknown }[] = [];
  /** Experiment id -> values to return at once instead of blocking (for a run after a resume). */
  readonly answers = new Map<string, { values: Record<string, number>; metadata?: Record<string, string | number | boolean> }>();
  blockAll = true;
  readonly client: DeviceClient;

  constructor(id: string, kind: string) {
    this.client = new DeviceClient({
      url: testMqttUrl(),
      deviceId: id,
      kind,
      capacity: 2,
      heartbeatIntervalS: 0.5,
      resendIntervalMs: 200,
      run: (command, ctx) => {
        this.started.push({ command, ctx });
        const answer = this.answers.get(command.experimentId);
        if (answer && !this.blockAll) return Promise.resolve(answer);
        return new Promise((_resolve, reject) => {
          ctx.signal.addEventListener('abort', () => {
            this.endedBy.push({ experimentId: command.experimentId, reason: ctx.signal.reason });
            reject(ctx.signal.reason as Error);
          });
        });
      },
    });
  }

  waitStarted(n: number) {
    return until(() => (this.started.length >= n ? this.started.slice(0, n) : undefined), { what: `${n} runs started` });
  }
}

describe('campaign controls: manual experiments, abort, emergency stop, metadata and the command log', () => {
  let svc: TestService;
  const closers: (() => Promise<unknown>)[] = [];

  const experiment = async (id: string) => (await svc.api<Experiment>('GET', `/api/experiments/${id}`)).body;
  const commandsOf = async (path: string) => (await svc.api<Command[]>('GET', path)).body;
  const campaignExperiments = async (campaignId: string) =>
    (await svc.api<{ experiments: Experiment[] }>('GET', `/api/campaigns/${campaignId}`)).body.experiments;
  const rig = async (id: string, kind: string) => {
    const r = new BlockingRig(id, kind);
    await r.client.start();
    closers.push(() => r.client.stop());
    return r;
  };

  beforeAll(async () => {
    svc = await startTestService();
  });
  afterAll(async () => {
    for (const close of closers) await close().catch(() => undefined);
    await svc?.stop();
  });

  it('shows experiments of the manual kind as waiting for a person and takes their result from an operator once, audited', async () => {
    const created = await svc.api<{ id: string }>(
      'POST',
      '/api/campaigns',
      braninCampaign({ deviceKind: 'manual', budget: 2, batchSize: 2, objective: { name: 'y', direction: 'minimize', low: 0, high: 400 } }),
    );
    expect(created.status).toBe(201);
    const campaignId = created.body.id;
    const waiting = await until(
      async () => {
        const list = await campaignExperiments(campaignId);
        return list.length === 2 && list.every((e) => e.waitingReason?.startsWith('waiting for a person')) ? list : undefined;
      },
      { what: 'two experiments waiting for a person' },
    );
    const [first, second] = waiting;
    expect(first.status).toBe('queued');
    expect((await experiment(first.id)).waitingReason).toMatch(/^waiting for a person to run it and report its result/);
    expect((await svc.api<Command[]>('GET', `/api/experiments/${first.id}/commands`)).body).toEqual([]); // never sent to a device

    const path = `/api/experiments/${first.id}/result`;
    // A viewer may not report; a report that breaks the checks of a device's result is refused, naming each problem.
    expect((await svc.api('POST', path, { values: { y: 3 } }, { as: 'viewer' })).status).toBe(403);
    const noObjective = await svc.api<ErrorBody>('POST', path, { values: { z: 3 } }, { as: 'operator' });
    expect(noObjective.status).toBe(400);
    expect(noObjective.body.error.problems.join('\n')).toMatch(/no value for the objective "y" \(got z\)/);
    const outOfRange = await svc.api<ErrorBody>('POST', path, { values: { y: 900 } }, { as: 'operator' });
    expect(outOfRange.status).toBe(400);
    expect(outOfRange.body.error.problems.join('\n')).toMatch(/"y" = 900 is above the plausible range \(high 400\)/);
    const both = await svc.api<ErrorBody>(
      'POST',
      path,
      { values: { y: 1 }, failed: { scope: 'experiment', reason: 'x' } },
      { as: 'operator' },
    );
    expect(both.status).toBe(400);
    expect(both.body.error.problems.join('\n')).toMatch(/either "values".*or "failed"/);
    const bigMetadata = {
      notes: 'x'.repeat(1000),
      ...Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, 'v'.repeat(1000)])),
    };
    const tooBig = await svc.api<ErrorBody>('POST', path, { values: { y: 1 }, metadata: bigMetadata }, { as: 'operator' });
    expect(tooBig.status).toBe(400);
    expect(tooBig.body.error.problems.join('\n')).toMatch(/metadata of \d+ bytes as JSON exceeds the limit of 16384/);
    expect((await experiment(first.id)).status).toBe('queued'); // nothing stored by the refusals

    const report = { values: { y: 12.5 }, metadata: { notebook: 'NB-7 p. 12', balance: 'XS205' }, note: 'weighed twice' };
    const stored = await svc.api<{ experiment: Experiment; repeated: boolean }>('POST', path, report, { as: 'operator' });
    expect(stored.status).toBe(200);
    expect(stored.body.repeated).toBe(false);
    expect(stored.body.experiment).toMatchObject({
      status: 'completed',
      objective: 12.5,
      values: { y: 12.5 },
      metadata: { notebook: 'NB-7 p. 12', balance: 'XS205' },
      reportedBy: 'operator:ada',
      waitingReason: null,
    });
    // Exactly once: the same report again is a repeat (nothing stored again), another value is refused with what is stored.
    const again = await svc.api<{ repeated: boolean }>('POST', path, report, { as: 'operator' });
    expect(again).toMatchObject({ status: 200, body: { repeated: true } });
    const other = await svc.api<ErrorBody>('POST', path, { values: { y: 99 } }, { as: 'operator' });
    expect(other.status).toBe(409);
    expect(other.body.error.message).toMatch(/already reported by operator:ada .*\(y = 12\.5\); a second report is refused/);
    expect((await experiment(first.id)).objective).toBe(12.5);

    const failed = await svc.api<{ experiment: Experiment }>(
      'POST',
      `/api/experiments/${second.id}/result`,
      { failed: { scope: 'experiment', reason: 'the mixture gelled' } },
      { as: 'operator' },
    );
    expect(failed.status).toBe(200);
    expect(failed.body.experiment).toMatchObject({ status: 'failed', failureScope: 'experiment', failureReason: 'the mixture gelled' });
    const audit = await svc.dataSource.query(
      `SELECT actor, experiment_id, details FROM audit_log WHERE campaign_id = $1 AND action = 'experiment.reported' ORDER BY id`,
      [campaignId],
    );
    expect(audit).toHaveLength(2);
    expect(audit[0]).toMatchObject({
      actor: 'operator:ada',
      experiment_id: first.id,
      details: { values: { y: 12.5 }, note: 'weighed twice' },
    });

    // A proposal waiting for approval is not aborted: it is left out or its batch rejected.
    const held = await svc.api<{ id: string }>('POST', '/api/campaigns', braninCampaign({ deviceKind: 'manual', approval: 'manual' }));
    const proposal = await until(async () => (await campaignExperiments(held.body.id))[0], { what: 'a proposal' });
    const refused = await svc.api<ErrorBody>('POST', `/api/experiments/${proposal.id}/abort`, {}, { as: 'operator' });
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toMatch(
      /is proposed: its batch waits for approval; leave it out \(edit-and-approve\) or reject the batch/,
    );

    // The CSV export carries the metadata.
    const csv = await (
      await fetch(`${svc.httpUrl}/api/campaigns/${campaignId}/results.csv`, {
        headers: { authorization: `Bearer ${TEST_TOKENS.viewer.token}` },
      })
    ).text();
    expect(csv.split('\n')[0]).toMatch(/,metadata$/);
    const row = csv.split('\n')[1];
    expect(row).toContain('""notebook"":""NB-7 p. 12""');
    expect(row).toContain('""balance"":""XS205""');
  });

  it('aborts an experiment mid-run on an SDK device: the run is stopped, the abort acknowledged and logged, nothing re-dispatched', async () => {
    const kind = `abort-${kind8()}`;
    const device = await rig(`rig-${kind}`, kind);
    const created = await svc.api<{ id: string }>('POST', '/api/campaigns', braninCampaign({ deviceKind: kind, budget: 1, batchSize: 1 }));
    const [{ command }] = await device.waitStarted(1);
    const id = command.experimentId;
    await until(async () => (await experiment(id)).status === 'running', { what: 'the experiment running' });

    // A person's result for an experiment a device runs is refused with the reason.
    const manual = await svc.api<ErrorBody>('POST', `/api/experiments/${id}/result`, { values: { y: 1 } }, { as: 'operator' });
    expect(manual.status).toBe(409);
    expect(manual.body.error.message).toMatch(new RegExp(`is not run by a person: its campaign's deviceKind is "${kind}"`));
    expect((await svc.api('POST', `/api/experiments/${id}/abort`, { reason: 'wrong reagent' }, { as: 'viewer' })).status).toBe(403);

    const aborted = await svc.api<{ experiment: Experiment; commandId: string }>(
      'POST',
      `/api/experiments/${id}/abort`,
      { reason: 'wrong reagent loaded' },
      { as: 'operator' },
    );
    expect(aborted.status).toBe(200);
    expect(aborted.body.experiment).toMatchObject({ status: 'aborted', failureReason: 'wrong reagent loaded' });
    // The device's run saw the abort (its signal, with the service's reason) and the device acknowledged it.
    const [ended] = await until(() => (device.endedBy.length > 0 ? device.endedBy : undefined), { what: 'the run aborted' });
    expect(ended.experimentId).toBe(id);
    expect(ended.reason).toBeInstanceOf(RunAborted);
    expect((ended.reason as RunAborted).message).toBe('aborted by the service: wrong reagent loaded');
    const log = await until(
      async () => {
        const l = await commandsOf(`/api/experiments/${id}/commands`);
        return l.some((c) => c.type === 'abort' && c.ackStatus) ? l : undefined;
      },
      { what: 'the abort acknowledged' },
    );
    expect(log.map((c) => [c.type, c.ackStatus])).toEqual([
      ['run', 'accepted'],
      ['abort', 'ok'],
    ]);
    expect(log[1]).toMatchObject({ id: aborted.body.commandId, issuedBy: 'operator:ada', ackDetail: 'aborted: its run stopped' });
    expect(log[1].payload).toMatchObject({ type: 'abort', experimentId: id, reason: 'wrong reagent loaded' });
    const deviceLog = await commandsOf(`/api/devices/${device.client.deviceId}/commands`);
    expect(deviceLog.map((c) => c.id)).toEqual(expect.arrayContaining(log.map((c) => c.id)));

    // Neither data nor run again: the next proposal replaces it, and the aborted one is never sent again.
    const replacement = await device.waitStarted(2);
    expect(replacement[1].command.experimentId).not.toBe(id);
    expect((await experiment(id)).status).toBe('aborted');
    expect(device.started.filter((s) => s.command.experimentId === id)).toHaveLength(1);
    const again = await svc.api<ErrorBody>('POST', `/api/experiments/${id}/abort`, {}, { as: 'operator' });
    expect(again.status).toBe(409);
    expect(again.body.error.message).toBe(`experiment ${id} is aborted: a finished experiment cannot be aborted`);

    // Cancelling the campaign aborts its running experiment too, and the device is told.
    const cancelled = await svc.api<{ experiments: Experiment[] }>('POST', `/api/campaigns/${created.body.id}/cancel`);
    expect(cancelled.status).toBe(200);
    const second = replacement[1].command.experimentId;
    expect(cancelled.body.experiments.find((e) => e.id === second)).toMatchObject({ status: 'aborted' });
    await until(() => device.endedBy.some((e) => e.experimentId === second), { what: 'the second run aborted by the cancellation' });
    const cancelLog = await until(
      async () => {
        const l = await commandsOf(`/api/experiments/${second}/commands`);
        return l.find((c) => c.type === 'abort' && c.ackStatus === 'ok');
      },
      { what: "the cancellation's abort acknowledged" },
    );
    expect(cancelLog.payload.reason).toBe('campaign cancelled by admin:root');
  });

  it('ends an abort racing a result in exactly one outcome, and refuses an abort of a completed experiment', async () => {
    const kind = `race-${kind8()}`;
    const device = await ScriptedDevice.connect(testMqttUrl(), `rig-${kind}`, kind, 8);
    closers.push(() => device.close());
    await svc.api('POST', '/api/campaigns', braninCampaign({ deviceKind: kind, budget: 8, batchSize: 8 }));
    const runs = await device.waitForRuns(8);
    for (const r of runs) await device.accept(r.experimentId);
    await Promise.all(
      runs.map(async (r, i) => {
        const results = device.publishEvent({ type: 'result', experimentId: r.experimentId, attempt: r.attempt, values: { y: i } });
        const abort = svc.api<ErrorBody>('POST', `/api/experiments/${r.experimentId}/abort`, { reason: 'race' }, { as: 'operator' });
        await Promise.all([results, abort]);
      }),
    );
    for (const r of runs) {
      const [ack] = await device.waitForAck(r.experimentId);
      const e = await experiment(r.experimentId);
      const conflicts = await svc.dataSource.query(`SELECT count(*)::int AS n FROM conflicting_reports WHERE experiment_id = $1`, [
        r.experimentId,
      ]);
      if (e.status === 'completed') {
        // The result won: stored once, acknowledged ok; the abort was refused.
        expect(ack).toMatchObject({ status: 'ok' });
        expect(conflicts[0].n).toBe(0);
      } else {
        // The abort won: the result is not data; it is kept apart as a conflicting report.
        expect(e.status).toBe('aborted');
        expect(e.objective).toBeNull();
        expect(ack).toMatchObject({ status: 'conflict' });
        expect(conflicts[0].n).toBe(1);
      }
    }
    const completed = runs.find((r) => (device.acks(r.experimentId)[0] as { status?: string } | undefined)?.status === 'ok');
    if (completed) {
      const refused = await svc.api<ErrorBody>('POST', `/api/experiments/${completed.experimentId}/abort`, {}, { as: 'operator' });
      expect(refused.status).toBe(409);
      expect(refused.body.error.message).toMatch(/is completed: a finished experiment cannot be aborted/);
    }
  });

  it('stops a device (its runs aborted, its experiments sent elsewhere, nothing sent to it) until it is resumed', async () => {
    const kind = `stop-${kind8()}`;
    const device = await rig(`rig-${kind}`, kind);
    await svc.api('POST', '/api/campaigns', braninCampaign({ deviceKind: kind, budget: 1, batchSize: 1 }));
    const [{ command }] = await device.waitStarted(1);
    const id = command.experimentId;
    const deviceId = device.client.deviceId;
    await until(async () => (await experiment(id)).status === 'running', { what: 'the experiment running' });

    expect((await svc.api('POST', `/api/devices/${deviceId}/stop`, {}, { as: 'viewer' })).status).toBe(403);
    const stop = await svc.api<{ commandId: string; requeued: number }>(
      'POST',
      `/api/devices/${deviceId}/stop`,
      { reason: 'smoke in the enclosure' },
      { as: 'operator' },
    );
    expect(stop.status).toBe(200);
    expect(stop.body.requeued).toBe(1);
    const [ended] = await until(() => (device.endedBy.length > 0 ? device.endedBy : undefined), { what: 'the run stopped' });
    expect((ended.reason as RunAborted).by).toBe('stop');
    await until(
      async () => (await commandsOf(`/api/devices/${deviceId}/commands`)).some((c) => c.type === 'stop' && c.ackStatus === 'ok'),
      {
        what: 'the stop acknowledged',
      },
    );
    expect(device.client.stopped).toBe(true);
    const view = (await svc.api<{ stopped: { by: string; reason: string } | null }>('GET', `/api/devices/${deviceId}`)).body;
    expect(view.stopped).toMatchObject({ by: 'operator:ada', reason: 'smoke in the enclosure' });
    // Its experiment waits for another device (none of the kind): queued, attempt 1 spent, never on the stopped one.
    await until(async () => (await experiment(id)).status === 'queued', { what: 'the experiment back in the queue' });
    const again = await svc.api<ErrorBody>('POST', `/api/devices/${deviceId}/stop`, {}, { as: 'operator' });
    expect(again.status).toBe(409);
    expect(again.body.error.message).toMatch(/is already stopped \(by operator:ada/);

    device.blockAll = false;
    device.answers.set(id, { values: { y: 7 }, metadata: { column: 'C18', injection: 2 } });
    const resumed = await svc.api('POST', `/api/devices/${deviceId}/resume`, undefined, { as: 'operator' });
    expect(resumed.status).toBe(200);
    // Resumed: the device takes the experiment again (attempt 2) and its result is stored with its metadata.
    const done = await until(
      async () => {
        const e = await experiment(id);
        return e.status === 'completed' ? e : undefined;
      },
      { what: 'the experiment completed after the resume' },
    );
    expect(done).toMatchObject({ attempt: 2, objective: 7, metadata: { column: 'C18', injection: 2 } });
    const log = await commandsOf(`/api/devices/${deviceId}/commands`);
    expect(log.map((c) => [c.type, c.ackStatus])).toEqual([
      ['run', 'accepted'],
      ['stop', 'ok'],
      ['resume', 'ok'],
      ['run', 'accepted'],
    ]);
    const notStopped = await svc.api<ErrorBody>('POST', `/api/devices/${deviceId}/resume`, undefined, { as: 'operator' });
    expect(notStopped.status).toBe(409);
    expect(notStopped.body.error.message).toBe(`device ${deviceId} is not stopped`);
  });

  it('refuses metadata over 16 KiB from a device with the reason; the SDK sends the result with why its metadata was left out', async () => {
    const kind = `meta-${kind8()}`;
    const raw = await ScriptedDevice.connect(testMqttUrl(), `raw-${kind}`, kind, 1);
    closers.push(() => raw.close());
    await svc.api('POST', '/api/campaigns', braninCampaign({ deviceKind: kind, budget: 1, batchSize: 1, maxAttempts: 1 }));
    const [run] = await raw.waitForRuns(1);
    const metadata = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, 'v'.repeat(1000)]));
    await raw.publishEvent({ type: 'result', experimentId: run.experimentId, attempt: run.attempt, values: { y: 1 }, metadata });
    const [ack] = await raw.waitForAck(run.experimentId);
    expect(ack).toMatchObject({ status: 'error', error: { code: 'malformed' } });
    expect((ack as { error: { message: string } }).error.message).toMatch(/metadata of \d+ bytes as JSON exceeds the limit of 16384/);
    expect((await experiment(run.experimentId)).objective).toBeNull();
  });
});
