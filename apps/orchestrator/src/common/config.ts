import { availableParallelism, hostname } from 'node:os';
import { isRole, ROLES, type Role } from '../auth/roles.js';

/** One accepted bearer token and whom it stands for. */
export interface TokenEntry {
  token: string;
  role: Role;
  name: string;
}

/**
 * Service configuration, read once from the environment at start and injected
 * (token APP_CONFIG); no module reads process.env on its own.
 */
export interface AppConfig {
  /** PostgreSQL URL; absent: embedded PostgreSQL in dataDir. */
  databaseUrl?: string;
  /** At start, how long to wait for databaseUrl's server to accept connections, in s (0: fail at once). */
  databaseWaitS: number;
  /** MQTT broker URL; absent: an in-process broker on mqttPort. */
  mqttUrl?: string;
  mqttUsername?: string;
  mqttPassword?: string;
  /** At start, how long to wait for mqttUrl's broker to accept the connection, in s (0: fail at once). */
  mqttWaitS: number;
  /** MQTT protocol version to the broker: 4 (3.1.1) or 5. */
  mqttProtocolVersion: 4 | 5;
  /** Port of the embedded broker (0 = any free port). */
  mqttPort: number;
  /** Interface of the embedded broker; beyond loopback it needs mqttPasswordFile. */
  mqttBindHost: string;
  /** Mosquitto password file for the embedded broker (per-device users, deploy/mosquitto's rules); absent: anonymous, loopback only. */
  mqttPasswordFile?: string;
  /** HTTP port of the REST API (0 = any free port). */
  httpPort: number;
  httpHost: string;
  /** Folder for embedded PostgreSQL files. */
  dataDir: string;
  /** How often the loop looks for work, in ms (it also wakes on events). */
  loopIntervalMs: number;
  /** A dispatched command not yet accepted is re-sent after this many ms. */
  commandResendMs: number;
  /**
   * A device that declares no heartbeat interval is taken as offline after this
   * long without any message (one that declares one: after three intervals);
   * 0: never, only its Last Will takes it offline.
   */
  deviceSilentAfterMs: number;
  /**
   * Experiments stay on a device that announced offline (its Last Will, as a broker restart fires for
   * every device) this long before they go to another device: a device back online within it keeps
   * those it still holds (see Availability.holding).
   */
  deviceOfflineGraceMs: number;
  /** Identity of this replica (logs, audit, campaign leases); stable across restarts of one replica. */
  instanceId: string;
  /** A replica that has not renewed its leases for this long is taken as gone; its campaigns move. */
  leaseTtlMs: number;
  logLevel: 'error' | 'warn' | 'log' | 'debug';
  /** Largest REST request body accepted, in bytes (larger: 413). */
  httpBodyLimitBytes: number;
  /** Events per second each device may send, sustained (excess dropped at the MQTT edge); 0: no limit. */
  mqttDeviceEventRate: number;
  /** Events a device may send at once before the rate limit applies. */
  mqttDeviceEventBurst: number;
  /** Accepted bearer tokens (HAKKEN_TOKENS); none: one admin token is generated at start and logged. */
  tokens: TokenEntry[];
  /**
   * Worker threads that compute proposals (a GP fit takes up to seconds of CPU,
   * which on the main thread would stall MQTT results, HTTP and the console);
   * 0: on the main thread.
   */
  proposalWorkers: number;
}

export const APP_CONFIG = Symbol('APP_CONFIG');

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration: ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const problems: string[] = [];
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      problems.push(`${name} must be an integer in [${min}, ${max}] (got "${raw}")`);
      return fallback;
    }
    return n;
  };
  const url = (name: string, protocols: string[]): string | undefined => {
    const raw = env[name];
    if (!raw) return undefined;
    try {
      const u = new URL(raw);
      if (!protocols.includes(u.protocol)) problems.push(`${name} must use ${protocols.join(' or ')} (got ${u.protocol})`);
    } catch {
      problems.push(`${name} is not a URL`);
    }
    return raw;
  };
  const protocolVersion = int('MQTT_PROTOCOL_VERSION', 4, 4, 5);
  if (protocolVersion !== 4 && protocolVersion !== 5) problems.push('MQTT_PROTOCOL_VERSION must be 4 or 5');
  const level = env.LOG_LEVEL ?? 'log';
  if (!['error', 'warn', 'log', 'debug'].includes(level)) problems.push(`LOG_LEVEL must be error, warn, log or debug (got "${level}")`);
  const config: AppConfig = {
    databaseUrl: url('DATABASE_URL', ['postgres:', 'postgresql:']),
    databaseWaitS: int('DATABASE_WAIT_S', 60, 0, 86_400),
    mqttUrl: url('MQTT_URL', ['mqtt:', 'mqtts:', 'ws:', 'wss:', 'tcp:']),
    mqttUsername: env.MQTT_USERNAME || undefined,
    mqttPassword: env.MQTT_PASSWORD || undefined,
    mqttWaitS: int('MQTT_WAIT_S', 60, 0, 86_400),
    mqttProtocolVersion: protocolVersion as 4 | 5,
    mqttPort: int('MQTT_PORT', 1883, 0, 65535),
    mqttBindHost: env.MQTT_BIND_HOST || '127.0.0.1',
    mqttPasswordFile: env.MQTT_PASSWORD_FILE || undefined,
    httpPort: int('PORT', 3000, 0, 65535),
    httpHost: env.HOST || '127.0.0.1',
    dataDir: env.HAKKEN_DATA_DIR || '.data',
    loopIntervalMs: int('LOOP_INTERVAL_MS', 200, 10, 60_000),
    commandResendMs: int('COMMAND_RESEND_MS', 2000, 50, 600_000),
    deviceSilentAfterMs: int('DEVICE_SILENT_AFTER_MS', 0, 0, 86_400_000),
    deviceOfflineGraceMs: int('DEVICE_OFFLINE_GRACE_MS', 10_000, 0, 3_600_000),
    instanceId: env.HAKKEN_INSTANCE_ID || `orchestrator-${hostname()}`,
    leaseTtlMs: int('LEASE_TTL_MS', 15_000, 1000, 600_000),
    logLevel: level as AppConfig['logLevel'],
    httpBodyLimitBytes: int('HTTP_BODY_LIMIT_BYTES', 1024 * 1024, 1024, 64 * 1024 * 1024),
    mqttDeviceEventRate: int('MQTT_DEVICE_EVENT_RATE', 100, 0, 1_000_000),
    mqttDeviceEventBurst: int('MQTT_DEVICE_EVENT_BURST', 500, 1, 1_000_000),
    tokens: parseTokens(env.HAKKEN_TOKENS, problems),
    // One core is left to the main thread (MQTT, HTTP, database); more than four rarely pays, campaigns propose one batch at a time.
    proposalWorkers: int('PROPOSAL_WORKERS', Math.max(1, Math.min(4, availableParallelism() - 1)), 0, 64),
  };
  if (problems.length) throw new ConfigError(problems);
  return config;
}

/**
 * HAKKEN_TOKENS: comma-separated `token:role:name` entries. Problems name the
 * entry by position, never by its token (a secret).
 */
export function parseTokens(raw: string | undefined, problems: string[]): TokenEntry[] {
  if (raw === undefined || raw.trim() === '') return [];
  const out: TokenEntry[] = [];
  const seen = new Set<string>();
  raw.split(',').forEach((part, i) => {
    const where = `HAKKEN_TOKENS entry ${i + 1}`;
    const fields = part.trim().split(':');
    if (fields.length !== 3) {
      problems.push(`${where} must be token:role:name`);
      return;
    }
    const [token, role, name] = fields;
    const before = problems.length;
    if (token.length < 16) problems.push(`${where}: the token must be at least 16 characters long`);
    if (!/^[\x21-\x7e]+$/.test(token)) problems.push(`${where}: the token must be printable ASCII without spaces`);
    if (!isRole(role)) problems.push(`${where}: unknown role "${role}" (known: ${ROLES.join(', ')})`);
    if (!/^[A-Za-z0-9_.@-]{1,64}$/.test(name)) problems.push(`${where}: the name must be 1-64 letters, digits, _ . @ -`);
    if (seen.has(token)) problems.push(`${where}: the same token appears twice`);
    seen.add(token);
    if (problems.length === before) out.push({ token, role: role as Role, name });
  });
  return out;
}
