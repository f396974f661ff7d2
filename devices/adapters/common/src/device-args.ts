import { readFileSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { capabilitiesSchema, type Capabilities } from '#protocol';
import { capabilitiesProblems, type DeviceLogLevel } from '#device-sdk';

export const COMMON_USAGE = `  --url URL                broker URL                               (env MQTT_URL, default mqtt://127.0.0.1:1883)
  --id ID                  device id                                (env DEVICE_ID)
  --kind KIND              device kind campaigns select             (env DEVICE_KIND)
  --capacity N             experiments at once                      (default 1)
  --capabilities FILE      JSON: {"parameters": {"t": {"low": 20, "high": 120}}, "objectives": ["yield"]}
  --heartbeat-s S          seconds between heartbeats               (default 10)
  --outbox-file PATH       persist unacknowledged results and acknowledged ids
  --protocol-version 4|5   MQTT 3.1.1 or 5                          (env MQTT_PROTOCOL_VERSION, default 4)
  --log-level LEVEL        debug, info, warn, error                 (default info)
  username/password: env MQTT_USERNAME, MQTT_PASSWORD`;

export interface CommonDeviceArgs {
  url: string;
  deviceId: string;
  kind: string;
  capacity: number;
  capabilities?: Capabilities;
  heartbeatIntervalS?: number;
  outboxFile?: string;
  protocolVersion: 4 | 5;
  username?: string;
  password?: string;
  logLevel: DeviceLogLevel;
}

type Options = NonNullable<ParseArgsConfig['options']>;
type Values = Record<string, string | boolean | Array<string | boolean> | undefined>;

export type ParsedDeviceArgs =
  { kind: 'help' } | { kind: 'error'; errors: string[] } | { kind: 'run'; common: CommonDeviceArgs; values: Values; errors: string[] };

const COMMON_OPTIONS: Options = {
  url: { type: 'string' },
  id: { type: 'string' },
  kind: { type: 'string' },
  capacity: { type: 'string' },
  capabilities: { type: 'string' },
  'heartbeat-s': { type: 'string' },
  'outbox-file': { type: 'string' },
  'protocol-version': { type: 'string' },
  'log-level': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
};

/**
 * Parses the flags every adapter shares plus its own (`extra`). Never throws:
 * problems are collected in `errors` (the adapter appends its own) so a user
 * sees them all at once. `readText` reads the capabilities file (injected for tests).
 */
export function parseDeviceArgs(
  argv: string[],
  env: NodeJS.ProcessEnv,
  extra: Options,
  readText: (path: string) => string = (p) => readFileSync(p, 'utf8'),
): ParsedDeviceArgs {
  let values: Values;
  try {
    ({ values } = parseArgs({ args: argv, strict: true, allowPositionals: false, options: { ...COMMON_OPTIONS, ...extra } }));
  } catch (err) {
    return { kind: 'error', errors: [(err as Error).message] };
  }
  if (values.help) return { kind: 'help' };
  const errors: string[] = [];
  const str = (flag: string, envName?: string): string | undefined => {
    const v = values[flag];
    return typeof v === 'string' ? v : envName ? env[envName] : undefined;
  };
  const deviceId = str('id', 'DEVICE_ID');
  if (!deviceId) errors.push('--id (or DEVICE_ID) is required');
  const kind = str('kind', 'DEVICE_KIND');
  if (!kind) errors.push('--kind (or DEVICE_KIND) is required');
  const capacity = positiveNumber(str('capacity') ?? '1', '--capacity', errors, true);
  const heartbeatRaw = str('heartbeat-s');
  const heartbeatIntervalS = heartbeatRaw === undefined ? undefined : positiveNumber(heartbeatRaw, '--heartbeat-s', errors, false);
  const protocol = str('protocol-version', 'MQTT_PROTOCOL_VERSION') ?? '4';
  if (protocol !== '4' && protocol !== '5') errors.push(`--protocol-version must be 4 or 5, got "${protocol}"`);
  const logLevel = str('log-level') ?? 'info';
  if (logLevel !== 'debug' && logLevel !== 'info' && logLevel !== 'warn' && logLevel !== 'error')
    errors.push(`--log-level must be debug, info, warn or error, got "${logLevel}"`);
  const capsFile = str('capabilities');
  const capabilities = capsFile === undefined ? undefined : readCapabilities(capsFile, readText, errors);
  const common: CommonDeviceArgs = {
    url: str('url', 'MQTT_URL') ?? 'mqtt://127.0.0.1:1883',
    deviceId: deviceId ?? '',
    kind: kind ?? '',
    capacity,
    capabilities,
    heartbeatIntervalS,
    outboxFile: str('outbox-file'),
    protocolVersion: protocol === '5' ? 5 : 4,
    username: env.MQTT_USERNAME,
    password: env.MQTT_PASSWORD,
    logLevel: logLevel as DeviceLogLevel,
  };
  return { kind: 'run', common, values, errors };
}

/** Parses a number flag; `integer` also requires a whole number. Records a problem and returns NaN when invalid. */
export function positiveNumber(raw: string, flag: string, errors: string[], integer: boolean): number {
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    errors.push(`${flag} must be a positive ${integer ? 'integer' : 'number'}, got "${raw}"`);
    return Number.NaN;
  }
  return n;
}

function readCapabilities(file: string, readText: (path: string) => string, errors: string[]): Capabilities | undefined {
  let json: unknown;
  try {
    json = JSON.parse(readText(file));
  } catch (err) {
    errors.push(`--capabilities ${file}: ${(err as Error).message}`);
    return undefined;
  }
  const problems = capabilitiesProblems(json);
  if (problems.length > 0) {
    errors.push(...problems.map((p) => `--capabilities ${file}: ${p}`));
    return undefined;
  }
  return capabilitiesSchema.parse(json);
}
