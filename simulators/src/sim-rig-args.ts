import { parseArgs } from 'node:util';
import type { SimRigOptions } from './sim-rig-core.js';

export const SIM_RIG_USAGE = `usage: sim-rig --url mqtt://host:1883 --id rig-1 --function branin [options]

  --url URL                    broker URL                         (env MQTT_URL, default mqtt://127.0.0.1:1883)
  --id ID                      device id                          (env SIM_DEVICE_ID)
  --function NAME              benchmark: branin, hartmann6, ackleyD, rosenbrockD, levyD, or flowreactor
                               (yield, cost and impurity at once) (env SIM_FUNCTION, default branin)
  --kind KIND                  device kind campaigns select       (env SIM_KIND, default <function>-simulator)
  --noise SD                   Gaussian noise sd                  (env SIM_NOISE, default 0)
  --latency-ms MS              time per experiment                (env SIM_LATENCY_MS, default 0)
  --jitter-ms MS               extra uniform latency              (env SIM_JITTER_MS, default 0)
  --failure-rate P             experiment-scope failures          (env SIM_FAILURE_RATE, default 0)
  --device-failure-rate P      device-scope failures              (env SIM_DEVICE_FAILURE_RATE, default 0)
  --capacity N                 experiments at once                (env SIM_CAPACITY, default 1)
  --objective NAME             name of the reported value         (env SIM_OBJECTIVE, default y)
  --seed N                     random seed                        (env SIM_SEED, default 1)
  --heartbeat-s S              seconds between heartbeats         (env SIM_HEARTBEAT_S, default 10)
  --resend-ms MS               resend an unacknowledged result    (env SIM_RESEND_MS, default 1000)
  --outbox-file PATH           persist unacknowledged results     (env SIM_OUTBOX_FILE)
  --protocol-version 4|5       MQTT 3.1.1 or 5                    (env MQTT_PROTOCOL_VERSION, default 4)
  --log-level LEVEL            debug, info, warn, error           (env SIM_LOG_LEVEL, default info)
  username/password: env MQTT_USERNAME, MQTT_PASSWORD`;

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export type SimRigArgs =
  { kind: 'help' } | { kind: 'run'; options: Omit<SimRigOptions, 'logger'>; logLevel: LogLevel } | { kind: 'error'; errors: string[] };

/** Parses the command line; env vars supply defaults. Never throws: errors are returned, all at once. */
export function parseSimRigArgs(argv: string[], env: NodeJS.ProcessEnv): SimRigArgs {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        url: { type: 'string' },
        id: { type: 'string' },
        function: { type: 'string' },
        kind: { type: 'string' },
        noise: { type: 'string' },
        'latency-ms': { type: 'string' },
        'jitter-ms': { type: 'string' },
        'failure-rate': { type: 'string' },
        'device-failure-rate': { type: 'string' },
        capacity: { type: 'string' },
        objective: { type: 'string' },
        seed: { type: 'string' },
        'heartbeat-s': { type: 'string' },
        'resend-ms': { type: 'string' },
        'outbox-file': { type: 'string' },
        'protocol-version': { type: 'string' },
        'log-level': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    return { kind: 'error', errors: [(err as Error).message] };
  }
  if (values.help) return { kind: 'help' };

  const errors: string[] = [];
  const str = (flag: string, envName: string, fallback?: string): string | undefined => {
    const v = values[flag];
    return typeof v === 'string' ? v : (env[envName] ?? fallback);
  };
  const num = (flag: string, envName: string, fallback: number): number => {
    const raw = str(flag, envName);
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n)) errors.push(`--${flag} (or ${envName}) must be a number, got "${raw}"`);
    return n;
  };

  const deviceId = str('id', 'SIM_DEVICE_ID');
  if (!deviceId) errors.push('--id (or SIM_DEVICE_ID) is required');
  const protocol = str('protocol-version', 'MQTT_PROTOCOL_VERSION', '4');
  if (protocol !== '4' && protocol !== '5') errors.push(`--protocol-version must be 4 or 5, got "${protocol}"`);
  const logLevel = str('log-level', 'SIM_LOG_LEVEL', 'info');
  if (logLevel !== 'debug' && logLevel !== 'info' && logLevel !== 'warn' && logLevel !== 'error') {
    errors.push(`--log-level must be debug, info, warn or error, got "${logLevel}"`);
  }
  const options: Omit<SimRigOptions, 'logger'> = {
    url: str('url', 'MQTT_URL', 'mqtt://127.0.0.1:1883') as string,
    deviceId: deviceId ?? '',
    functionName: str('function', 'SIM_FUNCTION', 'branin') as string,
    kind: str('kind', 'SIM_KIND'),
    noise: num('noise', 'SIM_NOISE', 0),
    latencyMs: num('latency-ms', 'SIM_LATENCY_MS', 0),
    jitterMs: num('jitter-ms', 'SIM_JITTER_MS', 0),
    failureRate: num('failure-rate', 'SIM_FAILURE_RATE', 0),
    deviceFailureRate: num('device-failure-rate', 'SIM_DEVICE_FAILURE_RATE', 0),
    capacity: num('capacity', 'SIM_CAPACITY', 1),
    objective: str('objective', 'SIM_OBJECTIVE', 'y') as string,
    seed: num('seed', 'SIM_SEED', 1),
    heartbeatIntervalS: str('heartbeat-s', 'SIM_HEARTBEAT_S') === undefined ? undefined : num('heartbeat-s', 'SIM_HEARTBEAT_S', 10),
    resendIntervalMs: str('resend-ms', 'SIM_RESEND_MS') === undefined ? undefined : num('resend-ms', 'SIM_RESEND_MS', 1000),
    outboxFile: str('outbox-file', 'SIM_OUTBOX_FILE'),
    username: env.MQTT_USERNAME,
    password: env.MQTT_PASSWORD,
    protocolVersion: protocol === '5' ? 5 : 4,
  };
  if (errors.length > 0) return { kind: 'error', errors };
  return { kind: 'run', options, logLevel: logLevel as LogLevel };
}
