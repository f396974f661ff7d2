import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import { allowed, Credentials, PasswordFileError } from './credentials.js';
import { isLoopback, startEmbeddedBroker, type EmbeddedBroker } from './embedded-broker.js';

/** A password file line as mosquitto_passwd (Mosquitto 2) writes it: PBKDF2-SHA512, 101 iterations, 12-byte salt. */
function hashLine(user: string, password: string): string {
  const salt = randomBytes(12);
  return `${user}:$7$101$${salt.toString('base64')}$${pbkdf2Sync(password, salt, 101, 64, 'sha512').toString('base64')}`;
}

/** Written by `mosquitto_passwd -U` (Mosquitto 2.0) for rig-1 / abcdefghijklmnop. */
const FROM_MOSQUITTO =
  'rig-1:$7$101$Bmi3QASMn2tGOgfg$2nYs8xB8OWmDhEOuzxp+iZkvGu0+Cmqkx4Mxd3Z+O6cbQ0KRy7rR9qq0fdxepMEPWasDm2yxZKZLeATe7eQW5Q==';

async function waitFor(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('Credentials', () => {
  it('verifies passwords against a Mosquitto password file, its own hashes included', () => {
    const c = Credentials.parse(`# devices\n${FROM_MOSQUITTO}\n${hashLine('hakken', 'service-secret-1')}\n`);
    expect(c.size).toBe(2);
    expect(c.verify('rig-1', Buffer.from('abcdefghijklmnop'))).toBe(true);
    expect(c.verify('rig-1', Buffer.from('abcdefghijklmnoq'))).toBe(false);
    expect(c.verify('hakken', Buffer.from('service-secret-1'))).toBe(true);
    expect(c.verify('rig-2', Buffer.from('abcdefghijklmnop'))).toBe(false);
    expect(c.verify('rig-1', undefined)).toBe(false);
  });

  it('refuses a file it cannot use, naming the line but never its hash', () => {
    expect(() => Credentials.parse('rig-1:plain-password\n')).toThrow(PasswordFileError);
    expect(() => Credentials.parse('rig-1:plain-password\n')).toThrow(/line 1 \(rig-1\): only PBKDF2-SHA512 hashes/);
    expect(() => Credentials.parse(`${FROM_MOSQUITTO}\n${FROM_MOSQUITTO}\n`)).toThrow(/line 2: user "rig-1" appears twice/);
    expect(() => Credentials.parse('# nothing\n')).toThrow(/lists no user/);
    expect(() => Credentials.parse('rig-1:$7$101$c2FsdA==$c2hvcnQ=\n')).toThrow(/malformed hash/);
  });
});

describe('allowed (deploy/mosquitto/acl)', () => {
  it('lets a device speak only about itself and read only its own commands', () => {
    expect(allowed('rig-a', 'publish', 'hakken/v1/devices/rig-a/events')).toBe(true);
    expect(allowed('rig-a', 'publish', 'hakken/v1/devices/rig-a/availability')).toBe(true);
    expect(allowed('rig-a', 'publish', 'hakken/v1/devices/rig-a/heartbeat')).toBe(true);
    expect(allowed('rig-a', 'publish', 'hakken/v1/devices/rig-b/events')).toBe(false);
    expect(allowed('rig-a', 'publish', 'hakken/v1/devices/rig-a/commands')).toBe(false);
    expect(allowed('rig-a', 'subscribe', 'hakken/v1/devices/rig-a/commands')).toBe(true);
    expect(allowed('rig-a', 'subscribe', 'hakken/v1/devices/+/commands')).toBe(false);
    expect(allowed('rig-a', 'subscribe', 'hakken/v1/devices/rig-b/commands')).toBe(false);
    expect(allowed('rig-a', 'subscribe', '#')).toBe(false);
  });

  it('lets the service read what every device says and write every device’s commands', () => {
    expect(allowed('hakken', 'subscribe', 'hakken/v1/devices/+/events')).toBe(true);
    expect(allowed('hakken', 'subscribe', 'hakken/v1/devices/+/availability')).toBe(true);
    expect(allowed('hakken', 'subscribe', 'hakken/v1/devices/+/commands')).toBe(false);
    expect(allowed('hakken', 'publish', 'hakken/v1/devices/rig-a/commands')).toBe(true);
    expect(allowed('hakken', 'publish', 'hakken/v1/devices/rig-a/events')).toBe(false);
  });
});

describe('startEmbeddedBroker: safe by default', () => {
  const clients: MqttClient[] = [];
  let broker: EmbeddedBroker | undefined;
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
    await broker?.close();
    broker = undefined;
  });

  async function client(opts: IClientOptions): Promise<MqttClient> {
    const c = connect(broker!.url, { reconnectPeriod: 0, connectTimeout: 5000, ...opts });
    clients.push(c);
    await new Promise<void>((resolve, reject) => {
      c.once('connect', () => resolve());
      c.once('error', reject);
    });
    return c;
  }

  it('knows loopback addresses', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', '::1', 'localhost']) expect(isLoopback(h)).toBe(true);
    for (const h of ['0.0.0.0', '::', '192.168.1.10', '10.0.0.1']) expect(isLoopback(h)).toBe(false);
  });

  it('listens on loopback by default, and refuses to listen beyond it without credentials', async () => {
    broker = await startEmbeddedBroker();
    expect(broker.url).toMatch(/^mqtt:\/\/127\.0\.0\.1:\d+$/);
    await expect(startEmbeddedBroker({ host: '0.0.0.0' })).rejects.toThrow(/refusing to listen on 0\.0\.0\.0 without credentials/);
  });

  it('with credentials, refuses anonymous and wrong logins and confines each device to its own topics', async () => {
    const passwords = { hakken: 'service-secret-1', 'rig-a': 'rig-a-secret-12', 'rig-b': 'rig-b-secret-12' };
    const credentials = Credentials.parse(
      Object.entries(passwords)
        .map(([u, p]) => hashLine(u, p))
        .join('\n'),
    );
    broker = await startEmbeddedBroker({ host: '0.0.0.0', credentials });
    await expect(client({})).rejects.toThrow(/Bad username or password|Not authorized/i);
    await expect(client({ username: 'rig-a', password: 'wrong-password' })).rejects.toThrow(/Bad username or password/i);

    const service = await client({ username: 'hakken', password: passwords.hakken });
    const heard: string[] = [];
    service.on('message', (topic, payload) => heard.push(`${topic}=${payload.toString()}`));
    await service.subscribeAsync('hakken/v1/devices/+/events', { qos: 1 });
    const rigA = await client({ username: 'rig-a', password: passwords['rig-a'] });
    // It may not read rig-b's commands (a refused subscription, the connection stays)...
    await expect(rigA.subscribeAsync('hakken/v1/devices/rig-b/commands', { qos: 1 })).rejects.toThrow(/Subscribe error/);
    expect(rigA.connected).toBe(true);
    // ...nor speak for rig-b: the forged report is dropped and the forger disconnected.
    const closed = new Promise<void>((resolve) => rigA.once('close', () => resolve()));
    rigA.publish('hakken/v1/devices/rig-b/events', 'forged', { qos: 0 });
    await closed;
    const rigB = await client({ username: 'rig-b', password: passwords['rig-b'] });
    await rigB.publishAsync('hakken/v1/devices/rig-b/events', 'own', { qos: 1 });
    await waitFor(() => heard.length > 0, 'rig-b’s own event');
    expect(heard).toEqual(['hakken/v1/devices/rig-b/events=own']);
  });
});
