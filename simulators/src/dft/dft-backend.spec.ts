import { DeviceHarness, waitFor } from '#device-sdk/testing';
import { hartmann6 } from '../functions.js';
import { checkDftOptions, drawDft, startDftBackend, type DftBackend, type DftBackendOptions, type DftFate } from './dft-backend.js';

const base: Omit<DftBackendOptions, 'url' | 'deviceId'> = {
  capacity: 2,
  runTime: { distribution: 'lognormal', medianS: 60, sigma: 1 },
  timeFactor: 0.001, // 60 s -> 60 ms
  crashRate: 0,
  hangRate: 0,
  nonConvergedRate: 0,
  seed: 11,
};
const x = { x1: 0.2, x2: 0.15, x3: 0.48, x4: 0.28, x5: 0.31, x6: 0.66 };

describe('DFT backend draws', () => {
  it('fails, crashes and hangs at the configured rates (seeded, within 4 standard errors)', () => {
    const o = { ...base, url: '', deviceId: 'd', crashRate: 0.05, hangRate: 0.02, nonConvergedRate: 0.1 };
    const n = 5000;
    const counts: Record<DftFate, number> = { converged: 0, crash: 0, hang: 0, 'not-converged': 0 };
    for (let i = 0; i < n; i++) counts[drawDft(o, { experimentId: `e${i}`, attempt: 1 }).fate]++;
    for (const [fate, p] of [
      ['crash', 0.05],
      ['hang', 0.02],
      ['not-converged', 0.1],
    ] as const) {
      expect(Math.abs(counts[fate] / n - p)).toBeLessThan(4 * Math.sqrt((p * (1 - p)) / n));
    }
    // Same seed, id and attempt: same draw; another attempt: another draw.
    expect(drawDft(o, { experimentId: 'e1', attempt: 1 })).toEqual(drawDft(o, { experimentId: 'e1', attempt: 1 }));
    expect(drawDft(o, { experimentId: 'e1', attempt: 2 })).not.toEqual(drawDft(o, { experimentId: 'e1', attempt: 1 }));
  });

  it('has heavy-tailed run times: log-normal median as configured, Pareto tail index as configured', () => {
    const times = (o: DftBackendOptions) =>
      Array.from({ length: 4000 }, (_, i) => drawDft(o, { experimentId: `t${i}`, attempt: 1 }).runTimeMs).sort((a, b) => a - b);
    const ln = times({ ...base, url: '', deviceId: 'd' });
    expect(ln[2000]).toBeGreaterThan(60 * 0.9);
    expect(ln[2000]).toBeLessThan(60 * 1.1);
    expect(ln[3960] / ln[2000]).toBeGreaterThan(5); // p99 / median = e^{2.33} ≈ 10 for sigma 1
    const pa = times({ ...base, url: '', deviceId: 'd', runTime: { distribution: 'pareto', minS: 10, alpha: 1.5 } });
    expect(pa[0]).toBeGreaterThanOrEqual(10);
    // P(T > t) = (10/t)^1.5: the median is 10 * 2^(1/1.5) ≈ 15.9 s -> 15.9 ms at timeFactor 0.001.
    expect(pa[2000]).toBeCloseTo(10 * 2 ** (1 / 1.5), 0);
  });

  it('lists every invalid option', () => {
    expect(
      checkDftOptions({ ...base, url: '', deviceId: 'd', capacity: 0, timeFactor: 0, crashRate: 0.8, hangRate: 0.5, functionName: 'nope' }),
    ).toEqual([
      expect.stringContaining('unknown benchmark function "nope"'),
      'capacity must be a positive integer, got 0',
      'timeFactor must be positive, got 0',
      'crashRate + hangRate + nonConvergedRate must not exceed 1',
    ]);
  });
});

describe('DFT backend over MQTT', () => {
  let h: DeviceHarness;
  async function backend(opts: Partial<DftBackendOptions> = {}): Promise<DftBackend> {
    const deviceId = h.nextId();
    return h.track(deviceId, await startDftBackend({ ...base, url: h.url, deviceId, resendIntervalMs: 200, ...opts }));
  }

  beforeEach(async () => {
    h = await DeviceHarness.start('dft');
  });
  afterEach(async () => {
    await h.close();
  });

  it('never runs more than capacity calculations at once, and reports Hartmann6 energies', async () => {
    const b = await backend({ capacity: 2, heartbeatIntervalS: 0.1 });
    for (let i = 0; i < 6; i++) await h.service.sendRun(b.device.deviceId, `c${i}`, x);
    await waitFor(() => b.device.stats.acksReceived === 6, 'six energies', 20_000);
    expect(b.stats).toMatchObject({ peakRunning: 2, started: 6, converged: 6, running: 0 });
    expect(Math.max(...h.service.heartbeatsOf(b.device.deviceId).map((hb) => hb.value.running))).toBeLessThanOrEqual(2);
    expect(h.service.eventsOf('c0', 'result')[0]).toMatchObject({
      values: { energy: hartmann6.evaluate(x) },
      metadata: { function: 'hartmann6' },
    });
    const online = h.service.availabilityOf(b.device.deviceId).find((a) => a.value.status === 'online');
    expect(online?.value).toMatchObject({ kind: 'dft-backend', capacity: 2, capabilities: { objectives: ['energy'] } });
  });

  it('reports crashes as device failures and non-converged SCF as experiment failures, as drawn', async () => {
    const opts = { crashRate: 0.3, nonConvergedRate: 0.3 };
    const b = await backend(opts);
    const ids = Array.from({ length: 8 }, (_, i) => `f${i}`);
    for (const id of ids) await h.service.sendRun(b.device.deviceId, id, x);
    await waitFor(() => b.device.stats.acksReceived === ids.length, 'eight reports', 20_000);
    for (const id of ids) {
      const fate = drawDft({ ...base, ...opts, url: '', deviceId: '' }, { experimentId: id, attempt: 1 }).fate;
      const final = h.service.events.find(
        (e) => e.event.experimentId === id && (e.event.type === 'result' || e.event.type === 'failed'),
      )?.event;
      if (fate === 'converged') expect(final).toMatchObject({ type: 'result' });
      if (fate === 'crash') expect(final).toMatchObject({ type: 'failed', scope: 'device', reason: expect.stringContaining('crashed') });
      if (fate === 'not-converged')
        expect(final).toMatchObject({ type: 'failed', scope: 'experiment', reason: 'SCF did not converge in 200 cycles' });
    }
    expect(b.stats.crash + b.stats['not-converged']).toBeGreaterThan(0);
  });

  it('a hang silences the backend: heartbeats stop and the calculation is never answered', async () => {
    // Accepting at once: the service saw the device take the run before it hung.
    const b = await backend({ hangRate: 1, heartbeatIntervalS: 0.1, acceptanceDelayMs: 0 });
    await waitFor(() => h.service.heartbeatsOf(b.device.deviceId).length >= 2, 'heartbeats');
    await h.service.sendRun(b.device.deviceId, 'stuck', x);
    await waitFor(() => b.hung, 'the hang');
    await waitFor(
      () => Date.now() - (h.service.heartbeatsOf(b.device.deviceId).at(-1)?.at ?? 0) > 300,
      'three silent heartbeat intervals',
      5000,
    );
    expect(h.service.eventsOf('stuck').map((e) => e.type)).toEqual(['accepted']);
    expect(b.device.connected).toBe(true);
    expect(b.stats.hang).toBe(1);
  });
});
