import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort, listening } from '../support/processes.js';
import { until } from '../support/poll.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
export const DEPLOY_DIR = join(ROOT, 'deploy', 'mosquitto');

/** The mosquitto binary; a clear failure where it is missing (never a skip: CI installs it). */
export function mosquittoBinary(): string {
  for (const candidate of ['/usr/sbin/mosquitto', '/usr/bin/mosquitto', '/usr/local/sbin/mosquitto', '/usr/local/bin/mosquitto']) {
    if (existsSync(candidate)) return candidate;
  }
  try {
    return execFileSync('sh', ['-c', 'command -v mosquitto'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error(
      'the mosquitto binary is not installed: this suite tests deploy/mosquitto against a real Mosquitto. ' +
        'Install it (Debian: apt-get install mosquitto; .ci/run does so) and run the tests again.',
    );
  }
}

export interface SecuredBroker {
  url: string;
  port: number;
  /** Plain passwords by user name, as the credentials file had them. */
  passwords: Record<string, string>;
  /** Broker log so far (stderr). */
  log(): string;
  stop(): Promise<void>;
}

/**
 * Starts Mosquitto with deploy/mosquitto/mosquitto.conf and acl as shipped,
 * changing only where things are (port, files, persistence folder), and a
 * password file made by deploy/mosquitto/make-passwd.sh from fresh random
 * passwords for the given users.
 */
export async function startSecuredBroker(users: string[]): Promise<SecuredBroker> {
  const binary = mosquittoBinary();
  const dir = await mkdtemp(join(tmpdir(), 'hakken-mosquitto-'));
  // The broker may drop root privileges to its own user: let it read this folder.
  await chmod(dir, 0o755);
  const passwords = Object.fromEntries(users.map((u) => [u, randomBytes(18).toString('base64url')]));
  const credentials = join(dir, 'credentials');
  await writeFile(credentials, users.map((u) => `${u}:${passwords[u]}`).join('\n') + '\n', { mode: 0o600 });
  const passwd = join(dir, 'passwd');
  execFileSync(join(DEPLOY_DIR, 'make-passwd.sh'), [credentials, passwd], { stdio: ['ignore', 'ignore', 'pipe'] });
  await chmod(passwd, 0o644);
  await writeFile(join(dir, 'acl'), await readFile(join(DEPLOY_DIR, 'acl'), 'utf8'), { mode: 0o644 });
  const port = await freePort();
  const config = rewriteConfig(await readFile(join(DEPLOY_DIR, 'mosquitto.conf'), 'utf8'), {
    listener: `${port} 127.0.0.1`,
    password_file: passwd,
    acl_file: join(dir, 'acl'),
    persistence: 'false',
    persistence_location: `${dir}/`,
  });
  const configFile = join(dir, 'mosquitto.conf');
  await writeFile(configFile, config, { mode: 0o644 });

  let output = '';
  const proc: ChildProcess = spawn(binary, ['-c', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout!.on('data', (c: Buffer) => (output += c.toString('utf8')));
  proc.stderr!.on('data', (c: Buffer) => (output += c.toString('utf8')));
  const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
    await exited;
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await until(
      async () => {
        if (proc.exitCode !== null) throw new Error(`mosquitto exited with ${proc.exitCode}: ${output}`);
        return (await listening(port)) || undefined;
      },
      { timeoutMs: 15_000, what: `mosquitto listening on ${port}` },
    );
  } catch (e) {
    await stop();
    throw e;
  }
  return { url: `mqtt://127.0.0.1:${port}`, port, passwords, log: () => output, stop };
}

/** Replaces the values of the named options (every occurrence); fails if one is not in the shipped file. */
export function rewriteConfig(config: string, values: Record<string, string>): string {
  const seen = new Set<string>();
  const lines = config.split('\n').map((line) => {
    const key = line.trim().split(/\s+/)[0];
    if (key && !line.trim().startsWith('#') && key in values) {
      seen.add(key);
      return `${key} ${values[key]}`;
    }
    return line;
  });
  const missing = Object.keys(values).filter((k) => !seen.has(k));
  if (missing.length) throw new Error(`deploy/mosquitto/mosquitto.conf has no ${missing.join(', ')}`);
  return lines.join('\n');
}
