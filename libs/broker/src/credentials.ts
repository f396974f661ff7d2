import { pbkdf2Sync, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';

/**
 * Per-device credentials and topic rules for the in-process broker, the same
 * as deploy/mosquitto's: one user per device (its device id as user name),
 * confined to its own topics, and the service user "hakken". The password
 * file is Mosquitto's (hashed by mosquitto_passwd, as deploy/mosquitto/
 * make-passwd.sh writes it), so one file serves either broker.
 */

/** The user name of the service; every other user is a device, named by its device id. */
export const SERVICE_USER = 'hakken';

const PREFIX = 'hakken/v1/devices';
const DEVICE_SENDS = ['availability', 'events', 'heartbeat'];

interface PasswordHash {
  iterations: number;
  salt: Buffer;
  hash: Buffer;
}

export class PasswordFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PasswordFileError';
  }
}

export class Credentials {
  private constructor(private readonly users: ReadonlyMap<string, PasswordHash>) {}

  /** Reads a Mosquitto password file; lines of `user:$7$iterations$salt$hash` (PBKDF2-SHA512), # comments. */
  static async load(file: string): Promise<Credentials> {
    return Credentials.parse(await readFile(file, 'utf8'), file);
  }

  static parse(text: string, source = 'the password file'): Credentials {
    const users = new Map<string, PasswordHash>();
    text.split('\n').forEach((raw, i) => {
      const line = raw.replace(/\r$/, '').trim();
      if (line === '' || line.startsWith('#')) return;
      const at = line.indexOf(':');
      const user = line.slice(0, at);
      // Never the line itself in a message: it holds a hash.
      const where = `${source}, line ${i + 1}`;
      if (at <= 0) throw new PasswordFileError(`${where}: expected user:hash`);
      const parts = line.slice(at + 1).split('$');
      if (parts.length !== 5 || parts[0] !== '' || parts[1] !== '7')
        throw new PasswordFileError(`${where} (${user}): only PBKDF2-SHA512 hashes ($7$, mosquitto_passwd of Mosquitto 2) are understood`);
      const iterations = Number(parts[2]);
      const salt = Buffer.from(parts[3], 'base64');
      const hash = Buffer.from(parts[4], 'base64');
      if (!Number.isInteger(iterations) || iterations < 1 || salt.length === 0 || hash.length !== 64)
        throw new PasswordFileError(`${where} (${user}): malformed hash`);
      if (users.has(user)) throw new PasswordFileError(`${where}: user "${user}" appears twice`);
      users.set(user, { iterations, salt, hash });
    });
    if (users.size === 0) throw new PasswordFileError(`${source} lists no user`);
    return new Credentials(users);
  }

  get size(): number {
    return this.users.size;
  }

  verify(user: string | undefined, password: Buffer | undefined): boolean {
    const entry = user === undefined ? undefined : this.users.get(user);
    if (!entry || password === undefined) return false;
    const actual = pbkdf2Sync(password, entry.salt, entry.iterations, entry.hash.length, 'sha512');
    return timingSafeEqual(actual, entry.hash);
  }
}

/**
 * deploy/mosquitto/acl: the service reads what every device says and writes
 * every device's commands; a device says things only about itself and reads
 * only its own commands. `topic` is a topic name (publish) or filter (subscribe).
 */
export function allowed(user: string, action: 'publish' | 'subscribe', topic: string): boolean {
  const levels = topic.split('/');
  if (levels.length !== 5 || `${levels[0]}/${levels[1]}/${levels[2]}` !== PREFIX) return false;
  const [, , , device, kind] = levels;
  if (user === SERVICE_USER) {
    if (action === 'subscribe') return DEVICE_SENDS.includes(kind) && (device === '+' || !/[+#]/.test(device));
    return kind === 'commands' && !/[+#]/.test(device);
  }
  if (device !== user) return false;
  return action === 'publish' ? DEVICE_SENDS.includes(kind) : kind === 'commands';
}
