import { encodeMessage, type Availability } from '#protocol';
import type { IClientOptions } from 'mqtt';
import type { DeviceClientOptions, DeviceClientStats } from './device-client.types.js';
import { capabilitiesProblems } from './limits.js';

export const DEFAULT_HEARTBEAT_INTERVAL_S = 10;

export interface ResolvedDeviceOptions {
  capacity: number;
  resendIntervalMs: number;
  heartbeatIntervalS: number;
  acceptanceDelayMs: number;
}

/** How long a run's acceptance is held back by default: an instant run's result carries it. */
export const DEFAULT_ACCEPTANCE_DELAY_MS = 100;

/** Defaults and checks of a device's settings; throws naming every invalid one. */
export function resolveDeviceOptions(options: DeviceClientOptions): ResolvedDeviceOptions {
  const problems: string[] = [];
  const capacity = options.capacity ?? 1;
  if (!Number.isInteger(capacity) || capacity < 1) problems.push(`capacity must be a positive integer, got ${options.capacity}`);
  const resendIntervalMs = options.resendIntervalMs ?? 1000;
  if (!(resendIntervalMs > 0)) problems.push(`resendIntervalMs must be positive, got ${options.resendIntervalMs}`);
  const heartbeatIntervalS = options.heartbeatIntervalS ?? DEFAULT_HEARTBEAT_INTERVAL_S;
  if (!(heartbeatIntervalS >= 0.1 && heartbeatIntervalS <= 3600))
    problems.push(`heartbeatIntervalS must be within [0.1, 3600], got ${options.heartbeatIntervalS}`);
  const acceptanceDelayMs = options.acceptanceDelayMs ?? DEFAULT_ACCEPTANCE_DELAY_MS;
  if (!(Number.isFinite(acceptanceDelayMs) && acceptanceDelayMs >= 0 && acceptanceDelayMs <= 60_000))
    problems.push(`acceptanceDelayMs must be within [0, 60000], got ${options.acceptanceDelayMs}`);
  if (options.capabilities !== undefined) {
    for (const p of capabilitiesProblems(options.capabilities)) problems.push(`capabilities: ${p}`);
  }
  if (problems.length > 0) throw new Error(`invalid options of device ${options.deviceId}: ${problems.join('; ')}`);
  return { capacity, resendIntervalMs, heartbeatIntervalS, acceptanceDelayMs };
}

/**
 * MQTT connection options of a device: a persistent session (clean: false, so
 * QoS 1 commands queued while it was away are delivered), and a retained Last
 * Will of `offline` on its availability topic.
 */
export function deviceClientOptions(opts: DeviceClientOptions, availabilityTopic: string): IClientOptions {
  const v5 = opts.protocolVersion === 5;
  const will: Availability = { v: 1, status: 'offline' };
  return {
    clientId: `hakken-device-${opts.deviceId}`,
    clean: false,
    protocolVersion: v5 ? 5 : 4,
    reconnectPeriod: opts.reconnectPeriodMs ?? 500,
    connectTimeout: 10_000,
    username: opts.username,
    password: opts.password,
    will: { topic: availabilityTopic, payload: Buffer.from(encodeMessage('availability', will)), qos: 1, retain: true },
    ...(v5 ? { properties: { sessionExpiryInterval: opts.sessionExpirySeconds ?? 86_400 } } : {}),
  };
}

export function assertNever(x: never): never {
  throw new Error(`unhandled command ${JSON.stringify(x)}`);
}

export function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

export function emptyStats(): DeviceClientStats {
  return {
    runsStarted: 0,
    runsFinished: 0,
    duplicatesIgnored: 0,
    resultsResent: 0,
    acksReceived: 0,
    conflicts: 0,
    acksIgnored: 0,
    malformedIgnored: 0,
    connects: 0,
    rejected: 0,
    aborted: 0,
    acceptancesSent: 0,
    heartbeatsSent: 0,
  };
}
