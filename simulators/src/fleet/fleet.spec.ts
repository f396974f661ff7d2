import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { DeviceHarness, waitFor } from '#device-sdk/testing';
import { parseFleetArgs, parseFleetSpec } from './fleet-config.js';
import { startFleet } from './fleet.js';

describe('fleet configuration', () => {
  it('turns the command line into a one-group spec with defaults', () => {
    const args = parseFleetArgs(
      '--url mqtt://b:1883 --count 4 --kind branin --noise 0.1 --device-failure-rate 0.05 --seed 7'.split(' '),
      {},
    );
    expect(args).toEqual({
      kind: 'spec',
      input: { url: 'mqtt://b:1883', seed: 7, devices: [{ kind: 'branin', count: 4, noise: 0.1, deviceFailureRate: 0.05 }] },
    });
    if (args.kind !== 'spec') throw new Error('spec expected');
    expect(parseFleetSpec(args.input).devices[0]).toMatchObject({ kind: 'branin', count: 4, capacity: 1, failureRate: 0, latencyMs: 0 });
    expect(parseFleetArgs(['--file', 'f.json'], {})).toEqual({ kind: 'file', file: 'f.json' });
    expect(parseFleetArgs(['--count', 'x'], {})).toEqual({
      kind: 'error',
      errors: ['--count must be a number, got "x"', '--kind (or --file) is required'],
    });
  });

  it('names every problem of a fleet file', () => {
    let message = '';
    try {
      parseFleetSpec({
        devices: [
          { kind: 'sphere' },
          { kind: 'dft', crashRate: 0.7, hangRate: 0.5 },
          { kind: 'branin' },
          { kind: 'ocm', idPrefix: 'branin' },
        ],
      });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain(
      'devices.0.kind: unknown simulator kind "sphere": use dft, direct-arylation, suzuki, ocm, oer, hplc, or a benchmark',
    );
    expect(message).toContain('devices.1: crashRate + hangRate + nonConvergedRate must not exceed 1');
    expect(message).toContain('device id "branin-1" is used twice');
  });
});

describe('fleet over MQTT', () => {
  let h: DeviceHarness;
  beforeEach(async () => {
    h = await DeviceHarness.start('fleet');
  });
  afterEach(async () => {
    await h.close();
  });

  it('starts benchmark, emulator and DFT devices in one process, each answering, and stops them all', async () => {
    const spec = parseFleetSpec({
      url: h.url,
      devices: [
        { kind: 'branin', count: 2, idPrefix: `${h.prefix}b`, noise: 0.01 },
        { kind: 'oer', idPrefix: `${h.prefix}oer` },
        { kind: 'dft', idPrefix: `${h.prefix}dft`, capacity: 2, timeFactor: 0.0005 },
      ],
    });
    const fleet = await startFleet(spec);
    for (const m of fleet.members) h.track(m.deviceId, m);
    expect(fleet.members.map((m) => [m.deviceId.slice(h.prefix.length), m.simulator])).toEqual([
      ['b-1', 'branin'],
      ['b-2', 'branin'],
      ['oer-1', 'oer'],
      ['dft-1', 'dft'],
    ]);
    const [b1, b2, oer, dft] = fleet.members.map((m) => m.deviceId);
    await h.service.sendRun(b1, 'fb1', { x1: 0, x2: 0 });
    await h.service.sendRun(b2, 'fb2', { x1: 0, x2: 0 });
    await h.service.sendRun(oer, 'foer', { Ni: 0.6, Fe: 0.2, Mn: 0.1, Ce: 0.1 });
    await h.service.sendRun(dft, 'fdft', { x1: 0.5, x2: 0.5, x3: 0.5, x4: 0.5, x5: 0.5, x6: 0.5 });
    await waitFor(() => ['fb1', 'fb2', 'foer', 'fdft'].every((id) => h.service.eventsOf(id, 'result').length > 0), 'four results', 20_000);
    expect(h.service.eventsOf('foer', 'result')[0]).toMatchObject({ values: { overpotential: 0.340246 } });
    // Seeds differ per device: the same noisy experiment gives different values on the two Branin rigs.
    const y = (id: string) => {
      const e = h.service.eventsOf(id, 'result')[0];
      return e?.type === 'result' ? e.values.y : undefined;
    };
    expect(y('fb1')).not.toBe(y('fb2'));
    await fleet.stop();
    await waitFor(
      () => fleet.members.every((m) => h.service.availabilityOf(m.deviceId).some((a) => a.value.status === 'offline')),
      'all offline',
    );
  });

  const built = existsSync('dist/simulators/src/fleet/main.js');
  (built ? it : it.skip)('the fleet command starts N devices and stops them cleanly on SIGTERM (built dist/)', async () => {
    const child = spawn(
      process.execPath,
      [
        'dist/simulators/src/fleet/main.js',
        '--url',
        h.url,
        '--count',
        '3',
        '--kind',
        'branin',
        '--id-prefix',
        `${h.prefix}cli`,
        '--heartbeat-s',
        '0.2',
      ],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const ids = [1, 2, 3].map((n) => `${h.prefix}cli-${n}`);
    for (const id of ids) h.track(id, { stop: async () => undefined });
    try {
      await waitFor(
        () => ids.every((id) => h.service.availabilityOf(id).some((a) => a.value.status === 'online')),
        `three devices online (stderr: ${stderr})`,
        20_000,
      );
      await waitFor(() => ids.every((id) => h.service.heartbeatsOf(id).length > 0), 'heartbeats from all three');
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      await waitFor(() => ids.every((id) => h.service.availabilityOf(id).some((a) => a.value.status === 'offline')), 'all offline');
      expect(stderr).toContain('3 device(s) up');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
