import type { DeviceClient } from '#device-sdk';
import type { Capabilities } from '#protocol';
import { checkParams, getBenchmark, getMultiBenchmark, type BenchmarkFunction, type MultiBenchmarkFunction } from './functions.js';
import { checkSimDeviceOptions, startSimDevice, type SimDeviceOptions } from './sim-device.js';

/** A benchmark-function rig: a simulated device (see SimDeviceOptions) that evaluates a named function. */
export interface SimRigOptions extends Omit<SimDeviceOptions, 'kind' | 'capabilities'> {
  /** Benchmark name, see getBenchmark (branin, hartmann6, ackley5, ...). */
  functionName: string;
  /** Device kind announced to the service (campaigns select devices by kind); default `<function>-simulator`. */
  kind?: string;
  /** Name of the reported value (a several-outcome benchmark reports its own names). */
  objective: string;
}

export interface SimRig {
  readonly device: DeviceClient;
  readonly benchmark: BenchmarkFunction | MultiBenchmarkFunction;
  stop(): Promise<void>;
}

/** Every problem with the options, so a CLI user sees them all at once. */
export function checkSimRigOptions(o: SimRigOptions): string[] {
  const errors: string[] = [];
  try {
    if (!getMultiBenchmark(o.functionName)) getBenchmark(o.functionName);
  } catch (err) {
    errors.push(`${(err as Error).message}; or a several-outcome benchmark: flowreactor`);
  }
  errors.push(...checkSimDeviceOptions(o));
  if (!/^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/.test(o.objective))
    errors.push(`objective must be a name of at most 64 characters, got "${o.objective}"`);
  return errors;
}

/** The safe limits a benchmark rig declares: its box, and the one objective. */
export function benchmarkCapabilities(fn: BenchmarkFunction, objective: string): Capabilities {
  return {
    parameters: Object.fromEntries(fn.parameters.map((p) => [p.name, { low: p.low, high: p.high }])),
    objectives: [objective],
    description: `${fn.name} benchmark (minimum ${fn.optimum})`,
  };
}

/**
 * A simulated rig: evaluates a benchmark function on each run command's
 * params, after a latency, with seeded Gaussian noise and random failures
 * (see startSimDevice). It declares the function's box as its safe limits, so
 * an out-of-box command is rejected by the SDK; a missing parameter fails the
 * experiment.
 */
export async function startSimRig(options: SimRigOptions): Promise<SimRig> {
  const errors = checkSimRigOptions(options);
  if (errors.length > 0) throw new Error(`invalid simulated rig options: ${errors.join('; ')}`);
  const multi = getMultiBenchmark(options.functionName);
  if (multi) return startMultiRig(options, multi);
  const benchmark = getBenchmark(options.functionName);
  const sim = await startSimDevice(
    { ...options, kind: options.kind ?? `${benchmark.name}-simulator`, capabilities: benchmarkCapabilities(benchmark, options.objective) },
    (params) => {
      const check = checkParams(benchmark, params);
      if (!check.ok) return { failed: { scope: 'experiment', reason: check.reason } };
      const noiseless = benchmark.evaluate(check.x);
      return { values: { [options.objective]: noiseless }, metadata: { function: benchmark.name, noiseless } };
    },
  );
  return { device: sim.device, benchmark, stop: () => sim.stop() };
}

/** The safe limits a several-outcome benchmark rig declares: its box, and every value it reports. */
export function multiBenchmarkCapabilities(fn: MultiBenchmarkFunction): Capabilities {
  return {
    parameters: Object.fromEntries(fn.parameters.map((p) => [p.name, { low: p.low, high: p.high }])),
    objectives: fn.outcomes.map((o) => o.name),
    description: `${fn.name} benchmark (${fn.outcomes.map((o) => (o.limit ? `${o.name} ${o.limit.op} ${o.limit.value}` : `${o.direction} ${o.name}`)).join(', ')})`,
  };
}

/** A rig of a several-outcome benchmark: every value with its own noise, clipped to the value's physical bounds. */
async function startMultiRig(options: SimRigOptions, benchmark: MultiBenchmarkFunction): Promise<SimRig> {
  const bounds = Object.fromEntries(benchmark.outcomes.map((o) => [o.name, { low: o.low, high: o.high }]));
  const sim = await startSimDevice(
    { ...options, kind: options.kind ?? `${benchmark.name}-simulator`, capabilities: multiBenchmarkCapabilities(benchmark) },
    (params) => {
      const problems = benchmark.parameters.flatMap((p) => {
        const v = params[p.name];
        if (typeof v !== 'number' || !Number.isFinite(v)) return [`parameter "${p.name}" must be a number, got ${JSON.stringify(v)}`];
        return v < p.low || v > p.high ? [`parameter "${p.name}" = ${v} is outside [${p.low}, ${p.high}]`] : [];
      });
      if (problems.length > 0) return { failed: { scope: 'experiment', reason: problems.join('; ') } };
      const noiseless = benchmark.evaluate(params as Record<string, number>);
      const metadata = Object.fromEntries(Object.entries(noiseless).map(([k, v]) => [`noiseless_${k}`, v]));
      return { values: noiseless, bounds, metadata: { function: benchmark.name, ...metadata } };
    },
  );
  return { device: sim.device, benchmark, stop: () => sim.stop() };
}
