import { parseArgs } from 'node:util';
import { z } from 'zod';
import { getBenchmark, getMultiBenchmark } from '../functions.js';
import { EMULATORS } from '../datasets/emulator-device.js';

/**
 * One group of identical simulated devices. `kind` picks the simulator: a
 * benchmark function (branin, hartmann6, ackley5, …), a dataset emulator
 * (direct-arylation, suzuki, ocm, oer, hplc) or `dft` (the DFT backend).
 */
export const fleetGroupSchema = z
  .object({
    kind: z.string().min(1),
    count: z.number().int().min(1).max(1000).default(1),
    /** Device ids are `<idPrefix>-<n>`; default the kind. */
    idPrefix: z.string().min(1).max(48).optional(),
    /** Device kind announced to the service; default the simulator's. */
    deviceKind: z.string().min(1).max(64).optional(),
    noise: z.number().min(0).default(0),
    latencyMs: z.number().min(0).default(0),
    jitterMs: z.number().min(0).default(0),
    failureRate: z.number().min(0).max(1).default(0),
    deviceFailureRate: z.number().min(0).max(1).default(0),
    capacity: z.number().int().min(1).default(1),
    heartbeatIntervalS: z.number().min(0.1).max(3600).optional(),
    /** Benchmark objective name (benchmarks) / energy name (dft). */
    objective: z.string().min(1).max(64).optional(),
    /** dft only: energy surface (default hartmann6), run times and failure modes. */
    function: z.string().optional(),
    medianRunS: z.number().positive().default(60),
    runSigma: z.number().min(0).default(1),
    timeFactor: z.number().positive().default(1),
    crashRate: z.number().min(0).max(1).default(0),
    hangRate: z.number().min(0).max(1).default(0),
    nonConvergedRate: z.number().min(0).max(1).default(0),
  })
  .strict();

export const fleetSpecSchema = z
  .object({
    url: z.string().min(1).default('mqtt://127.0.0.1:1883'),
    seed: z.number().int().default(1),
    /** Directory of each device's outbox file (`<id>.outbox.json`); none by default. */
    outboxDir: z.string().optional(),
    devices: z.array(fleetGroupSchema).min(1, 'a fleet needs at least one device group'),
  })
  .strict();

export type FleetGroup = z.infer<typeof fleetGroupSchema>;
export type FleetSpec = z.infer<typeof fleetSpecSchema>;

export type SimulatorType = 'benchmark' | 'emulator' | 'dft';

/** What a group's kind names; throws listing the known kinds. */
export function simulatorType(kind: string): SimulatorType {
  if (kind === 'dft') return 'dft';
  if (kind in EMULATORS) return 'emulator';
  if (getMultiBenchmark(kind)) return 'benchmark';
  try {
    getBenchmark(kind);
    return 'benchmark';
  } catch (err) {
    throw new Error(
      `unknown simulator kind "${kind}": use dft, ${Object.keys(EMULATORS).join(', ')}, or a benchmark (${(err as Error).message.replace(/^unknown benchmark function "[^"]*": /, '')})`,
      { cause: err },
    );
  }
}

/** Validates a fleet spec (e.g. a parsed JSON file), naming every problem. */
export function parseFleetSpec(input: unknown): FleetSpec {
  const r = fleetSpecSchema.safeParse(input);
  const problems = r.success ? [] : r.error.issues.map((i) => `${i.path.join('.') || '(fleet)'}: ${i.message}`);
  if (r.success) {
    r.data.devices.forEach((g, i) => {
      try {
        simulatorType(g.kind);
      } catch (err) {
        problems.push(`devices.${i}.kind: ${(err as Error).message}`);
      }
      if (g.failureRate + g.deviceFailureRate > 1) problems.push(`devices.${i}: failureRate + deviceFailureRate must not exceed 1`);
      if (g.crashRate + g.hangRate + g.nonConvergedRate > 1)
        problems.push(`devices.${i}: crashRate + hangRate + nonConvergedRate must not exceed 1`);
    });
    const ids = r.data.devices.flatMap((g) => Array.from({ length: g.count }, (_, n) => deviceIdOf(g, n)));
    const dup = ids.find((id, i) => ids.indexOf(id) !== i);
    if (dup) problems.push(`device id "${dup}" is used twice: give the groups different idPrefix values`);
  }
  if (!r.success || problems.length > 0) throw new Error(`invalid fleet: ${problems.join('; ')}`);
  return r.data;
}

export function deviceIdOf(group: FleetGroup, n: number): string {
  return `${group.idPrefix ?? group.kind}-${n + 1}`;
}

export const FLEET_USAGE = `usage: fleet --url mqtt://host:1883 --kind branin --count 4 [options]
       fleet --file fleet.json

Starts simulated devices in one process; SIGTERM/SIGINT stops them all cleanly.
  --file PATH                JSON: {"url": ..., "seed": 1, "devices": [{"kind": "branin", "count": 2, ...}, ...]}
                             (group fields: the options below in camelCase, e.g. latencyMs, deviceFailureRate)
  --url URL                  broker                               (env MQTT_URL, default mqtt://127.0.0.1:1883)
  --kind KIND                branin, hartmann6, ackleyD, rosenbrockD, levyD, direct-arylation, suzuki, ocm, oer, hplc, dft
  --count N                  devices of that kind                 (default 1)
  --id-prefix P              ids are P-1 .. P-N                   (default the kind)
  --device-kind K            kind announced to the service        (default the simulator's)
  --noise SD  --latency-ms MS  --jitter-ms MS  --failure-rate P  --device-failure-rate P  --capacity N
  --heartbeat-s S  --seed N  --objective NAME  --outbox-dir DIR
  dft: --function NAME (hartmann6)  --median-run-s S (60)  --run-sigma S (1)  --time-factor F (1)
       --crash-rate P  --hang-rate P  --non-converged-rate P
  datasets: read from simulators/datasets in the repository, or $HAKKEN_DATASETS_DIR
  username/password: env MQTT_USERNAME, MQTT_PASSWORD`;

const NUMBER_FLAGS: Record<string, keyof FleetGroup> = {
  count: 'count',
  noise: 'noise',
  'latency-ms': 'latencyMs',
  'jitter-ms': 'jitterMs',
  'failure-rate': 'failureRate',
  'device-failure-rate': 'deviceFailureRate',
  capacity: 'capacity',
  'heartbeat-s': 'heartbeatIntervalS',
  'median-run-s': 'medianRunS',
  'run-sigma': 'runSigma',
  'time-factor': 'timeFactor',
  'crash-rate': 'crashRate',
  'hang-rate': 'hangRate',
  'non-converged-rate': 'nonConvergedRate',
};
const TEXT_FLAGS: Record<string, keyof FleetGroup> = {
  kind: 'kind',
  'id-prefix': 'idPrefix',
  'device-kind': 'deviceKind',
  objective: 'objective',
  function: 'function',
};

export type FleetArgs =
  { kind: 'help' } | { kind: 'file'; file: string } | { kind: 'spec'; input: unknown } | { kind: 'error'; errors: string[] };

/** Parses the command line into a spec input (validated later by parseFleetSpec) or a fleet file to read. */
export function parseFleetArgs(argv: string[], env: NodeJS.ProcessEnv): FleetArgs {
  let values: Record<string, string | boolean | undefined>;
  try {
    const options = Object.fromEntries(
      [...Object.keys(NUMBER_FLAGS), ...Object.keys(TEXT_FLAGS), 'url', 'seed', 'file', 'outbox-dir'].map((f) => [
        f,
        { type: 'string' as const },
      ]),
    );
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
    }));
  } catch (err) {
    return { kind: 'error', errors: [(err as Error).message] };
  }
  if (values.help) return { kind: 'help' };
  if (typeof values.file === 'string') return { kind: 'file', file: values.file };
  const errors: string[] = [];
  const group: Record<string, string | number> = {};
  for (const [flag, key] of Object.entries(NUMBER_FLAGS)) {
    const raw = values[flag];
    if (typeof raw !== 'string') continue;
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(n)) errors.push(`--${flag} must be a number, got "${raw}"`);
    else group[key] = n;
  }
  for (const [flag, key] of Object.entries(TEXT_FLAGS)) if (typeof values[flag] === 'string') group[key] = values[flag];
  if (group.kind === undefined) errors.push('--kind (or --file) is required');
  const seed = typeof values.seed === 'string' ? Number(values.seed) : 1;
  if (!Number.isInteger(seed)) errors.push(`--seed must be an integer, got "${String(values.seed)}"`);
  if (errors.length > 0) return { kind: 'error', errors };
  const url = typeof values.url === 'string' ? values.url : (env.MQTT_URL ?? 'mqtt://127.0.0.1:1883');
  return {
    kind: 'spec',
    input: { url, seed, ...(typeof values['outbox-dir'] === 'string' ? { outboxDir: values['outbox-dir'] } : {}), devices: [group] },
  };
}
