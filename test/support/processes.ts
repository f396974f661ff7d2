import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
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
    return until(() => this.output.match(pattern) ?? undefined, { timeoutMs, what: `${pattern} in the output of a child process:\n${this.output.slice(-3000)}` });
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
