import type { DataSource } from 'typeorm';
import { createDataSource, type DataSourceOptions } from './data-source.js';

/**
 * Waiting for a server that is not up yet (a machine booting, a database
 * restarting, a container started before its database): capped exponential
 * backoff, each attempt logged with its reason, until a limit. Only errors that
 * mean "not reachable yet" are retried; a wrong password, a missing database or
 * a failed migration fail at once, since waiting cannot mend them.
 */

export interface WaitOptions {
  /** Give up this many seconds after the first attempt; 0: one attempt only. */
  waitS: number;
  /** First pause between attempts, doubled after each up to maxDelayMs. */
  initialDelayMs?: number;
  maxDelayMs?: number;
  log: (message: string) => void;
  /** Aborts the wait (a signal while starting); the pending pause ends at once. */
  signal?: AbortSignal;
  /** Appended to the give-up message, e.g. which setting sets the wait. */
  hint?: string;
}

/** What `retryWhileUnreachable` needs to know about a server. */
export interface WaitTarget {
  /** Names the server in messages, e.g. `database at postgres://u:***@db:5432/x`; never holds a password. */
  what: string;
  /** The reason to retry for an error meaning "not reachable yet"; undefined for an error that waiting cannot mend. */
  retryReason: (error: unknown) => string | undefined;
}

export const DEFAULT_INITIAL_DELAY_MS = 500;
export const DEFAULT_MAX_DELAY_MS = 10_000;

/** The pause before attempt n + 1 (n from 1): initial · 2^(n−1), at most max. */
export function backoffDelayMs(attempt: number, initialMs = DEFAULT_INITIAL_DELAY_MS, maxMs = DEFAULT_MAX_DELAY_MS): number {
  return Math.min(maxMs, initialMs * 2 ** Math.max(0, attempt - 1));
}

export class ServerNotReachableError extends Error {
  constructor(
    message: string,
    readonly attempts: number,
    readonly lastReason: string,
  ) {
    super(message);
    this.name = 'ServerNotReachableError';
  }
}

/** Runs `attempt` until it succeeds, fails for a reason waiting cannot mend, or the wait is over. */
export async function retryWhileUnreachable<T>(target: WaitTarget, attempt: () => Promise<T>, options: WaitOptions): Promise<T> {
  const started = Date.now();
  const deadline = started + options.waitS * 1000;
  for (let n = 1; ; n++) {
    options.signal?.throwIfAborted();
    try {
      return await attempt();
    } catch (e) {
      const reason = target.retryReason(e);
      if (reason === undefined) throw e;
      const left = deadline - Date.now();
      if (left <= 0) {
        const waited =
          options.waitS > 0 ? ` after ${formatSeconds(Date.now() - started)} (${n} attempts)` : ' (not waiting: the wait is set to 0)';
        const hint = options.hint ? `; ${options.hint}` : '';
        throw new ServerNotReachableError(`${target.what} not reachable${waited}: ${reason}${hint}`, n, reason);
      }
      const delay = Math.min(left, backoffDelayMs(n, options.initialDelayMs, options.maxDelayMs));
      options.log(`${target.what} not reachable (${reason}); retrying in ${formatSeconds(delay)}`);
      await sleep(delay, options.signal);
    }
  }
}

/**
 * Node's socket error codes that mean the server is not there yet. ENOTFOUND
 * is among them: in a compose network a service's name resolves only once its
 * container runs, and a misspelt host only costs the wait.
 */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
]);

/**
 * PostgreSQL SQLSTATEs a starting, restarting or overloaded server answers with:
 * 57P03 cannot_connect_now ("the database system is starting up", "... is not
 * yet accepting connections", "... is shutting down"), 57P01 admin_shutdown and
 * 57P02 crash_shutdown (a restart cut the connection), 53300
 * too_many_connections, and class 08 (connection exceptions).
 */
const TRANSIENT_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300']);

/** Messages of node-postgres without a code that mean the connection did not come up. */
const TRANSIENT_MESSAGES = [/connection terminated/i, /timeout expired/i, /connection timeout/i];

/** The reason to retry for a PostgreSQL connection error, or undefined when waiting cannot mend it. */
export function databaseRetryReason(error: unknown): string | undefined {
  const code = errorCode(error);
  if (code !== undefined && NETWORK_CODES.has(code)) return code;
  if (code !== undefined && /^[0-9A-Z]{5}$/.test(code)) {
    if (TRANSIENT_SQLSTATES.has(code) || code.startsWith('08')) return `${messageOf(error)} (${code})`;
    return undefined; // 28P01 wrong password, 3D000 no such database, 42xxx a failed migration, ...
  }
  const message = messageOf(error);
  if (TRANSIENT_MESSAGES.some((m) => m.test(message))) return message;
  return undefined;
}

/** `postgres://user:secret@host/db` → `postgres://user:***@host/db`; also inside a longer text. */
export function redactUrl(text: string): string {
  return text.replace(/(\/\/[^:@/\s]+):([^@/\s]+)@/g, '$1:***@');
}

export interface OpenDatabaseWaitOptions extends DataSourceOptions {
  wait: WaitOptions;
}

/**
 * Connects (waiting while the server is not reachable, see WaitOptions) and
 * applies pending migrations. Errors name the database with its password masked.
 */
export async function openDatabaseWhenReachable(options: OpenDatabaseWaitOptions): Promise<{ dataSource: DataSource; applied: string[] }> {
  const { wait, ...dataSourceOptions } = options;
  const what = `database at ${redactUrl(options.url)}`;
  // A host that drops packets would otherwise hold an attempt for the kernel's TCP timeout (about two minutes);
  // so the whole wait ends at most this long after waitS.
  const connectTimeoutMs = dataSourceOptions.connectTimeoutMs ?? 10_000;
  const dataSource = await retryWhileUnreachable(
    { what, retryReason: databaseRetryReason },
    async () => {
      const ds = createDataSource({ ...dataSourceOptions, connectTimeoutMs });
      try {
        return await ds.initialize();
      } catch (e) {
        if (ds.isInitialized) await ds.destroy().catch(() => undefined);
        throw e;
      }
    },
    wait,
  ).catch((e: unknown) => {
    if (e instanceof ServerNotReachableError || wait.signal?.aborted) throw e;
    throw new Error(`cannot open the ${what}: ${describe(e)}`, { cause: e });
  });
  try {
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    return { dataSource, applied: applied.map((m) => m.name) };
  } catch (e) {
    await dataSource.destroy().catch(() => undefined);
    throw new Error(`migrations failed on the ${what}: ${describe(e)}`, { cause: e });
  }
}

function describe(error: unknown): string {
  const code = errorCode(error);
  const message = redactUrl(messageOf(error));
  return code && !message.includes(code) ? `${message} (${code})` : message;
}

function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && code) return code;
  // Node reports a refused connection to a name with several addresses as an AggregateError of them.
  if (error instanceof AggregateError) for (const inner of error.errors) if (errorCode(inner)) return errorCode(inner);
  return undefined;
}

function messageOf(error: unknown): string {
  if (error instanceof AggregateError && !error.message) return error.errors.map(messageOf).join('; ');
  return error instanceof Error ? error.message : String(error);
}

function formatSeconds(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${Number((ms / 1000).toFixed(1))} s`;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason as Error);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
