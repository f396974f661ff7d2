import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import mqtt from 'mqtt';
import { topics } from '#protocol';
import { startOrchestrator, type Orchestrator } from '../../apps/orchestrator/src/bootstrap.js';
import { loadConfig } from '../../apps/orchestrator/src/common/config.js';
import { freshDatabase, type TestDatabase } from '../support/database.js';
import { until } from '../support/poll.js';
import { DEPLOY_DIR, mosquittoBinary } from './mosquitto.js';

/**
 * The service's in-process broker cannot be spoofed from the network: it
 * listens on loopback unless told otherwise, and beyond loopback only with
 * per-device credentials (the password file deploy/mosquitto/make-passwd.sh
 * makes for Mosquitto), each device confined to its own topics.
 */
describe('the in-process broker, bound beyond loopback', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  });
  const config = (database: TestDatabase, env: Record<string, string>) => ({
    ...loadConfig({ MQTT_PORT: '0', PORT: '0', LOG_LEVEL: 'error', ...env }),
    databaseUrl: database.url,
    instanceId: `embedded-${randomBytes(3).toString('hex')}`,
  });

  it('refuses to start without credentials', async () => {
    const database = await freshDatabase();
    cleanups.push(() => database.drop());
    await expect(startOrchestrator(config(database, { MQTT_BIND_HOST: '0.0.0.0' }))).rejects.toThrow(
      /refusing to listen on 0\.0\.0\.0 without credentials/,
    );
  });

  it('with a password file, lets in the service and each device on its own topics only', async () => {
    mosquittoBinary(); // make-passwd.sh needs mosquitto_passwd: a clear failure where it is missing
    const dir = await mkdtemp(join(tmpdir(), 'hakken-embedded-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const passwords = { hakken: randomBytes(18).toString('base64url'), 'rig-a': randomBytes(18).toString('base64url') };
    await writeFile(
      join(dir, 'credentials'),
      Object.entries(passwords)
        .map(([u, p]) => `${u}:${p}`)
        .join('\n') + '\n',
      { mode: 0o600 },
    );
    execFileSync(join(DEPLOY_DIR, 'make-passwd.sh'), [join(dir, 'credentials'), join(dir, 'passwd')], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });

    const database = await freshDatabase();
    cleanups.push(() => database.drop());
    const env = { MQTT_BIND_HOST: '0.0.0.0', MQTT_PASSWORD_FILE: join(dir, 'passwd'), MQTT_PASSWORD: passwords.hakken };
    const service: Orchestrator = await startOrchestrator(config(database, env));
    cleanups.push(() => service.close());
    const url = service.mqttUrl.replace('0.0.0.0', '127.0.0.1');

    await expect(mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 5000 })).rejects.toThrow(
      /Bad username or password|Not authorized/i,
    );
    const device = await mqtt.connectAsync(url, { username: 'rig-a', password: passwords['rig-a'], reconnectPeriod: 0 });
    cleanups.push(() => device.endAsync(true));
    await device.publishAsync(topics.availability('rig-a'), JSON.stringify({ v: 1, status: 'online', kind: 'k' }), {
      qos: 1,
      retain: true,
    });
    const status = async () =>
      ((await service.dataSource.query(`SELECT status FROM devices WHERE id = 'rig-a'`)) as { status: string }[])[0]?.status;
    await until(async () => (await status()) === 'online' || undefined, { what: 'rig-a online through the authenticated broker' });
  });
});
