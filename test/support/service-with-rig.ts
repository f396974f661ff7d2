import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll } from '@jest/globals';
import { testMqttUrl } from './database.js';
import { EventMonitor } from './event-monitor.js';
import { startRigProcess, type Child } from './processes.js';
import { startTestService, type TestService } from './service.js';

/** A running service, an event monitor and a simulated rig in its own process, of a device kind of their own. */
export interface ServiceWithRig {
  readonly kind: string;
  readonly svc: TestService;
  readonly rig: Child;
  readonly monitor: EventMonitor;
}

/**
 * Starts them before the suite's tests and stops them after (call at the top of a `describe`).
 * `rig` holds the simulated rig's options (`--function branin --noise 0.05 ...` as keys and values).
 */
export function serviceWithRig(prefix: string, rig: Record<string, string | number>): ServiceWithRig {
  const kind = `${prefix}-${randomUUID().slice(0, 8)}`;
  const ctx = { kind } as { kind: string; svc: TestService; rig: Child; monitor: EventMonitor };
  beforeAll(async () => {
    ctx.svc = await startTestService();
    ctx.monitor = await EventMonitor.start(testMqttUrl());
    ctx.rig = startRigProcess({ url: testMqttUrl(), id: `rig-${kind}`, kind, ...rig });
  });
  afterAll(async () => {
    await ctx.rig?.stop();
    await ctx.monitor?.close();
    await ctx.svc?.stop();
  });
  return ctx;
}
