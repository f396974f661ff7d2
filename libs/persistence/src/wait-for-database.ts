/**
 * Opening the database when its server is not up yet: which PostgreSQL errors
 * mean "not reachable yet" (the wait itself is retryWhileUnreachable's). A
 * wrong password, a missing database or a failed migration fail at once,
 * since waiting cannot mend them.
 */
import type { DataSource } from 'typeorm';
import {
  errorCode,
  messageOf,
  NETWORK_ERROR_CODES,
  redactUrl,
  retryWhileUnreachable,
  ServerNotReachableError,
  type WaitOptions,
} from '#connections';
import { createDataSource, type DataSourceOptions } from './data-source.js';

/**
 * PostgreSQL SQLSTATEs a starting, restarting or overloaded server answers with:
 * 57P03 cannot_connect_now ("the database system is starting up", "... is not
 * yet accepting connections", "... is shutting down"), 57P01 admin_shutdown and
 * 57P02 crash_shutdown (a restart cut the connection), 53300
 * too_many_connections, and class 08 (connection exceptions).
 */
const TRANSIENT_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300']);

/** Messages of node-postgres and its pool without a code that mean the connection did not come up or was cut. */
const TRANSIENT_MESSAGES = [
  /connection terminated/i,
  /connection ended/i,
  /timeout expired/i,
  /connection timeout/i,
  /timeout exceeded when trying to connect/i,
];

/**
 * The reason to retry for a PostgreSQL connection error, or undefined when
 * waiting cannot mend it. Also for a query that failed because the server went
 * away: TypeORM's QueryFailedError holds node-postgres's error as driverError.
 */
export function databaseRetryReason(error: unknown): string | undefined {
  const driver = (error as { driverError?: unknown } | null)?.driverError;
  if (driver !== undefined && driver !== error) {
    const reason = databaseRetryReason(driver);
    if (reason !== undefined) return reason;
  }
  const code = errorCode(error);
  if (code !== undefined && NETWORK_ERROR_CODES.has(code)) return code;
  if (code !== undefined && /^[0-9A-Z]{5}$/.test(code)) {
    if (TRANSIENT_SQLSTATES.has(code) || code.startsWith('08')) return `${messageOf(error)} (${code})`;
    return undefined; // 28P01 wrong password, 3D000 no such database, 42xxx a failed migration, ...
  }
  const message = messageOf(error);
  if (TRANSIENT_MESSAGES.some((m) => m.test(message))) return message;
  return undefined;
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
