import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { until } from './poll.js';

/** Debian's Python 3 with Debian's paho-mqtt (`apt-get install python3-paho-mqtt`; .ci/run installs it). */
export const PYTHON = '/usr/bin/python3';
const ROOT = resolve(import.meta.dirname, '..', '..');

/** Throws one clear line when Debian's Python or its paho-mqtt is missing (a pyenv or venv python would not see it). */
export function requirePython(python = PYTHON): void {
  const probe = spawnSync(python, ['-c', 'import sys, paho.mqtt.client; assert sys.version_info >= (3, 11), sys.version'], {
    encoding: 'utf8',
  });
  if (probe.error || probe.status !== 0) {
    throw new Error(
      `${python} with paho-mqtt is missing (${probe.error?.message ?? probe.stderr.trim().split('\n').pop()}): ` +
        `install Debian's python3 (>= 3.11) and python3-paho-mqtt (apt-get install -y python3-paho-mqtt), as .ci/run does`,
    );
  }
}

/** A Python script of the repository in a child process; its output can be waited on. */
export class PythonChild {
  output = '';
  readonly exited: Promise<number | null>;
  private readonly proc: ChildProcess;

  constructor(script: string, args: string[], env: NodeJS.ProcessEnv = {}) {
    this.proc = spawn(PYTHON, [resolve(ROOT, script), ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, ...env, PYTHONUNBUFFERED: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const collect = (chunk: Buffer) => {
      this.output += chunk.toString('utf8');
    };
    this.proc.stdout!.on('data', collect);
    this.proc.stderr!.on('data', collect);
    this.exited = new Promise((r) => this.proc.on('exit', (code) => r(code)));
  }

  async waitFor(pattern: RegExp, timeoutMs = 30_000): Promise<RegExpMatchArray> {
    return until(() => this.output.match(pattern) ?? undefined, {
      timeoutMs,
      what: `${pattern} in the output of a Python process:\n${this.output.slice(-3000)}`,
    });
  }

  async stop(): Promise<number | null> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGTERM');
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 10_000);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }
}
