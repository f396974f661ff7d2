import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { testMqttUrl } from './support/database.js';
import { until } from './support/poll.js';
import { Child } from './support/processes.js';
import { startTestService, type TestService } from './support/service.js';

/**
 * devices/sdk/README.md shows a complete device in about ten lines: the same
 * lines as devices/sdk/examples/minimal-device.ts (which tsc type-checks), and
 * built, that device runs a campaign to its budget.
 */
const ROOT = resolve(import.meta.dirname, '..');
const EXAMPLE = 'devices/sdk/examples/minimal-device.ts';

describe('the device SDK README: a complete device', () => {
  let svc: TestService;
  let device: Child;
  const deviceId = `heater-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    svc = await startTestService();
    device = new Child(EXAMPLE.replace(/^/, 'dist/').replace(/\.ts$/, '.js'), [], {
      PATH: process.env.PATH,
      MQTT_URL: testMqttUrl(),
      DEVICE_ID: deviceId,
    });
  });
  afterAll(async () => {
    await device?.stop();
    await svc?.stop();
  });

  it('shows the example file, line for line, in about ten lines', () => {
    const readme = readFileSync(resolve(ROOT, 'devices/sdk/README.md'), 'utf8');
    const source = readFileSync(resolve(ROOT, EXAMPLE), 'utf8');
    const block = readme.match(/## A complete device[\s\S]*?```ts\n([\s\S]*?)```/)![1];
    expect(block).toBe(source);
    expect(source.trim().split('\n').length).toBeLessThanOrEqual(16);
  });

  it('runs a campaign to its budget, measuring within its declared limits', async () => {
    await until(async () => (await svc.api<{ status: string }>('GET', `/api/devices/${deviceId}`)).body?.status === 'online', {
      timeoutMs: 20_000,
      what: 'the example device to come online',
    });
    const created = await svc.api<{ id: string }>('POST', '/api/campaigns', {
      name: 'heater',
      parameters: [{ name: 'temperature', type: 'continuous', low: 20, high: 120 }],
      objective: { name: 'yield', direction: 'maximize', low: 0, high: 100 },
      budget: 6,
      batchSize: 3,
      approval: 'auto',
      deviceKind: 'heater',
      seed: 2,
    });
    expect(created.status).toBe(201);
    const rows = await until(
      async () => {
        const r: { status: string; device_id: string; objective: number }[] = await svc.dataSource.query(
          `SELECT status, device_id, objective FROM experiments WHERE campaign_id = $1`,
          [created.body.id],
        );
        return r.length === 6 && r.every((e) => e.status === 'completed') ? r : undefined;
      },
      { timeoutMs: 60_000, what: 'six completed experiments' },
    );
    for (const r of rows) {
      expect(r.device_id).toBe(deviceId);
      expect(r.objective).toBeGreaterThan(0);
      expect(r.objective).toBeLessThanOrEqual(100);
    }
  });
});
