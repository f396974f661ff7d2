import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedBroker, type EmbeddedBroker } from '#broker';
import { DeviceClient } from './device-client.js';
import { RunAborted, type DeviceClientOptions, type RunHandler } from './device-client.types.js';
import { FakeService, waitFor } from '#device-sdk/testing';

/** Uses the broker named by MQTT_URL (e.g. Mosquitto) when set, else an embedded aedes on an ephemeral port. */
const externalUrl = process.env.MQTT_URL;

describe('DeviceClient', () => {
  let broker: EmbeddedBroker | undefined;
  let url: string;
  let service: FakeService;
  const devices: DeviceClient[] = [];
  const logs: string[] = [];
  let seq = 0;
  const prefix = `dev-${process.pid}-`;

  function newDevice(run: RunHandler, opts: Partial<DeviceClientOptions> = {}): DeviceClient {
    const deviceId = `${prefix}${Date.now().toString(36)}-${++seq}`;
    const device = new DeviceClient({
      url,
      deviceId,
      kind: 'test-rig',
      resendIntervalMs: 300, // above an ack's round trip on a busy 2-core machine
      reconnectPeriodMs: 100,
      logger: (level, msg) => logs.push(`${level} ${msg}`),
      run,
      ...opts,
    });
    devices.push(device);
    return device;
  }

  const ok: RunHandler = async (command) => ({ values: { y: Number(command.params.x) * 2 } });

  beforeEach(async () => {
    logs.length = 0;
    if (externalUrl) url = externalUrl;
    else {
      broker = await startEmbeddedBroker();
      url = broker.url;
    }
    service = await FakeService.connect(url, { devicePrefix: prefix });
  });

  afterEach(async () => {
    const stopping = devices.splice(0);
    await Promise.all(stopping.map((d) => d.stop()));
    if (externalUrl) await Promise.all(stopping.map((d) => service.clearRetained(d.deviceId)));
    await service.close();
    await broker?.close();
    broker = undefined;
  });

  it('aborts a running and a queued experiment once each, answering a re-sent abort again; a stop rejects runs until resumed', async () => {
    const reasons: unknown[] = [];
    const device = newDevice(
      (command, ctx) =>
        new Promise((_resolve, reject) =>
          ctx.signal.addEventListener('abort', () => {
            reasons.push(ctx.signal.reason);
            reject(ctx.signal.reason as Error);
          }),
        ),
      { capacity: 1 },
    );
    await device.start();
    await service.sendRun(device.deviceId, 'run-1', { x: 1 });
    await service.sendRun(device.deviceId, 'queued-1', { x: 2 });
    await waitFor(() => device.runningNow === 1 && device.activeRuns === 2, 'one running, one queued');

    await service.sendControl(device.deviceId, { type: 'abort', commandId: 'c-queued', experimentId: 'queued-1', reason: 'not needed' });
    await service.sendControl(device.deviceId, { type: 'abort', commandId: 'c-run', experimentId: 'run-1', reason: 'wrong vial' });
    await waitFor(() => service.commandAcks('c-run').length === 1 && service.commandAcks('c-queued').length === 1, 'both aborts answered');
    expect(service.commandAcks('c-queued')[0]).toMatchObject({
      status: 'ok',
      experimentId: 'queued-1',
      detail: 'aborted before it started',
    });
    expect(service.commandAcks('c-run')[0]).toMatchObject({ status: 'ok', experimentId: 'run-1', detail: 'aborted: its run stopped' });
    expect(reasons).toHaveLength(1); // the queued one never started
    expect(reasons[0]).toBeInstanceOf(RunAborted);
    expect(device.stats).toMatchObject({ runsStarted: 1, aborted: 2 });
    expect(device.activeRuns).toBe(0);

    // Re-sent (the ack was lost): answered the same, not done again; a late copy of the run does not start it.
    await service.sendControl(device.deviceId, { type: 'abort', commandId: 'c-run', experimentId: 'run-1', reason: 'wrong vial' });
    await service.sendRun(device.deviceId, 'run-1', { x: 1 });
    await waitFor(() => service.commandAcks('c-run').length === 2, 'the re-sent abort answered');
    expect(service.commandAcks('c-run')[1]).toMatchObject({ status: 'ok', detail: 'aborted: its run stopped' });
    expect(device.stats.runsStarted).toBe(1);
    expect(service.eventsOf('run-1', 'result')).toEqual([]);
    expect(service.eventsOf('run-1', 'failed')).toEqual([]);

    await service.sendControl(device.deviceId, { type: 'stop', commandId: 's-1', reason: 'leak' });
    await waitFor(() => service.commandAcks('s-1').length === 1, 'the stop answered');
    expect(device.stopped).toBe(true);
    await service.sendRun(device.deviceId, 'while-stopped', { x: 3 });
    await waitFor(() => service.eventsOf('while-stopped', 'rejected').length === 1, 'the run rejected');
    expect(service.eventsOf('while-stopped', 'rejected')[0]).toMatchObject({ reason: 'the device is stopped: leak' });
    await service.sendControl(device.deviceId, { type: 'resume', commandId: 'r-1' });
    await waitFor(() => service.commandAcks('r-1').length === 1, 'the resume answered');
    expect(device.stopped).toBe(false);
    await service.sendRun(device.deviceId, 'after-resume', { x: 4 }, 2);
    await waitFor(() => device.stats.runsStarted === 2, 'a run after the resume');
  });

  it('announces itself and runs accepted → progress → result → ack', async () => {
    const device = newDevice(async (command, ctx) => {
      ctx.progress(0.5, 'half way');
      return { values: { y: Number(command.params.x) * 2 }, metadata: { instrument: 'sim' } };
    });
    await device.start();
    await waitFor(() => service.availabilityOf(device.deviceId).some((a) => a.value.status === 'online'), 'online availability');
    expect(service.availabilityOf(device.deviceId)[0].value).toMatchObject({ v: 1, status: 'online', kind: 'test-rig', capacity: 1 });

    await service.sendRun(device.deviceId, 'exp-1', { x: 3 });
    await waitFor(() => device.stats.acksReceived === 1, 'the ack');
    expect(service.eventsOf('exp-1').map((e) => e.type)).toEqual(['accepted', 'progress', 'result']);
    expect(service.eventsOf('exp-1', 'progress')[0]).toMatchObject({ fraction: 0.5, message: 'half way', attempt: 1 });
    expect(service.eventsOf('exp-1', 'result')[0]).toMatchObject({ values: { y: 6 }, metadata: { instrument: 'sim' }, attempt: 1 });
    expect(device.outboxSize).toBe(0);
    expect(device.stats).toMatchObject({ runsStarted: 1, runsFinished: 1, resultsResent: 0, duplicatesIgnored: 0 });
  });

  it("sends an instant run's result alone: the result carries the acceptance", async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const device = newDevice(
      async (command) => {
        if (command.experimentId === 'exp-marker') await gate;
        return { values: { y: Number(command.params.x) } };
      },
      { acceptanceDelayMs: 100, capacity: 2 },
    );
    await device.start();
    await service.sendRun(device.deviceId, 'exp-instant', { x: 3 });
    await waitFor(() => device.stats.acksReceived === 1, 'the ack');
    // A later run that waits: its acceptance is sent 100 ms after it came. A held-back acceptance of the
    // first run, had its result not cancelled it, was due earlier, so it would have arrived first.
    await service.sendRun(device.deviceId, 'exp-marker', { x: 4 });
    await waitFor(() => service.eventsOf('exp-marker', 'accepted').length === 1, "the later run's acceptance");
    release();
    await waitFor(() => device.stats.acksReceived === 2, 'the second ack');
    expect(service.eventsOf('exp-instant').map((e) => e.type)).toEqual(['result']);
    expect(service.eventsOf('exp-instant', 'result')[0]).toMatchObject({ attempt: 1, values: { y: 3 } });
    expect(device.stats.acceptancesSent).toBe(1);
  });

  it('accepts a run that outlasts acceptanceDelayMs before its result, once', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const device = newDevice(
      async () => {
        await gate;
        return { values: { y: 1 } };
      },
      { acceptanceDelayMs: 50 },
    );
    await device.start();
    await service.sendRun(device.deviceId, 'exp-slow', { x: 1 });
    await waitFor(() => service.eventsOf('exp-slow', 'accepted').length === 1, 'the held-back acceptance');
    release();
    await waitFor(() => device.stats.acksReceived === 1, 'the ack');
    expect(service.eventsOf('exp-slow').map((e) => e.type)).toEqual(['accepted', 'result']);
    expect(service.eventsOf('exp-slow', 'accepted')[0]).toMatchObject({ attempt: 1 });
    expect(device.stats.acceptancesSent).toBe(1);
  });

  it('answers a re-sent command at once while its acceptance is held back, and sends no second one', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const device = newDevice(
      async (_command, ctx) => {
        await gate;
        ctx.progress(0.9); // already accepted: progress sends no acceptance
        return { values: { y: 1 } };
      },
      { acceptanceDelayMs: 60_000 },
    );
    await device.start();
    await service.sendRun(device.deviceId, 'exp-held', { x: 1 });
    await service.sendRun(device.deviceId, 'exp-held', { x: 1 });
    await waitFor(() => service.eventsOf('exp-held', 'accepted').length === 1, 'the acceptance of the re-sent command');
    release();
    await waitFor(() => device.stats.acksReceived === 1, 'the ack');
    expect(service.eventsOf('exp-held').map((e) => e.type)).toEqual(['accepted', 'progress', 'result']);
    expect(device.stats).toMatchObject({ runsStarted: 1, duplicatesIgnored: 1, acceptancesSent: 1 });
  });

  it("sends the held-back acceptance before a run's first progress", async () => {
    const device = newDevice(
      async (command, ctx) => {
        ctx.progress(0.1);
        ctx.progress(0.2);
        return { values: { y: Number(command.params.x) } };
      },
      { acceptanceDelayMs: 60_000 },
    );
    await device.start();
    await service.sendRun(device.deviceId, 'exp-progress', { x: 2 });
    await waitFor(() => device.stats.acksReceived === 1, 'the ack');
    expect(service.eventsOf('exp-progress').map((e) => e.type)).toEqual(['accepted', 'progress', 'progress', 'result']);
  });

  it('runs a duplicated run command once, while running and after it finished', async () => {
    let calls = 0;
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const device = newDevice(
      async () => {
        calls++;
        await gate;
        return { values: { y: 1 } };
      },
      { acceptanceDelayMs: 0 }, // every command answered with an acceptance at once
    );
    await device.start();
    await service.sendRun(device.deviceId, 'exp-dup', { x: 1 });
    await service.sendRun(device.deviceId, 'exp-dup', { x: 1 });
    await waitFor(() => service.eventsOf('exp-dup', 'accepted').length === 2, 'two accepted events');
    release();
    await waitFor(() => device.stats.acksReceived === 1, 'the ack');
    // A late duplicate after the ack is answered, not run.
    await service.sendRun(device.deviceId, 'exp-dup', { x: 1 });
    await waitFor(() => service.eventsOf('exp-dup', 'accepted').length === 3, 'a third accepted event');
    expect(calls).toBe(1);
    expect(device.stats).toMatchObject({ runsStarted: 1, duplicatesIgnored: 2 });
  });

  it('re-sends a result until it is acknowledged', async () => {
    service.ackPolicy = (_e, n) => (n <= 2 ? 'drop' : 'ok');
    const device = newDevice(ok);
    await device.start();
    await service.sendRun(device.deviceId, 'exp-resend', { x: 2 });
    await waitFor(() => device.stats.acksReceived === 1, 'the ack of the third copy');
    expect(service.eventsOf('exp-resend', 'result').length).toBeGreaterThanOrEqual(3);
    expect(device.stats.resultsResent).toBeGreaterThanOrEqual(2);
    expect(device.outboxSize).toBe(0);
    // Acked: a duplicate run now gets the result again only while unacked; it is not re-sent any more.
    const copies = service.eventsOf('exp-resend', 'result').length;
    await service.sendRun(device.deviceId, 'exp-resend', { x: 2 });
    // The instant run's result carried its acceptance: this is the first `accepted` sent.
    await waitFor(() => service.eventsOf('exp-resend', 'accepted').length === 1, 'accepted for the late duplicate');
    expect(service.eventsOf('exp-resend', 'result').length).toBe(copies);
  });

  it('answers a duplicate run of an unacknowledged experiment with its final event', async () => {
    service.ackPolicy = () => 'drop';
    const device = newDevice(ok, { resendIntervalMs: 60_000 });
    await device.start();
    await service.sendRun(device.deviceId, 'exp-final', { x: 5 });
    await waitFor(() => service.eventsOf('exp-final', 'result').length === 1, 'the result');
    await service.sendRun(device.deviceId, 'exp-final', { x: 5 });
    await waitFor(() => service.eventsOf('exp-final', 'result').length === 2, 'the result again');
    expect(device.stats).toMatchObject({ runsStarted: 1, duplicatesIgnored: 1 });
  });

  it('keeps a result answered `conflict`, logs it, and does not re-send it', async () => {
    service.ackPolicy = () => 'conflict';
    const dir = await mkdtemp(join(tmpdir(), 'hakken-conflict-'));
    const file = join(dir, 'outbox.json');
    const device = newDevice(ok, { resendIntervalMs: 1000, outboxFile: file });
    await device.start();
    await service.sendRun(device.deviceId, 'exp-conflict', { x: 3 });
    await waitFor(() => device.stats.conflicts === 1, 'the conflict ack');
    expect(device.outboxSize).toBe(0);
    expect(device.conflictingReports).toEqual([
      expect.objectContaining({
        event: expect.objectContaining({ type: 'result', experimentId: 'exp-conflict' }),
        reportId: 'report-exp-conflict',
        message: expect.stringContaining('already ended otherwise'),
      }),
    ]);
    expect(logs.some((l) => l.startsWith('error') && l.includes('exp-conflict') && l.includes('report-exp-conflict'))).toBe(true);
    // Kept across a restart of the device, with the outbox.
    await device.stop();
    const again = newDevice(ok, { outboxFile: file });
    await again.start();
    expect(again.conflictingReports.map((c) => c.event.experimentId)).toEqual(['exp-conflict']);
    expect(again.outboxSize).toBe(0);
    await rm(dir, { recursive: true, force: true });
  });

  it('stops re-sending after an ack with status error, and logs the reason', async () => {
    service.ackPolicy = () => 'error';
    const device = newDevice(ok, { resendIntervalMs: 1000 }); // longer than an ack's round trip on a busy machine
    await device.start();
    await service.sendRun(device.deviceId, 'exp-refused', { x: 1 });
    await waitFor(() => device.stats.acksReceived === 1, 'the error ack');
    expect(device.outboxSize).toBe(0);
    expect(logs.some((l) => l.startsWith('error') && l.includes('UNKNOWN_EXPERIMENT') && l.includes('exp-refused'))).toBe(true);
    // Out of the outbox, so never re-sent; a later experiment's round trip shows no further copy arrived.
    const copies = service.eventsOf('exp-refused', 'result').length;
    service.ackPolicy = () => 'ok';
    await service.sendRun(device.deviceId, 'exp-marker', { x: 1 });
    await waitFor(() => device.stats.acksReceived === 2, 'a later experiment');
    expect(service.eventsOf('exp-refused', 'result').length).toBe(copies);
    expect(device.stats.resultsResent).toBe(0);
  });

  it('ignores malformed commands and keeps working', async () => {
    const device = newDevice(ok);
    await device.start();
    await service.sendRaw(device.deviceId, 'not json');
    await service.sendRaw(device.deviceId, JSON.stringify({ v: 2, type: 'run' }));
    await service.sendRaw(device.deviceId, JSON.stringify({ v: 1, type: 'run', experimentId: 'x' }));
    await waitFor(() => device.stats.malformedIgnored === 3, 'three malformed commands');
    expect(logs.filter((l) => l.includes('malformed command'))).toHaveLength(3);
    await service.sendRun(device.deviceId, 'exp-after', { x: 4 });
    await waitFor(() => device.stats.acksReceived === 1, 'the ack');
    expect(service.eventsOf('exp-after', 'result')[0]).toMatchObject({ values: { y: 8 } });
  });

  it('reports failures: thrown handler → device, returned failure, NaN → experiment', async () => {
    const device = newDevice(async (command) => {
      if (command.params.mode === 'throw') throw new Error('pump jammed');
      if (command.params.mode === 'nan') return { values: { y: Number.NaN } };
      return { failed: { scope: 'experiment', reason: 'clogged at 120 °C' } };
    });
    await device.start();
    await service.sendRun(device.deviceId, 'exp-throw', { mode: 'throw' });
    await service.sendRun(device.deviceId, 'exp-nan', { mode: 'nan' });
    await service.sendRun(device.deviceId, 'exp-fail', { mode: 'fail' });
    await waitFor(() => device.stats.acksReceived === 3, 'three acks');
    expect(service.eventsOf('exp-throw', 'failed')[0]).toMatchObject({ scope: 'device', reason: 'handler threw: pump jammed' });
    expect(service.eventsOf('exp-nan', 'failed')[0]).toMatchObject({ scope: 'experiment', reason: expect.stringContaining('"y"') });
    expect(service.eventsOf('exp-fail', 'failed')[0]).toMatchObject({ scope: 'experiment', reason: 'clogged at 120 °C' });
  });

  it('runs at most `capacity` experiments at once and queues the rest', async () => {
    let concurrent = 0;
    let peak = 0;
    const releases: Array<() => void> = [];
    const device = newDevice(
      async () => {
        concurrent++;
        peak = Math.max(peak, concurrent);
        await new Promise<void>((resolve) => releases.push(resolve));
        concurrent--;
        return { values: { y: 0 } };
      },
      { capacity: 2 },
    );
    await device.start();
    for (const id of ['q1', 'q2', 'q3', 'q4']) await service.sendRun(device.deviceId, id, { x: 0 });
    await waitFor(() => service.eventsOf('q4', 'accepted').length === 1 && releases.length === 2, 'two running, all accepted');
    expect(device.activeRuns).toBe(4);
    while (device.stats.acksReceived < 4) {
      await waitFor(() => releases.length > 0 || device.stats.acksReceived === 4, 'a running experiment');
      releases.shift()?.();
    }
    expect(peak).toBe(2);
    expect(device.stats.runsStarted).toBe(4);
  });

  it('keeps an unacknowledged result across a process restart with outboxFile', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hakken-outbox-'));
    try {
      const outboxFile = join(dir, 'outbox.json');
      service.ackPolicy = () => 'drop';
      const first = newDevice(ok, { outboxFile });
      await first.start();
      await service.sendRun(first.deviceId, 'exp-persist', { x: 7 });
      await waitFor(() => service.eventsOf('exp-persist', 'result').length >= 1, 'the result');
      await first.stop();
      const saved = JSON.parse(await readFile(outboxFile, 'utf8')) as { events: Array<{ experimentId: string }> };
      expect(saved.events.map((e) => e.experimentId)).toEqual(['exp-persist']);

      service.ackPolicy = () => 'ok';
      const second = newDevice(ok, { outboxFile, deviceId: first.deviceId });
      await second.start();
      await waitFor(() => second.stats.acksReceived === 1, 'the ack after the restart');
      expect(second.stats.runsStarted).toBe(0);
      await second.stop();
      expect(JSON.parse(await readFile(outboxFile, 'utf8'))).toEqual({
        v: 1,
        events: [],
        acked: [{ experimentId: 'exp-persist', attempt: 1 }],
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('runs an experiment again when the service re-dispatches it with a higher attempt', async () => {
    let calls = 0;
    const device = newDevice(async () => {
      calls++;
      if (calls === 1) throw new Error('valve stuck');
      return { values: { y: 1 } };
    });
    await device.start();
    await service.sendRun(device.deviceId, 'exp-retry', { x: 1 }, 1);
    await waitFor(() => device.stats.acksReceived === 1, 'the device failure to be acked');
    expect(service.eventsOf('exp-retry', 'failed')[0]).toMatchObject({ scope: 'device', attempt: 1 });
    await service.sendRun(device.deviceId, 'exp-retry', { x: 1 }, 2);
    await waitFor(() => device.stats.acksReceived === 2, 'the second attempt to be acked');
    expect(service.eventsOf('exp-retry', 'result')[0]).toMatchObject({ attempt: 2, values: { y: 1 } });
    // A late copy of attempt 1 is a duplicate.
    await service.sendRun(device.deviceId, 'exp-retry', { x: 1 }, 1);
    await waitFor(() => device.stats.duplicatesIgnored === 1, 'the duplicate');
    expect(calls).toBe(2);
  });

  it('remembers a bounded number of acknowledged experiments', async () => {
    let calls = 0;
    const device = newDevice(
      async () => {
        calls++;
        return { values: { y: 1 } };
      },
      { rememberCompleted: 1 },
    );
    await device.start();
    await service.sendRun(device.deviceId, 'old', { x: 1 });
    await waitFor(() => device.stats.acksReceived === 1, 'old acked');
    await service.sendRun(device.deviceId, 'new', { x: 1 });
    await waitFor(() => device.stats.acksReceived === 2, 'new acked');
    await service.sendRun(device.deviceId, 'new', { x: 1 }); // still remembered
    await service.sendRun(device.deviceId, 'old', { x: 1 }); // forgotten: runs again
    await waitFor(() => device.stats.acksReceived === 3, 'old acked again');
    expect(device.stats.duplicatesIgnored).toBe(1);
    expect(calls).toBe(3);
  });

  it('publishes offline (retained) on stop', async () => {
    const device = newDevice(ok);
    await device.start();
    await device.stop();
    await waitFor(() => service.availabilityOf(device.deviceId).some((a) => a.value.status === 'offline'), 'offline availability');
  });

  (externalUrl ? it : it.skip)('works over MQTT 5 on a v5 broker', async () => {
    await service.close();
    service = await FakeService.connect(url, { protocolVersion: 5, devicePrefix: prefix });
    const device = newDevice(ok, { protocolVersion: 5 });
    await device.start();
    await service.sendRun(device.deviceId, 'exp-v5', { x: 10 });
    await waitFor(() => device.stats.acksReceived === 1, 'the ack');
    expect(service.eventsOf('exp-v5', 'result')[0]).toMatchObject({ values: { y: 20 } });
  });

  (externalUrl ? it.skip : it)('start() rejects with a clear error when the broker refuses the connection', async () => {
    const device = newDevice(ok, { protocolVersion: 5 }); // aedes speaks 3.1.1 only
    await expect(device.start()).rejects.toThrow(/refused device dev-/);
  });

  it('start() rejects when stop() is called before the broker is reachable', async () => {
    const device = newDevice(ok, { url: 'mqtt://127.0.0.1:1' });
    const starting = device.start();
    await waitFor(() => logs.some((l) => l.includes('ECONNREFUSED')), 'a connection error');
    await device.stop();
    await expect(starting).rejects.toThrow(/stopped before it connected/);
  });

  (externalUrl ? it.skip : it)('survives a broker restart: reconnects, re-announces and re-sends its unacked result', async () => {
    const b = broker as EmbeddedBroker;
    service.ackPolicy = () => 'drop';
    // The service may resubscribe after the device's reconnect re-send: the periodic re-send covers that.
    const device = newDevice(ok, { resendIntervalMs: 300 });
    await device.start();
    await service.sendRun(device.deviceId, 'exp-restart', { x: 1 });
    await waitFor(() => service.eventsOf('exp-restart', 'result').length === 1, 'the first result');
    const onlineBefore = service.availabilityOf(device.deviceId).filter((a) => a.value.status === 'online').length;

    await b.close();
    await waitFor(() => !device.connected && !service.connected, 'both clients to notice');
    broker = await startEmbeddedBroker({ port: b.port });
    service.ackPolicy = () => 'ok';
    await waitFor(() => device.stats.connects === 2, 'the device to reconnect');
    await waitFor(() => device.stats.acksReceived === 1, 'the re-sent result to be acked');
    await waitFor(
      () => service.availabilityOf(device.deviceId).filter((a) => a.value.status === 'online').length > onlineBefore,
      'online again',
    );
    expect(device.stats.resultsResent).toBeGreaterThanOrEqual(1);
    expect(device.stats.runsStarted).toBe(1);
  });
});
