import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeviceClient } from './device-client.js';
import type { DeviceClientOptions, RunHandler } from './device-client.types.js';
import { checkAgainstCapabilities, capabilitiesProblems } from './limits.js';
import { DeviceHarness, waitFor } from '#device-sdk/testing';

const capabilities = {
  parameters: {
    temperature: { low: 20, high: 120, unit: '°C' },
    solvent: { choices: ['DMF', 'THF'] },
    conc: { choices: ['0.1', '0.2'] },
  },
  objectives: ['yield'],
};

describe('checkAgainstCapabilities', () => {
  it('passes params within limits, bounds inclusive, numbers matching numeric choices', () => {
    expect(checkAgainstCapabilities({ temperature: 120, solvent: 'THF', conc: 0.2 }, capabilities)).toEqual({ ok: true });
    expect(checkAgainstCapabilities({ temperature: 20, conc: '0.1' }, capabilities)).toEqual({ ok: true });
    expect(checkAgainstCapabilities({ anything: 1 }, undefined)).toEqual({ ok: true });
  });

  it('names the unknown or out-of-limit parameter', () => {
    expect(checkAgainstCapabilities({ pressure: 2 }, capabilities)).toEqual({
      ok: false,
      reason: 'unknown parameter "pressure" (this device takes temperature, solvent, conc)',
    });
    expect(checkAgainstCapabilities({ temperature: 121 }, capabilities)).toEqual({
      ok: false,
      reason: 'parameter "temperature" = 121 °C is above the safe limit 120 °C',
    });
    expect(checkAgainstCapabilities({ temperature: 19.5 }, capabilities)).toEqual({
      ok: false,
      reason: 'parameter "temperature" = 19.5 °C is below the safe limit 20 °C',
    });
    expect(checkAgainstCapabilities({ temperature: 'hot' }, capabilities)).toEqual({
      ok: false,
      reason: 'parameter "temperature" must be a number, got "hot"',
    });
    expect(checkAgainstCapabilities({ solvent: 'water' }, capabilities)).toEqual({
      ok: false,
      reason: 'parameter "solvent" = "water" is not one of the allowed choices ("DMF", "THF")',
    });
    expect(checkAgainstCapabilities({ conc: 0.15 }, capabilities)).toMatchObject({ ok: false });
  });

  it('lists every problem of a bad declaration', () => {
    expect(capabilitiesProblems({ parameters: { a: { low: 2, high: 1 }, b: { choices: [], low: 0 } } })).toEqual([
      'parameters.a: low (2) exceeds high (1)',
      'parameters.b: give either choices or low/high, not both',
      'parameters.b: choices is empty',
    ]);
    expect(capabilitiesProblems({ parameters: { a: { lo: 1 } } })[0]).toMatch(/^parameters\.a/);
  });
});

describe('DeviceClient: heartbeats, capabilities, limits, acks', () => {
  let h: DeviceHarness;
  const ok: RunHandler = async (command) => ({ values: { yield: Number(command.params.temperature ?? 0) / 2 } });

  function device(run: RunHandler, opts: Partial<DeviceClientOptions> = {}): DeviceClient {
    const deviceId = opts.deviceId ?? h.nextId();
    return h.track(
      deviceId,
      new DeviceClient({ url: h.url, deviceId, kind: 'test-rig', resendIntervalMs: 100, reconnectPeriodMs: 100, run, ...opts }),
    );
  }

  beforeEach(async () => {
    h = await DeviceHarness.start('caps');
  });
  afterEach(async () => {
    await h.close();
  });

  it('announces capabilities and heartbeat interval, and heartbeats on the broker at that interval', async () => {
    const d = device(ok, { capabilities, heartbeatIntervalS: 0.1, capacity: 2 });
    await d.start();
    await waitFor(() => h.service.heartbeatsOf(d.deviceId).length >= 4, 'four heartbeats');
    const online = h.service.availabilityOf(d.deviceId).find((a) => a.value.status === 'online');
    expect(online?.value).toMatchObject({ capacity: 2, heartbeatIntervalS: 0.1, capabilities });
    const beats = h.service.heartbeatsOf(d.deviceId);
    expect(beats[0].value).toMatchObject({ v: 1, running: 0, queued: 0 });
    const gaps = beats.slice(1).map((b, i) => b.at - beats[i].at);
    expect(Math.max(...gaps.slice(1))).toBeLessThan(1000); // ~100 ms apart, generous for a busy machine
  });

  it('lists in each heartbeat what it holds: running, then finished and unacknowledged, then nothing once acknowledged', async () => {
    let release: () => void = () => undefined;
    const d = device(() => new Promise((resolve) => (release = () => resolve({ values: { yield: 1 } }))), { heartbeatIntervalS: 0.1 });
    await d.start();
    const beatAfter = async (t: number, holding: string[]) =>
      waitFor(
        () => h.service.heartbeatsOf(d.deviceId).some((b) => b.at > t && JSON.stringify(b.value.holding) === JSON.stringify(holding)),
        `a heartbeat holding ${JSON.stringify(holding)}`,
      );
    await beatAfter(0, []);
    h.service.ackPolicy = () => 'drop';
    await h.service.sendRun(d.deviceId, 'exp-held', { temperature: 50 });
    await waitFor(() => d.runningNow === 1, 'the run');
    await beatAfter(Date.now(), ['exp-held']);
    release();
    await waitFor(() => d.outboxSize === 1, 'the result in the outbox');
    await beatAfter(Date.now(), ['exp-held']); // finished, its report not acknowledged: still held
    await h.service.sendAck(d.deviceId, 'exp-held', 'ok');
    await waitFor(() => d.outboxSize === 0, 'the ack');
    await beatAfter(Date.now(), []);
  });

  it('rejects an out-of-limit or unknown-parameter command without running it', async () => {
    let calls = 0;
    const d = device(
      async (c) => {
        calls++;
        return ok(c, undefined as never);
      },
      { capabilities },
    );
    await d.start();
    await h.service.sendRun(d.deviceId, 'too-hot', { temperature: 300, solvent: 'DMF' }, 2);
    await h.service.sendRun(d.deviceId, 'unknown', { temperature: 50, stirring: 300 });
    await h.service.sendRun(d.deviceId, 'fine', { temperature: 50, solvent: 'DMF', conc: 0.1 });
    await waitFor(
      () =>
        h.service.eventsOf('fine', 'result').length === 1 &&
        ['too-hot', 'unknown'].every((id) => h.service.eventsOf(id, 'rejected').length === 1),
      'two rejections and a result',
    );
    expect(h.service.eventsOf('too-hot')).toEqual([
      expect.objectContaining({ type: 'rejected', attempt: 2, reason: 'parameter "temperature" = 300 °C is above the safe limit 120 °C' }),
    ]);
    expect(h.service.eventsOf('unknown')).toEqual([
      expect.objectContaining({ type: 'rejected', reason: expect.stringContaining('unknown parameter "stirring"') }),
    ]);
    expect(h.service.eventsOf('fine', 'result')[0]).toMatchObject({ values: { yield: 25 } });
    expect(calls).toBe(1);
  });

  it('refuses to construct with an invalid declaration', () => {
    expect(() => device(ok, { capabilities: { parameters: { t: { low: 5, high: 1 } } } })).toThrow(
      /capabilities: parameters\.t: low \(5\) exceeds high \(1\)/,
    );
    expect(() => device(ok, { heartbeatIntervalS: 0 })).toThrow(/heartbeatIntervalS must be within/);
    expect(() => device(ok, { acceptanceDelayMs: -1 })).toThrow(/acceptanceDelayMs must be within \[0, 60000\], got -1/);
    expect(() => device(ok, { acceptanceDelayMs: Number.NaN })).toThrow(/acceptanceDelayMs must be within/);
  });

  it('honours the attempt of an ack: a late ack of attempt 1 does not clear attempt 2', async () => {
    h.service.ackPolicy = () => 'drop';
    const d = device(ok, { resendIntervalMs: 60_000 });
    await d.start();
    await h.service.sendRun(d.deviceId, 'exp-a', { temperature: 10 }, 2);
    await waitFor(() => h.service.eventsOf('exp-a', 'result').length === 1, 'the result');
    await h.service.sendAck(d.deviceId, 'exp-a', 'ok', undefined, 1);
    await waitFor(() => d.stats.acksIgnored === 1, 'the stale ack to be ignored');
    expect(d.outboxSize).toBe(1);
    await h.service.sendAck(d.deviceId, 'exp-a', 'ok', undefined, 2);
    await waitFor(() => d.stats.acksReceived === 1, 'the matching ack');
    expect(d.outboxSize).toBe(0);
  });

  it('does not re-run an acknowledged experiment after a restart (acked ids persisted with the outbox)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hakken-acked-'));
    try {
      const outboxFile = join(dir, 'outbox.json');
      let calls = 0;
      const counting: RunHandler = async (c, ctx) => {
        calls++;
        return ok(c, ctx);
      };
      const first = device(counting, { outboxFile });
      await first.start();
      await h.service.sendRun(first.deviceId, 'exp-once', { temperature: 40 });
      await waitFor(() => first.stats.acksReceived === 1, 'the ack');
      await first.stop();
      expect(JSON.parse(await readFile(outboxFile, 'utf8'))).toMatchObject({ acked: [{ experimentId: 'exp-once', attempt: 1 }] });

      const second = device(counting, { outboxFile, deviceId: first.deviceId });
      await second.start();
      await h.service.sendRun(second.deviceId, 'exp-once', { temperature: 40 });
      // The first run answered at once: its result stood for the acceptance, so this is the first `accepted`.
      await waitFor(() => h.service.eventsOf('exp-once', 'accepted').length === 1, 'the duplicate to be answered');
      expect(second.stats.duplicatesIgnored).toBe(1);
      expect(calls).toBe(1);
      expect(h.service.eventsOf('exp-once', 'accepted')).toHaveLength(1);
      // A re-dispatch with a higher attempt is run again.
      await h.service.sendRun(second.deviceId, 'exp-once', { temperature: 40 }, 2);
      await waitFor(() => second.stats.acksReceived === 1, 'attempt 2 acked');
      expect(calls).toBe(2);
      await second.stop(); // flushes the outbox file before the directory is removed
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('freeze(): stops heartbeats and answers nothing (a hung process)', async () => {
    const d = device(ok, { heartbeatIntervalS: 0.1 });
    await d.start();
    await waitFor(() => h.service.heartbeatsOf(d.deviceId).length >= 2, 'heartbeats');
    d.freeze();
    const beats = h.service.heartbeatsOf(d.deviceId).length;
    await h.service.sendRun(d.deviceId, 'exp-hung', { temperature: 1 });
    // A later command to a live device round-trips; by then the frozen one would have answered.
    const live = device(ok);
    await live.start();
    await h.service.sendRun(live.deviceId, 'exp-live', { temperature: 1 });
    await waitFor(() => live.stats.acksReceived === 1, 'the live device');
    // The service's liveness rule: silent for three intervals.
    await waitFor(() => Date.now() - (h.service.heartbeatsOf(d.deviceId).at(-1)?.at ?? 0) > 300, 'three silent heartbeat intervals', 5000);
    expect(h.service.eventsOf('exp-hung')).toEqual([]);
    expect(h.service.heartbeatsOf(d.deviceId).length).toBeLessThanOrEqual(beats + 1); // one may have been in flight
    expect(d.connected).toBe(true);
  });
});
