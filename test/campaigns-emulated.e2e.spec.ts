import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { cliRunHandler } from '../devices/adapters/cli/src/cli-runner.js';
import { DeviceClient } from '#device-sdk';
import { directArylationCampaignParameters, directArylationEmulator, startDftBackend, startEmulatorDevice } from '#simulators';
import { testMqttUrl } from './support/database.js';
import { until } from './support/poll.js';
import { startTestService, type TestService } from './support/service.js';

/**
 * Whole campaigns against the simulated backends that behave like labs: a
 * reaction pool answered from measured data on a fleet where half the rigs
 * fail at random, a DFT queue that crashes and hangs, and a rig that is a
 * shell script behind the command-line adapter.
 */
interface Row {
  id: string;
  status: string;
  attempt: number;
  params: Record<string, string | number>;
  objective: number | null;
  failure_scope: string | null;
  failure_reason: string | null;
  device_id: string | null;
}

describe('campaigns on simulated lab backends', () => {
  const stops: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const stop of stops.reverse()) await stop();
    stops.length = 0;
  });

  async function runToCompletion(svc: TestService, definition: Record<string, unknown>, timeoutMs: number): Promise<Row[]> {
    const created = await svc.api<{ id: string }>('POST', '/api/campaigns', definition);
    expect(created.status).toBe(201);
    const id = created.body.id;
    await until(async () => (await svc.api<{ status: string }>('GET', `/api/campaigns/${id}`)).body.status === 'completed', {
      timeoutMs,
      what: `campaign "${String(definition.name)}" to complete`,
    });
    return svc.dataSource.query(`SELECT * FROM experiments WHERE campaign_id = $1 ORDER BY index`, [id]);
  }

  async function redispatches(svc: TestService): Promise<Set<string>> {
    const rows: { experiment_id: string }[] = await svc.dataSource.query(
      `SELECT experiment_id FROM audit_log WHERE action = 'experiment.redispatch'`,
    );
    return new Set(rows.map((r) => r.experiment_id));
  }

  it('runs a direct-arylation campaign to its budget on 4 rigs, one broken and one failing at random', async () => {
    const svc = await startTestService();
    stops.push(() => svc.stop());
    const kind = `arylation-${randomUUID().slice(0, 8)}`;
    const emulator = directArylationEmulator();
    for (let i = 0; i < 4; i++) {
      const rig = await startEmulatorDevice(emulator, {
        url: testMqttUrl(),
        deviceId: `${kind}-${i}`,
        kind,
        noise: 0,
        latencyMs: 10,
        jitterMs: 20,
        failureRate: 0,
        // Rig 0 fails every run, so the re-dispatch path is always exercised (a failure draw
        // is seeded by the experiment's random id: two rigs at 0.35 once drew no failure at all).
        deviceFailureRate: i === 0 ? 1 : i === 1 ? 0.35 : 0,
        capacity: 2,
        seed: i + 1,
      });
      stops.push(() => rig.stop());
    }
    const budget = 24;
    const rows = await runToCompletion(
      svc,
      {
        name: 'direct arylation yield',
        parameters: directArylationCampaignParameters(),
        objective: { name: 'yield', direction: 'maximize', low: 0, high: 100 },
        budget,
        batchSize: 4,
        approval: 'auto',
        strategy: { kind: 'default' },
        deviceKind: kind,
        seed: 4,
        maxAttempts: 5,
      },
      120_000,
    );

    expect(rows).toHaveLength(budget);
    const redispatched = await redispatches(svc);
    for (const r of rows) {
      // Each experiment has one outcome; a yield is the measured one for that exact combination.
      expect(r.status).toBe('completed');
      const answer = emulator.evaluate(r.params);
      expect(answer.ok && answer.values.yield).toBeCloseTo(r.objective!, 9);
      // Run more than once only after a device failure, and the audit log says so.
      if (r.attempt > 1) expect(redispatched.has(r.id)).toBe(true);
    }
    expect(redispatched.size).toBeGreaterThan(0); // the broken rig did fail
    // Nothing completed on the broken rig: what it took went to another.
    expect(rows.filter((r) => r.device_id === `${kind}-0`)).toEqual([]);
    expect(new Set(rows.map((r) => JSON.stringify(r.params))).size).toBe(budget);
  });

  it('runs a 50-experiment campaign on a DFT queue that crashes and hangs, losing nothing', async () => {
    const svc = await startTestService({ deviceSilentAfterMs: 0 });
    stops.push(() => svc.stop());
    const kind = `dft-${randomUUID().slice(0, 8)}`;
    const backends = [];
    for (let i = 0; i < 6; i++) {
      const b = await startDftBackend({
        url: testMqttUrl(),
        deviceId: `${kind}-${i}`,
        kind,
        capacity: 2,
        runTime: { distribution: 'lognormal', medianS: 10, sigma: 1 },
        timeFactor: 0.005,
        crashRate: 0.1,
        hangRate: 0.02,
        // The draws are seeded by the experiments' random ids: at 0.1, about 1 run in 300 would see no
        // non-converged calculation among its ~55 attempts (0.9^55) and miss the experiment-scope failure
        // this test checks; at 0.2 it is 1 in 200,000 (0.8^55).
        nonConvergedRate: 0.2,
        seed: 10 + i,
        heartbeatIntervalS: 0.2,
      });
      backends.push(b);
      stops.push(() => b.stop());
    }
    // One more backend hangs on its first calculation for certain: it goes silent and its work must move.
    const hanging = await startDftBackend({
      url: testMqttUrl(),
      deviceId: `${kind}-hangs`,
      kind,
      capacity: 2,
      runTime: { distribution: 'lognormal', medianS: 10, sigma: 1 },
      timeFactor: 0.005,
      crashRate: 0,
      hangRate: 1,
      nonConvergedRate: 0,
      seed: 99,
      heartbeatIntervalS: 0.2,
    });
    stops.push(() => hanging.stop());
    const budget = 50;
    const rows = await runToCompletion(
      svc,
      {
        name: 'DFT screen',
        parameters: Array.from({ length: 6 }, (_, k) => ({ name: `x${k + 1}`, type: 'continuous', low: 0, high: 1 })),
        objective: { name: 'energy', direction: 'minimize' },
        budget,
        batchSize: 10,
        approval: 'auto',
        strategy: { kind: 'sobol' },
        deviceKind: kind,
        seed: 2,
        maxAttempts: 5,
        experimentTimeoutS: 5,
      },
      180_000,
    );

    expect(rows).toHaveLength(budget);
    const redispatched = await redispatches(svc);
    for (const r of rows) {
      expect(['completed', 'failed']).toContain(r.status);
      if (r.status === 'completed') expect(Number.isFinite(r.objective)).toBe(true);
      else expect(r.failure_reason).toBeTruthy();
      if (r.attempt > 1) expect(redispatched.has(r.id)).toBe(true);
    }
    const fates = backends.reduce((s, b) => ({ crash: s.crash + b.stats.crash, notConverged: s.notConverged + b.stats['not-converged'] }), {
      crash: 0,
      notConverged: 0,
    });
    // The queue did misbehave, and the service made up for it.
    expect(fates.crash + fates.notConverged).toBeGreaterThan(0);
    expect(hanging.hung).toBe(true);
    expect(redispatched.size).toBeGreaterThan(0);
    expect(rows.filter((r) => r.status === 'failed' && r.failure_scope === 'experiment').length).toBeGreaterThan(0);
    expect(backends.every((b) => b.stats.peakRunning <= 2)).toBe(true);
  });

  it('runs a campaign in which every experiment is a shell script behind the command-line adapter', async () => {
    const svc = await startTestService();
    stops.push(() => svc.stop());
    const kind = `script-${randomUUID().slice(0, 8)}`;
    const device = new DeviceClient({
      url: testMqttUrl(),
      deviceId: `${kind}-1`,
      kind,
      capacity: 2,
      capabilities: { parameters: { temperature: { low: 20, high: 120 }, time: { low: 1, high: 30 } }, objectives: ['yield'] },
      run: cliRunHandler({ command: `bash ${resolve(import.meta.dirname, 'fixtures/paraboloid-rig.sh')}`, timeoutMs: 20_000 }),
    });
    await device.start();
    stops.push(() => device.stop());
    const budget = 12;
    const rows = await runToCompletion(
      svc,
      {
        name: 'scripted reactor',
        parameters: [
          { name: 'temperature', type: 'continuous', low: 20, high: 120 },
          { name: 'time', type: 'continuous', low: 1, high: 30 },
        ],
        objective: { name: 'yield', direction: 'maximize' },
        budget,
        batchSize: 4,
        approval: 'auto',
        strategy: { kind: 'sobol' },
        deviceKind: kind,
        seed: 6,
      },
      90_000,
    );

    expect(rows).toHaveLength(budget);
    for (const r of rows) {
      const t = r.params.temperature as number;
      const time = r.params.time as number;
      if (t > 95) {
        // The script exited non-zero: an experiment failure with its stderr as the reason.
        expect(r).toMatchObject({ status: 'failed', failure_scope: 'experiment' });
        expect(r.failure_reason).toMatch(/decomposition at/);
      } else {
        expect(r.status).toBe('completed');
        expect(r.objective).toBeCloseTo(100 - ((t - 70) / 10) ** 2 - ((time - 12) / 4) ** 2, 9);
      }
    }
    expect(rows.some((r) => r.status === 'failed')).toBe(true);
  });
});
