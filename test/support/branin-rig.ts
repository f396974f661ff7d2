import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll } from '@jest/globals';
import { startSimRig, type SimRig } from '#simulators';
import { testMqttUrl } from './database.js';
import { startTestService, type TestService } from './service.js';

/** What a test's in-process Branin rig varies; it never fails, holds 4 experiments and reports "y" on the test broker. */
export interface BraninRigOptions {
  kind: string;
  deviceId?: string;
  noise: number;
  latencyMs: number;
  jitterMs: number;
  seed: number;
}

/** A simulated rig in this process that measures Branin, for end-to-end tests of the loop. */
export function startBraninRig(o: BraninRigOptions): Promise<SimRig> {
  return startSimRig({
    url: testMqttUrl(),
    deviceId: o.deviceId ?? `rig-${o.kind}`,
    kind: o.kind,
    functionName: 'branin',
    noise: o.noise,
    latencyMs: o.latencyMs,
    jitterMs: o.jitterMs,
    failureRate: 0,
    deviceFailureRate: 0,
    capacity: 4,
    objective: 'y',
    seed: o.seed,
  });
}

/** A running service and an in-process Branin rig of a device kind of their own. */
export interface ServiceWithBraninRig {
  readonly kind: string;
  readonly svc: TestService;
  readonly rig: SimRig;
}

/** Starts them before the suite's tests and stops them after (call at the top of a `describe`). */
export function serviceWithBraninRig(prefix: string, rig: Omit<BraninRigOptions, 'kind' | 'deviceId'>): ServiceWithBraninRig {
  const kind = `${prefix}-${randomUUID().slice(0, 8)}`;
  const ctx = { kind } as { kind: string; svc: TestService; rig: SimRig };
  beforeAll(async () => {
    ctx.svc = await startTestService();
    ctx.rig = await startBraninRig({ kind, ...rig });
  });
  afterAll(async () => {
    await ctx.rig?.stop();
    await ctx.svc?.stop();
  });
  return ctx;
}
