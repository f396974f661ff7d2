import { availableParallelism, hostname } from 'node:os';
import { z } from 'zod';
import { ROLES, type Role } from './roles.js';

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
  /**
   * A running campaign that has made no progress for this long (no experiment proposed, sent, accepted,
   * finished or reporting progress, no operator decision) while no batch waits for an operator is marked
   * stalled: an audited `campaign.stalled` with what it waits for, shown in the API and the console.
   */
  campaignStallAfterMs: number;
  /** Identity of this replica (logs, audit, campaign leases); stable across restarts of one replica. */
  instanceId: string;
  /** A replica that has not renewed its leases for this long is taken as gone; its campaigns move. */
  leaseTtlMs: number;
  logLevel: 'error' | 'warn' | 'log' | 'debug';
  /** text: one line per message for a terminal; json: one JSON object per line, ids as fields (for a log collector). */
  logFormat: 'text' | 'json';
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

/** Problems are written after the variable's name: `PORT must be ...`. */
const problem = (ctx: z.RefinementCtx, message: string): never => {
  ctx.addIssue({ code: 'custom', message });
  return z.NEVER;
};

/** An integer in [min, max]; unset or empty: the fallback. */
const int = (min: number, max: number, fallback: number | (() => number)) =>
  z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined || raw === '') return typeof fallback === 'function' ? fallback() : fallback;
      const n = Number(raw);
      if (!Number.isInteger(n) || n < min || n > max) return problem(ctx, `must be an integer in [${min}, ${max}] (got "${raw}")`);
      return n;
    });

/** A URL of one of these protocols; unset or empty: undefined. */
const url = (protocols: string[]) =>
  z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (!raw) return undefined;
      let protocol: string;
      try {
        protocol = new URL(raw).protocol;
      } catch {
        return problem(ctx, 'is not a URL');
      }
      if (!protocols.includes(protocol)) return problem(ctx, `must use ${protocols.join(' or ')} (got ${protocol})`);
      return raw;
    });

/** Free text; unset or empty: the fallback. */
const text = <T extends string | undefined>(fallback: T | (() => T)) =>
  z
    .string()
    .optional()
    .transform((raw) => raw || (typeof fallback === 'function' ? fallback() : fallback));

const LOG_LEVELS = ['error', 'warn', 'log', 'debug'] as const;
const LOG_FORMATS = ['text', 'json'] as const;

/** One HAKKEN_TOKENS entry's fields. Messages never hold the token (a secret). */
const tokenFields = z.object({
  token: z
    .string()
    .min(16, 'the token must be at least 16 characters long')
    .regex(/^[\x21-\x7e]+$/, 'the token must be printable ASCII without spaces'),
  role: z.enum(ROLES, { error: (issue) => `unknown role "${String(issue.input)}" (known: ${ROLES.join(', ')})` }),
  name: z.string().regex(/^[A-Za-z0-9_.@-]{1,64}$/, 'the name must be 1-64 letters, digits, _ . @ -'),
});

/**
 * HAKKEN_TOKENS: comma-separated `token:role:name` entries. Problems name the
 * entry by position, never by its token.
 */
const tokens = z
  .string()
  .optional()
  .transform((raw, ctx): TokenEntry[] => {
    if (raw === undefined || raw.trim() === '') return [];
    const out: TokenEntry[] = [];
    const seen = new Set<string>();
    raw.split(',').forEach((part, i) => {
      const where = `entry ${i + 1}`;
      const fields = part.trim().split(':');
      if (fields.length !== 3) return problem(ctx, `${where} must be token:role:name`);
      const [token, role, name] = fields;
      const entry = tokenFields.safeParse({ token, role, name });
      const problems = entry.success ? [] : entry.error.issues.map((issue) => `${where}: ${issue.message}`);
      if (seen.has(token)) problems.push(`${where}: the same token appears twice`);
      seen.add(token);
      for (const message of problems) ctx.addIssue({ code: 'custom', message });
      if (entry.success && problems.length === 0) out.push(entry.data);
    });
    return out;
  });

/**
 * The environment variables the service reads (README, "Configuration"), with
 * their defaults and bounds, mapped to AppConfig.
 */
const environment = z
  .object({
    DATABASE_URL: url(['postgres:', 'postgresql:']),
    DATABASE_WAIT_S: int(0, 86_400, 60),
    MQTT_URL: url(['mqtt:', 'mqtts:', 'ws:', 'wss:', 'tcp:']),
    MQTT_USERNAME: text(undefined),
    MQTT_PASSWORD: text(undefined),
    MQTT_WAIT_S: int(0, 86_400, 60),
    MQTT_PROTOCOL_VERSION: int(4, 5, 4).pipe(z.union([z.literal(4), z.literal(5)])),
    MQTT_PORT: int(0, 65535, 1883),
    MQTT_BIND_HOST: text('127.0.0.1'),
    MQTT_PASSWORD_FILE: text(undefined),
    PORT: int(0, 65535, 3000),
    HOST: text('127.0.0.1'),
    HAKKEN_DATA_DIR: text('.data'),
    LOOP_INTERVAL_MS: int(10, 60_000, 200),
    COMMAND_RESEND_MS: int(50, 600_000, 2000),
    DEVICE_SILENT_AFTER_MS: int(0, 86_400_000, 0),
    DEVICE_OFFLINE_GRACE_MS: int(0, 3_600_000, 10_000),
    CAMPAIGN_STALL_AFTER_MS: int(1000, 7 * 86_400_000, 1_800_000),
    HAKKEN_INSTANCE_ID: text(() => `orchestrator-${hostname()}`),
    LEASE_TTL_MS: int(1000, 600_000, 15_000),
    LOG_LEVEL: z.enum(LOG_LEVELS, { error: (issue) => `must be error, warn, log or debug (got "${String(issue.input)}")` }).default('log'),
    LOG_FORMAT: z
      .enum(LOG_FORMATS, { error: (issue) => `must be text or json (got "${String(issue.input)}")` })
      .optional()
      .transform((f) => f ?? 'text'),
    HTTP_BODY_LIMIT_BYTES: int(1024, 64 * 1024 * 1024, 1024 * 1024),
    MQTT_DEVICE_EVENT_RATE: int(0, 1_000_000, 100),
    MQTT_DEVICE_EVENT_BURST: int(1, 1_000_000, 500),
    HAKKEN_TOKENS: tokens,
    // One core is left to the main thread (MQTT, HTTP, database); more than four rarely pays, campaigns propose one batch at a time.
    PROPOSAL_WORKERS: int(0, 64, () => Math.max(1, Math.min(4, availableParallelism() - 1))),
  })
  .transform((e): AppConfig => ({
    databaseUrl: e.DATABASE_URL,
    databaseWaitS: e.DATABASE_WAIT_S,
    mqttUrl: e.MQTT_URL,
    mqttUsername: e.MQTT_USERNAME,
    mqttPassword: e.MQTT_PASSWORD,
    mqttWaitS: e.MQTT_WAIT_S,
    mqttProtocolVersion: e.MQTT_PROTOCOL_VERSION,
    mqttPort: e.MQTT_PORT,
    mqttBindHost: e.MQTT_BIND_HOST,
    mqttPasswordFile: e.MQTT_PASSWORD_FILE,
    httpPort: e.PORT,
    httpHost: e.HOST,
    dataDir: e.HAKKEN_DATA_DIR,
    loopIntervalMs: e.LOOP_INTERVAL_MS,
    commandResendMs: e.COMMAND_RESEND_MS,
    deviceSilentAfterMs: e.DEVICE_SILENT_AFTER_MS,
    deviceOfflineGraceMs: e.DEVICE_OFFLINE_GRACE_MS,
    campaignStallAfterMs: e.CAMPAIGN_STALL_AFTER_MS,
    instanceId: e.HAKKEN_INSTANCE_ID,
    leaseTtlMs: e.LEASE_TTL_MS,
    logLevel: e.LOG_LEVEL,
    logFormat: e.LOG_FORMAT,
    httpBodyLimitBytes: e.HTTP_BODY_LIMIT_BYTES,
    mqttDeviceEventRate: e.MQTT_DEVICE_EVENT_RATE,
    mqttDeviceEventBurst: e.MQTT_DEVICE_EVENT_BURST,
    tokens: e.HAKKEN_TOKENS,
    proposalWorkers: e.PROPOSAL_WORKERS,
  }));

/** Reads the configuration; every problem, not only the first, is named in one ConfigError. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const parsed = environment.safeParse(env);
  if (!parsed.success) throw new ConfigError(parsed.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`));
  return parsed.data;
}
