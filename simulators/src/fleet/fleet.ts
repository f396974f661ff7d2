import { join } from 'node:path';
import type { DeviceClient, DeviceLogger } from '#device-sdk';
import { EMULATORS, startEmulatorDevice } from '../datasets/emulator-device.js';
import type { Emulator } from '../datasets/emulator.js';
import { startDftBackend } from '../dft/dft-backend.js';
import { startSimRig } from '../sim-rig-core.js';
import { deviceIdOf, simulatorType, type FleetGroup, type FleetSpec } from './fleet-config.js';

export interface FleetMember {
  deviceId: string;
  /** The group's simulator kind (branin, ocm, dft, …). */
  simulator: string;
  device: DeviceClient;
  stop(): Promise<void>;
}

export interface Fleet {
  readonly members: readonly FleetMember[];
  /** Stops every device (offline published, outboxes flushed), in parallel. Idempotent. */
  stop(): Promise<void>;
}

export interface FleetOptions {
  /** Logger per device (prefix added by the caller). */
  logger?: (deviceId: string) => DeviceLogger;
  username?: string;
  password?: string;
  /** Where the dataset CSVs are; default datasetsDir(). */
  datasetsDir?: string;
}

/**
 * Starts every device of a fleet spec in this process. Dataset emulators are
 * loaded once per kind and shared by the devices of that kind. Device n of
 * the fleet (counting across groups) gets seed `spec.seed + n`, so devices
 * differ and a fleet is reproducible. If one device fails to start, those
 * already started are stopped and the error names the device.
 */
export async function startFleet(spec: FleetSpec, options: FleetOptions = {}): Promise<Fleet> {
  const members: FleetMember[] = [];
  const emulators = new Map<string, Emulator>();
  let index = 0;
  let stopped: Promise<void> | undefined;
  const stopAll = () => (stopped ??= Promise.all(members.map((m) => m.stop())).then(() => undefined));
  try {
    for (const group of spec.devices) {
      for (let n = 0; n < group.count; n++) {
        const deviceId = deviceIdOf(group, n);
        const seed = spec.seed + index++;
        try {
          members.push(await startMember(spec, group, deviceId, seed, emulators, options));
        } catch (err) {
          throw new Error(`device ${deviceId} (${group.kind}) did not start: ${(err as Error).message}`, { cause: err });
        }
      }
    }
  } catch (err) {
    await stopAll();
    throw err;
  }
  return { members, stop: stopAll };
}

async function startMember(
  spec: FleetSpec,
  g: FleetGroup,
  deviceId: string,
  seed: number,
  emulators: Map<string, Emulator>,
  o: FleetOptions,
): Promise<FleetMember> {
  const common = {
    url: spec.url,
    deviceId,
    seed,
    capacity: g.capacity,
    heartbeatIntervalS: g.heartbeatIntervalS,
    outboxFile: spec.outboxDir ? join(spec.outboxDir, `${deviceId}.outbox.json`) : undefined,
    username: o.username,
    password: o.password,
    logger: o.logger?.(deviceId),
  };
  const shared = {
    noise: g.noise,
    latencyMs: g.latencyMs,
    jitterMs: g.jitterMs,
    failureRate: g.failureRate,
    deviceFailureRate: g.deviceFailureRate,
  };
  const type = simulatorType(g.kind);
  switch (type) {
    case 'benchmark': {
      const rig = await startSimRig({ ...common, ...shared, functionName: g.kind, kind: g.deviceKind, objective: g.objective ?? 'y' });
      return { deviceId, simulator: g.kind, device: rig.device, stop: () => rig.stop() };
    }
    case 'emulator': {
      let emulator = emulators.get(g.kind);
      if (!emulator) {
        emulator = EMULATORS[g.kind](o.datasetsDir);
        emulators.set(g.kind, emulator);
      }
      const dev = await startEmulatorDevice(emulator, { ...common, ...shared, kind: g.deviceKind });
      return { deviceId, simulator: g.kind, device: dev.device, stop: () => dev.stop() };
    }
    case 'dft': {
      const dft = await startDftBackend({
        ...common,
        kind: g.deviceKind,
        functionName: g.function,
        objective: g.objective,
        noise: g.noise,
        runTime: { distribution: 'lognormal', medianS: g.medianRunS, sigma: g.runSigma },
        timeFactor: g.timeFactor,
        crashRate: g.crashRate,
        hangRate: g.hangRate,
        nonConvergedRate: g.nonConvergedRate,
      });
      return { deviceId, simulator: g.kind, device: dft.device, stop: () => dft.stop() };
    }
    default:
      return assertNever(type);
  }
}

function assertNever(x: never): never {
  throw new Error(`unhandled simulator type ${String(x)}`);
}
