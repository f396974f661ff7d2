import { startSimRig, type SimRig } from '../../simulators/src/sim-rig-core.js';
import { testMqttUrl } from './database.js';

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
