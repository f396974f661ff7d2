import { DeviceClient, type DeviceLogger, type RunContext, type RunOutcome } from '#device-sdk';
import type { Capabilities, RunCommand } from '#protocol';
import { Rng } from '#random';

/** Settings every simulated device shares: connection, timing, noise and failure rates. */
export interface SimDeviceOptions {
  url: string;
  deviceId: string;
  /** Device kind announced to the service (campaigns select devices by kind). */
  kind: string;
  /** Standard deviation of the Gaussian noise added to each measured value (in that value's unit). */
  noise: number;
  /** Time an experiment takes, plus a uniform jitter in [0, jitterMs). */
  latencyMs: number;
  jitterMs: number;
  /** Probability that an experiment fails with scope "experiment" (the condition failed). */
  failureRate: number;
  /** Probability that an experiment fails with scope "device" (the rig failed). */
  deviceFailureRate: number;
  capacity: number;
  seed: number;
  capabilities?: Capabilities;
  heartbeatIntervalS?: number;
  outboxFile?: string;
  username?: string;
  password?: string;
  protocolVersion?: 4 | 5;
  resendIntervalMs?: number;
  logger?: DeviceLogger;
}

/** What a simulated measurement gives: values (and their physical bounds, for clipping the noise), or a failure. */
export type SimEvaluation =
  | {
      values: Record<string, number>;
      metadata?: Record<string, string | number | boolean>;
      bounds?: Record<string, { low?: number; high?: number }>;
    }
  | { failed: { scope: 'device' | 'experiment'; reason: string } };

export type SimEvaluator = (params: RunCommand['params']) => SimEvaluation;

export interface SimDevice {
  readonly device: DeviceClient;
  stop(): Promise<void>;
}

/** Every problem with the shared options, so a user sees them all at once. */
export function checkSimDeviceOptions(
  o: Pick<SimDeviceOptions, 'noise' | 'latencyMs' | 'jitterMs' | 'failureRate' | 'deviceFailureRate' | 'capacity' | 'seed'>,
): string[] {
  const errors: string[] = [];
  const rate = (name: string, v: number) => {
    if (!(v >= 0 && v <= 1)) errors.push(`${name} must be in [0, 1], got ${v}`);
  };
  const nonNegative = (name: string, v: number) => {
    if (!(Number.isFinite(v) && v >= 0)) errors.push(`${name} must be a number >= 0, got ${v}`);
  };
  nonNegative('noise', o.noise);
  nonNegative('latency-ms', o.latencyMs);
  nonNegative('jitter-ms', o.jitterMs);
  rate('failure-rate', o.failureRate);
  rate('device-failure-rate', o.deviceFailureRate);
  if (!(o.failureRate + o.deviceFailureRate <= 1)) errors.push('failure-rate + device-failure-rate must not exceed 1');
  if (!Number.isInteger(o.capacity) || o.capacity < 1) errors.push(`capacity must be a positive integer, got ${o.capacity}`);
  if (!Number.isInteger(o.seed)) errors.push(`seed must be an integer, got ${o.seed}`);
  return errors;
}

/**
 * Starts a simulated device around an evaluator: each run is evaluated (an
 * unanswerable condition fails at once, scope experiment), then takes its
 * latency, may fail at the configured rates, and otherwise reports the values
 * with seeded Gaussian noise, clipped to their bounds. The random draws of an
 * experiment depend only on the seed, the experiment id and the attempt, so a
 * run is reproducible whatever the arrival order.
 */
export async function startSimDevice(options: SimDeviceOptions, evaluate: SimEvaluator): Promise<SimDevice> {
  const errors = checkSimDeviceOptions(options);
  if (errors.length > 0) throw new Error(`invalid simulated device options: ${errors.join('; ')}`);
  const device = new DeviceClient({
    url: options.url,
    deviceId: options.deviceId,
    kind: options.kind,
    capacity: options.capacity,
    capabilities: options.capabilities,
    heartbeatIntervalS: options.heartbeatIntervalS,
    username: options.username,
    password: options.password,
    protocolVersion: options.protocolVersion,
    resendIntervalMs: options.resendIntervalMs,
    outboxFile: options.outboxFile,
    logger: options.logger,
    run: (command, ctx) => simulate(options, evaluate, command, ctx),
  });
  await device.start();
  return { device, stop: () => device.stop() };
}

async function simulate(o: SimDeviceOptions, evaluate: SimEvaluator, command: RunCommand, ctx: RunContext): Promise<RunOutcome> {
  const rng = experimentRng(o.seed, command);
  const evaluation = evaluate(command.params);
  if ('failed' in evaluation) return evaluation;

  const delay = o.latencyMs + o.jitterMs * rng.next();
  if (delay > 0) {
    await sleep(delay / 2, ctx.signal);
    ctx.progress(0.5);
    await sleep(delay / 2, ctx.signal);
  }

  const u = rng.next();
  if (u < o.deviceFailureRate) return { failed: { scope: 'device', reason: `simulated device failure (rate ${o.deviceFailureRate})` } };
  if (u < o.deviceFailureRate + o.failureRate)
    return { failed: { scope: 'experiment', reason: `simulated experiment failure (rate ${o.failureRate})` } };

  const values: Record<string, number> = {};
  for (const [name, v] of Object.entries(evaluation.values)) {
    const b = evaluation.bounds?.[name];
    values[name] = clip(v + o.noise * rng.normal(), b?.low, b?.high);
  }
  return { values, ...(evaluation.metadata ? { metadata: evaluation.metadata } : {}) };
}

/** The random stream of one experiment attempt. */
export function experimentRng(seed: number, command: Pick<RunCommand, 'experimentId' | 'attempt'>): Rng {
  return new Rng((seed ^ hash32(`${command.experimentId}#${command.attempt}`)) >>> 0);
}

function clip(v: number, low: number | undefined, high: number | undefined): number {
  return Math.min(high ?? Number.POSITIVE_INFINITY, Math.max(low ?? Number.NEGATIVE_INFINITY, v));
}

/** Resolves after ms; rejects with the signal's reason when aborted. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason as Error);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** FNV-1a, 32 bits. */
export function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}
