import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freshDatabase, testMqttUrl, usingRealServices, type TestDatabase } from './database.js';
import { until } from './poll.js';

const ROOT = resolve(import.meta.dirname, '..', '..');

/** A child process whose output the test can wait on; killed for sure at the end. */
export class Child {
  output = '';
  readonly exited: Promise<number | null>;
  private readonly proc: ChildProcess;

  constructor(script: string, args: string[], env: NodeJS.ProcessEnv) {
    this.proc = spawn(process.execPath, [resolve(ROOT, script), ...args], {
      cwd: ROOT,
      env: { ...env, NO_COLOR: '1', FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const collect = (chunk: Buffer) => {
      this.output += chunk.toString('utf8');
      if (this.output.length > 2_000_000) this.output = this.output.slice(-1_000_000);
    };
    this.proc.stdout!.on('data', collect);
    this.proc.stderr!.on('data', collect);
    this.exited = new Promise((r) => this.proc.on('exit', (code) => r(code)));
  }

  get pid(): number {
    return this.proc.pid!;
  }

  async waitFor(pattern: RegExp, timeoutMs = 30_000): Promise<RegExpMatchArray> {
    return until(() => this.output.match(pattern) ?? undefined, {
      timeoutMs,
      what: `${pattern} in the output of a child process:\n${this.output.slice(-3000)}`,
    });
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill(signal);
  }

  async stop(): Promise<void> {
    this.kill('SIGTERM');
    const timer = setTimeout(() => this.kill('SIGKILL'), 10_000);
    await this.exited;
    clearTimeout(timer);
  }
}

/** The built service (`npm test` builds first). */
export function startServiceProcess(env: NodeJS.ProcessEnv): Child {
  return new Child('dist/apps/orchestrator/src/main.js', [], env);
}

/**
 * Where a service in a child process keeps its data and meets its devices, set
 * in its env: against the real services a fresh database and the shared
 * broker; else a fresh data folder for its embedded database and a free port
 * for its embedded broker. `cleanups` gets what removes them.
 */
export async function serviceStores(
  env: NodeJS.ProcessEnv,
  cleanups: (() => Promise<void>)[],
  prefix: string,
): Promise<{ mqttUrl: string; database?: TestDatabase }> {
  if (usingRealServices()) {
    const database = await freshDatabase();
    cleanups.push(() => database.drop());
    env.DATABASE_URL = database.url;
    env.MQTT_URL = testMqttUrl();
    return { mqttUrl: env.MQTT_URL, database };
  }
  const dataDir = await mkdtemp(join(tmpdir(), `${prefix}-`));
  cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
  env.HAKKEN_DATA_DIR = dataDir;
  const mqttPort = await freePort();
  env.MQTT_PORT = String(mqttPort);
  return { mqttUrl: `mqtt://127.0.0.1:${mqttPort}` };
}

/** Starts the service in a child process (stopped with `children`) and waits until its API listens. */
export async function startServiceReady(env: NodeJS.ProcessEnv, children: Child[]): Promise<Child> {
  const s = startServiceProcess(env);
  children.push(s);
  await s.waitFor(/REST API on/, 60_000);
  return s;
}

/** A simulated rig in its own process. */
export function startRigProcess(args: Record<string, string | number>, env: NodeJS.ProcessEnv = {}): Child {
  const argv = Object.entries(args).flatMap(([k, v]) => [`--${k}`, String(v)]);
  return new Child('dist/simulators/src/sim-rig.js', argv, { PATH: process.env.PATH, ...env });
}

export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

/** Whether something accepts TCP connections on 127.0.0.1:port. */
export function listening(port: number): Promise<boolean> {
  return new Promise((resolveListening) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolveListening(true);
    });
    socket.once('error', () => resolveListening(false));
  });
}
