import { startEmbeddedBroker, type EmbeddedBroker } from '#broker';
import { FakeService, waitFor } from '#device-sdk/testing';
import { branin } from './functions.js';
import { parseSimRigArgs } from './sim-rig-args.js';
import { startSimRig, type SimRig, type SimRigOptions } from './sim-rig-core.js';

const externalUrl = process.env.MQTT_URL;

describe('simulated rig', () => {
  let broker: EmbeddedBroker | undefined;
  let url: string;
  let service: FakeService;
  const rigs: SimRig[] = [];
  let seq = 0;
  const prefix = `sim-${process.pid}-`;

  async function rig(opts: Partial<SimRigOptions> = {}): Promise<SimRig> {
    const r = await startSimRig({
      url,
      deviceId: `${prefix}${Date.now().toString(36)}-${++seq}`,
      functionName: 'branin',
      noise: 0.01,
      latencyMs: 20,
      jitterMs: 10,
      failureRate: 0,
      deviceFailureRate: 0,
      capacity: 1,
      objective: 'y',
      seed: 1,
      resendIntervalMs: 200,
      ...opts,
    });
    rigs.push(r);
    return r;
  }

  beforeEach(async () => {
    if (externalUrl) url = externalUrl;
    else {
      broker = await startEmbeddedBroker();
      url = broker.url;
    }
    service = await FakeService.connect(url, { devicePrefix: prefix });
  });

  afterEach(async () => {
    const stopping = rigs.splice(0);
    await Promise.all(stopping.map((r) => r.stop()));
    if (externalUrl) await Promise.all(stopping.map((r) => service.clearRetained(r.device.deviceId)));
    await service.close();
    await broker?.close();
    broker = undefined;
  });

  it('measures Branin with small noise and announces its kind', async () => {
    const r = await rig();
    const id = r.device.deviceId;
    await waitFor(() => service.availabilityOf(id).some((a) => a.value.status === 'online'), 'online');
    expect(service.availabilityOf(id)[0].value).toMatchObject({ kind: 'branin-simulator', capacity: 1 });
    const points = [
      { x1: Math.PI, x2: 2.275 },
      { x1: 0, x2: 0 },
      { x1: 7, x2: 11 },
    ];
    for (const [i, p] of points.entries()) await service.sendRun(id, `b-${i}`, p);
    await waitFor(() => r.device.stats.acksReceived === 3, 'three acknowledged results');
    for (const [i, p] of points.entries()) {
      const result = service.eventsOf(`b-${i}`, 'result')[0];
      if (result?.type !== 'result') throw new Error(`no result for b-${i}`);
      const y = result.values.y as number;
      expect(Math.abs(y - branin.evaluate(p))).toBeLessThan(0.05); // 5 sd
      expect(y).not.toBe(branin.evaluate(p)); // noise was added
      expect(result.metadata).toEqual({ function: 'branin', noiseless: branin.evaluate(p) });
    }
    expect(service.eventsOf('b-0', 'progress')).toHaveLength(1);
  });

  it('fails a missing parameter (scope experiment) and rejects an out-of-box or unknown one (declared limits)', async () => {
    const r = await rig({ latencyMs: 0, jitterMs: 0 });
    const online = () => service.availabilityOf(r.device.deviceId).find((a) => a.value.status === 'online');
    await waitFor(() => online() !== undefined, 'online');
    expect(online()?.value.capabilities).toEqual({
      parameters: { x1: { low: -5, high: 10 }, x2: { low: 0, high: 15 } },
      objectives: ['y'],
      description: 'branin benchmark (minimum 0.397887357729739)',
    });
    await service.sendRun(r.device.deviceId, 'bad-1', { x1: 1 });
    await service.sendRun(r.device.deviceId, 'bad-2', { x1: 1, x2: 99 });
    await service.sendRun(r.device.deviceId, 'bad-3', { x1: 1, x2: 1, x3: 0 });
    await waitFor(
      () =>
        service.eventsOf('bad-1', 'failed').length === 1 && ['bad-2', 'bad-3'].every((id) => service.eventsOf(id, 'rejected').length === 1),
      'a failure and two rejections',
    );
    expect(service.eventsOf('bad-1', 'failed')[0]).toMatchObject({
      scope: 'experiment',
      reason: expect.stringContaining('missing parameter "x2"'),
    });
    expect(service.eventsOf('bad-2', 'rejected')[0]).toMatchObject({ reason: 'parameter "x2" = 99 is above the safe limit 15' });
    expect(service.eventsOf('bad-3', 'rejected')[0]).toMatchObject({ reason: 'unknown parameter "x3" (this device takes x1, x2)' });
  });

  it('fails at the configured rates with the configured scope', async () => {
    const always = await rig({ failureRate: 1, latencyMs: 0, jitterMs: 0 });
    const broken = await rig({ deviceFailureRate: 1, latencyMs: 0, jitterMs: 0 });
    await service.sendRun(always.device.deviceId, 'f-exp', { x1: 0, x2: 0 });
    await service.sendRun(broken.device.deviceId, 'f-dev', { x1: 0, x2: 0 });
    await waitFor(() => always.device.stats.acksReceived === 1 && broken.device.stats.acksReceived === 1, 'two failures');
    expect(service.eventsOf('f-exp', 'failed')[0]).toMatchObject({ scope: 'experiment' });
    expect(service.eventsOf('f-dev', 'failed')[0]).toMatchObject({ scope: 'device' });
  });

  it('is reproducible: the same seed, experiment and attempt give the same measurement on any rig', async () => {
    const opts = { noise: 1, latencyMs: 0, jitterMs: 0 };
    const [a, b, c] = [await rig({ ...opts, seed: 7 }), await rig({ ...opts, seed: 7 }), await rig({ ...opts, seed: 8 })];
    for (const r of [a, b, c]) await service.sendRun(r.device.deviceId, 'same', { x1: 1, x2: 1 });
    await service.sendRun(a.device.deviceId, 'other', { x1: 1, x2: 1 });
    await waitFor(
      () => a.device.stats.acksReceived === 2 && b.device.stats.acksReceived === 1 && c.device.stats.acksReceived === 1,
      'four results',
    );
    const y = (deviceId: string, experimentId: string): number | null | undefined => {
      const e = service.events.find(
        (r) => r.deviceId === deviceId && r.event.experimentId === experimentId && r.event.type === 'result',
      )?.event;
      return e?.type === 'result' ? e.values.y : undefined;
    };
    const ya = y(a.device.deviceId, 'same');
    expect(typeof ya).toBe('number');
    expect(y(b.device.deviceId, 'same')).toBe(ya);
    expect(y(c.device.deviceId, 'same')).not.toBe(ya);
    expect(y(a.device.deviceId, 'other')).not.toBe(ya);
  });

  it('refuses invalid options with every problem listed', async () => {
    await expect(
      startSimRig({
        url,
        deviceId: 'x',
        functionName: 'nope',
        noise: -1,
        latencyMs: 0,
        jitterMs: 0,
        failureRate: 2,
        deviceFailureRate: 0,
        capacity: 0,
        objective: 'y',
        seed: 1,
      }),
    ).rejects.toThrow(/unknown benchmark function "nope".*noise must be.*failure-rate must be in \[0, 1\].*capacity must be/);
  });
});

describe('parseSimRigArgs', () => {
  it('parses the documented command line', () => {
    const args = parseSimRigArgs(
      '--url mqtt://127.0.0.1:1883 --id rig-1 --function branin --noise 0.01 --latency-ms 50 --jitter-ms 20 --failure-rate 0 --device-failure-rate 0 --capacity 1 --objective y --seed 1 --outbox-file /tmp/o.json'.split(
        ' ',
      ),
      {},
    );
    expect(args).toEqual({
      kind: 'run',
      logLevel: 'info',
      options: {
        url: 'mqtt://127.0.0.1:1883',
        deviceId: 'rig-1',
        functionName: 'branin',
        noise: 0.01,
        latencyMs: 50,
        jitterMs: 20,
        failureRate: 0,
        deviceFailureRate: 0,
        capacity: 1,
        objective: 'y',
        seed: 1,
        outboxFile: '/tmp/o.json',
        username: undefined,
        password: undefined,
        protocolVersion: 4,
      },
    });
  });

  it('takes defaults from the environment, flags winning', () => {
    const args = parseSimRigArgs(['--noise', '0.5'], {
      MQTT_URL: 'mqtt://broker:1883',
      SIM_DEVICE_ID: 'rig-9',
      SIM_NOISE: '2',
      SIM_FUNCTION: 'hartmann6',
      MQTT_USERNAME: 'u',
    });
    expect(args.kind === 'run' && args.options).toMatchObject({
      url: 'mqtt://broker:1883',
      deviceId: 'rig-9',
      noise: 0.5,
      functionName: 'hartmann6',
      username: 'u',
    });
    const hb = parseSimRigArgs(['--id', 'r', '--heartbeat-s', '0.5'], {});
    expect(hb.kind === 'run' && hb.options.heartbeatIntervalS).toBe(0.5);
    const resend = parseSimRigArgs(['--id', 'r', '--resend-ms', '250'], {});
    expect(resend.kind === 'run' && resend.options.resendIntervalMs).toBe(250);
    expect(parseSimRigArgs(['--id', 'r'], { SIM_RESEND_MS: 'soon' })).toEqual({
      kind: 'error',
      errors: ['--resend-ms (or SIM_RESEND_MS) must be a number, got "soon"'],
    });
  });

  it('reports every bad flag at once', () => {
    expect(parseSimRigArgs(['--noise', 'abc', '--protocol-version', '3'], {})).toEqual({
      kind: 'error',
      errors: [
        '--id (or SIM_DEVICE_ID) is required',
        '--protocol-version must be 4 or 5, got "3"',
        '--noise (or SIM_NOISE) must be a number, got "abc"',
      ],
    });
    expect(parseSimRigArgs(['--bogus'], {}).kind).toBe('error');
  });
});
