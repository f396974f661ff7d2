import { DeviceClient, type DeviceClientOptions, type RunContext, type RunOutcome } from '#device-sdk';
import type { RunCommand } from '#protocol';
import { checkParams, getBenchmark, type BenchmarkFunction } from '../functions.js';
import { benchmarkCapabilities } from '../sim-rig-core.js';
import { experimentRng, sleep } from '../sim-device.js';

/** Heavy-tailed wall times of a calculation, in seconds (before timeFactor). */
export type RunTimeModel =
  { distribution: 'lognormal'; medianS: number; sigma: number } | { distribution: 'pareto'; minS: number; alpha: number };

/** The connection options are the SDK's own. */
export interface DftBackendOptions extends Pick<
  DeviceClientOptions,
  'url' | 'deviceId' | 'heartbeatIntervalS' | 'outboxFile' | 'username' | 'password' | 'protocolVersion' | 'resendIntervalMs' | 'acceptanceDelayMs' | 'logger'
> {
  /** Default "dft-backend". */
  kind?: string;
  /** Calculations at once (the queue's slots); the rest wait in the device's queue. */
  capacity: number;
  /** Energy surface: a benchmark name (default hartmann6), minimised. */
  functionName?: string;
  /** Name of the reported value. Default "energy". */
  objective?: string;
  runTime: RunTimeModel;
  /** Multiplies every run time (e.g. 0.001 in tests). */
  timeFactor: number;
  /** Probability a calculation crashes part-way (device-scope failure). */
  crashRate: number;
  /** Probability the backend hangs part-way: it goes silent (no heartbeats, no answers) until stopped. */
  hangRate: number;
  /** Probability the SCF does not converge (experiment-scope failure, after the full run time). */
  nonConvergedRate: number;
  /** Gaussian noise sd on the energy. Default 0. */
  noise?: number;
  seed: number;
}

export type DftFate = 'converged' | 'crash' | 'hang' | 'not-converged';

export interface DftDraw {
  fate: DftFate;
  /** Wall time of the whole calculation, after timeFactor. */
  runTimeMs: number;
  /** Where in the run a crash or hang happens, in [0.1, 0.9]. */
  at: number;
  /** Standard normal for the energy noise. */
  z: number;
}

export interface DftBackend {
  readonly device: DeviceClient;
  readonly benchmark: BenchmarkFunction;
  /** Calculations running now, the most at once so far, and what became of those that ended. */
  readonly stats: { running: number; peakRunning: number; started: number } & Record<DftFate, number>;
  readonly hung: boolean;
  stop(): Promise<void>;
}

const MAX_SCF_CYCLES = 200;

/** Every problem with the options. */
export function checkDftOptions(o: DftBackendOptions): string[] {
  const errors: string[] = [];
  const rate = (name: string, v: number) => {
    if (!(v >= 0 && v <= 1)) errors.push(`${name} must be in [0, 1], got ${v}`);
  };
  try {
    getBenchmark(o.functionName ?? 'hartmann6');
  } catch (err) {
    errors.push((err as Error).message);
  }
  if (!Number.isInteger(o.capacity) || o.capacity < 1) errors.push(`capacity must be a positive integer, got ${o.capacity}`);
  if (!(o.timeFactor > 0)) errors.push(`timeFactor must be positive, got ${o.timeFactor}`);
  rate('crashRate', o.crashRate);
  rate('hangRate', o.hangRate);
  rate('nonConvergedRate', o.nonConvergedRate);
  if (!(o.crashRate + o.hangRate + o.nonConvergedRate <= 1)) errors.push('crashRate + hangRate + nonConvergedRate must not exceed 1');
  if (o.runTime.distribution === 'lognormal' && !(o.runTime.medianS > 0 && o.runTime.sigma >= 0))
    errors.push('lognormal run time needs medianS > 0 and sigma >= 0');
  if (o.runTime.distribution === 'pareto' && !(o.runTime.minS > 0 && o.runTime.alpha > 0))
    errors.push('pareto run time needs minS > 0 and alpha > 0');
  if (!(Number.isFinite(o.noise ?? 0) && (o.noise ?? 0) >= 0)) errors.push(`noise must be >= 0, got ${o.noise}`);
  if (!Number.isInteger(o.seed)) errors.push(`seed must be an integer, got ${o.seed}`);
  return errors;
}

/**
 * The random draws of one calculation attempt: its fate, wall time (log-normal
 * or Pareto, times timeFactor), where a crash or hang strikes, and the noise.
 * Depends only on the seed, the experiment id and the attempt.
 */
export function drawDft(o: DftBackendOptions, command: Pick<RunCommand, 'experimentId' | 'attempt'>): DftDraw {
  const rng = experimentRng(o.seed, command);
  const u = rng.next();
  const fate: DftFate =
    u < o.crashRate
      ? 'crash'
      : u < o.crashRate + o.hangRate
        ? 'hang'
        : u < o.crashRate + o.hangRate + o.nonConvergedRate
          ? 'not-converged'
          : 'converged';
  const m = o.runTime;
  const seconds =
    m.distribution === 'lognormal' ? m.medianS * Math.exp(m.sigma * rng.normal()) : m.minS * (1 - rng.next()) ** (-1 / m.alpha);
  return { fate, runTimeMs: seconds * 1000 * o.timeFactor, at: 0.1 + 0.8 * rng.next(), z: rng.normal() };
}

/**
 * A simulated DFT backend: a queue of `capacity` slots, heavy-tailed run
 * times, energies from a benchmark function, and the ways real clusters fail —
 * crashes (device scope: retry elsewhere), hangs (the process goes silent:
 * heartbeats stop and nothing is ever answered, so only the service's
 * liveness check notices) and non-converged SCF (experiment scope).
 */
export async function startDftBackend(options: DftBackendOptions): Promise<DftBackend> {
  const errors = checkDftOptions(options);
  if (errors.length > 0) throw new Error(`invalid DFT backend options: ${errors.join('; ')}`);
  const benchmark = getBenchmark(options.functionName ?? 'hartmann6');
  const objective = options.objective ?? 'energy';
  const stats = { running: 0, peakRunning: 0, started: 0, converged: 0, crash: 0, hang: 0, 'not-converged': 0 };
  let hung = false;
  const device: DeviceClient = new DeviceClient({
    url: options.url,
    deviceId: options.deviceId,
    kind: options.kind ?? 'dft-backend',
    capacity: options.capacity,
    capabilities: benchmarkCapabilities(benchmark, objective),
    heartbeatIntervalS: options.heartbeatIntervalS,
    username: options.username,
    password: options.password,
    protocolVersion: options.protocolVersion,
    resendIntervalMs: options.resendIntervalMs,
    acceptanceDelayMs: options.acceptanceDelayMs,
    outboxFile: options.outboxFile,
    logger: options.logger,
    run: async (command, ctx) => {
      stats.running++;
      stats.started++;
      stats.peakRunning = Math.max(stats.peakRunning, stats.running);
      try {
        return await calculate(command, ctx);
      } finally {
        stats.running--;
      }
    },
  });

  async function calculate(command: RunCommand, ctx: RunContext): Promise<RunOutcome> {
    const check = checkParams(benchmark, command.params);
    if (!check.ok) return { failed: { scope: 'experiment', reason: `invalid geometry: ${check.reason}` } };
    const draw = drawDft(options, command);
    const seconds = (draw.runTimeMs / 1000 / options.timeFactor).toFixed(1);
    switch (draw.fate) {
      case 'crash':
        await sleep(draw.runTimeMs * draw.at, ctx.signal);
        stats.crash++;
        return {
          failed: {
            scope: 'device',
            reason: `calculation crashed after ${(Number(seconds) * draw.at).toFixed(1)} s (simulated node failure)`,
          },
        };
      case 'hang':
        await sleep(draw.runTimeMs * draw.at, ctx.signal);
        stats.hang++;
        hung = true;
        device.freeze();
        return new Promise<never>((_, reject) =>
          ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason as Error), { once: true }),
        );
      case 'not-converged':
        await sleep(draw.runTimeMs, ctx.signal);
        stats['not-converged']++;
        return { failed: { scope: 'experiment', reason: `SCF did not converge in ${MAX_SCF_CYCLES} cycles` } };
      case 'converged': {
        await sleep(draw.runTimeMs / 2, ctx.signal);
        ctx.progress(0.5, 'SCF half way');
        await sleep(draw.runTimeMs / 2, ctx.signal);
        stats.converged++;
        const energy = benchmark.evaluate(check.x);
        const cycles = 10 + Math.floor(40 * draw.at);
        return {
          values: { [objective]: energy + (options.noise ?? 0) * draw.z },
          metadata: { function: benchmark.name, scf_cycles: cycles, wall_time_s: Number(seconds) },
        };
      }
    }
  }

  await device.start();
  return {
    device,
    benchmark,
    stats,
    get hung() {
      return hung;
    },
    stop: () => device.stop(),
  };
}
