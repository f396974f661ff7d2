import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import mqtt, { type MqttClient } from 'mqtt';
import { topics } from '#protocol';
import { until } from '../support/poll.js';
import { ScriptedDevice } from '../support/scripted-device.js';
import { braninCampaign, startTestService, type TestService } from '../support/service.js';
import { DEPLOY_DIR, startSecuredBroker, type SecuredBroker } from './mosquitto.js';

/**
 * deploy/mosquitto against a real Mosquitto started by this suite: no
 * anonymous clients, wrong credentials refused, a device confined to its own
 * topics by the ACL, and the service user able to run the loop.
 */
describe('deploy/mosquitto on a real Mosquitto: authentication and ACL', () => {
  let broker: SecuredBroker;
  const clients: MqttClient[] = [];

  interface Received {
    topic: string;
    payload: string;
  }

  async function connect(username: string | undefined, password: string | undefined): Promise<MqttClient & { received: Received[] }> {
    const client = await mqtt.connectAsync(broker.url, {
      clientId: `acl-${username ?? 'anonymous'}-${randomUUID().slice(0, 8)}`,
      username,
      password,
      protocolVersion: 4,
      reconnectPeriod: 0,
      connectTimeout: 5000,
    });
    clients.push(client);
    const received: Received[] = [];
    client.on('message', (topic, payload) => received.push({ topic, payload: payload.toString('utf8') }));
    return Object.assign(client, { received });
  }
  const as = (user: string) => connect(user, broker.passwords[user]);

  beforeAll(async () => {
    broker = await startSecuredBroker(['hakken', 'rig-a', 'rig-b']);
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
    await broker?.stop();
  });

  it('ships a configuration without anonymous access, with TCP_NODELAY, and without secrets', async () => {
    const conf = await readFile(join(DEPLOY_DIR, 'mosquitto.conf'), 'utf8');
    const settings = conf.split('\n').filter((l) => l.trim() && !l.trim().startsWith('#'));
    expect(settings).toContain('allow_anonymous false');
    expect(settings).toContain('set_tcp_nodelay true');
    expect(settings.some((l) => l.startsWith('password_file '))).toBe(true);
    expect(settings.some((l) => l.startsWith('acl_file '))).toBe(true);
    const ignored = await readFile(join(DEPLOY_DIR, '.gitignore'), 'utf8');
    expect(ignored.split('\n')).toEqual(expect.arrayContaining(['passwd', 'credentials']));
  });

  it('refuses a wrong password, an unknown user and an anonymous client', async () => {
    const refused = /Not authorized|Bad username or password/i;
    await expect(connect('rig-a', 'not-the-password')).rejects.toThrow(refused);
    await expect(connect('rig-a', broker.passwords['rig-b'])).rejects.toThrow(refused);
    await expect(connect('rig-z', broker.passwords['rig-a'])).rejects.toThrow(refused);
    await expect(connect(undefined, undefined)).rejects.toThrow(refused);
    // The right password works.
    await expect(as('rig-a')).resolves.toBeDefined();
  });

  it("drops what a device publishes on another device's topics, and delivers what it publishes on its own", async () => {
    const service = await as('hakken');
    await service.subscribeAsync({
      [topics.allEvents]: { qos: 1 },
      [topics.allAvailability]: { qos: 1 },
      [topics.allHeartbeats]: { qos: 1 },
    });
    const rigA = await as('rig-a');
    const forged = JSON.stringify({ v: 1, type: 'result', experimentId: randomUUID(), ts: new Date().toISOString(), values: { y: -1e9 } });
    await rigA.publishAsync(topics.events('rig-b'), forged, { qos: 1 });
    await rigA.publishAsync(topics.availability('rig-b'), JSON.stringify({ v: 1, status: 'offline' }), { qos: 1, retain: true });
    await rigA.publishAsync(topics.heartbeat('rig-b'), JSON.stringify({ v: 1, ts: new Date().toISOString(), running: 0 }), { qos: 1 });
    await rigA.publishAsync(topics.commands('rig-b'), JSON.stringify({ v: 1, type: 'ack', experimentId: 'x', status: 'ok' }), { qos: 1 });
    // Then on its own topics; one client's messages reach a subscriber in order, so once these
    // are here, the ones above would be here too had the broker let them through.
    await rigA.publishAsync(topics.availability('rig-a'), JSON.stringify({ v: 1, status: 'online' }), { qos: 1, retain: true });
    await rigA.publishAsync(topics.events('rig-a'), forged, { qos: 1 });
    await until(() => service.received.some((m) => m.topic === topics.events('rig-a')), { what: "rig-a's own event at the service" });
    expect(service.received.map((m) => m.topic)).toEqual([topics.availability('rig-a'), topics.events('rig-a')]);
  });

  it("lets a device read its own commands only, and no other device's events", async () => {
    const service = await as('hakken');
    const rigA = await as('rig-a');
    const rigB = await as('rig-b');
    // rig-a asks for everything it can think of; the broker grants what the ACL allows.
    await rigA.subscribeAsync({
      [topics.commands('rig-a')]: { qos: 1 },
      [topics.commands('rig-b')]: { qos: 1 },
      [topics.allEvents]: { qos: 1 },
      '#': { qos: 1 },
    });
    await rigB.subscribeAsync(topics.commands('rig-b'), { qos: 1 });
    await rigB.publishAsync(
      topics.events('rig-b'),
      JSON.stringify({ v: 1, type: 'accepted', experimentId: 'e-b', ts: new Date().toISOString() }),
      { qos: 1 },
    );
    const command = (id: string) => JSON.stringify({ v: 1, type: 'ack', experimentId: id, status: 'ok' });
    await service.publishAsync(topics.commands('rig-b'), command('for-b'), { qos: 1 });
    await service.publishAsync(topics.commands('rig-a'), command('for-a'), { qos: 1 });
    await until(() => rigB.received.some((m) => m.payload.includes('for-b')), { what: 'the command at rig-b' });
    await until(() => rigA.received.some((m) => m.payload.includes('for-a')), { what: 'the command at rig-a' });
    // What rig-a got: its own command, nothing of rig-b's (neither its command nor its event).
    expect(rigA.received.map((m) => m.topic)).toEqual([topics.commands('rig-a')]);
  });

  it('lets the service user run the loop: commands out, events in, results stored', async () => {
    const kind = `acl-${randomUUID().slice(0, 8)}`;
    let svc: TestService | undefined;
    let device: ScriptedDevice | undefined;
    try {
      svc = await startTestService({ mqttUrl: broker.url, mqttUsername: 'hakken', mqttPassword: broker.passwords.hakken });
      device = await ScriptedDevice.connect(`mqtt://rig-a:${broker.passwords['rig-a']}@127.0.0.1:${broker.port}`, 'rig-a', kind);
      const created = await svc.api<{ id: string }>(
        'POST',
        '/api/campaigns',
        braninCampaign({ budget: 2, batchSize: 2, deviceKind: kind }),
      );
      expect(created.status).toBe(201);
      const runs = await device.waitForRuns(2);
      for (const [i, run] of runs.entries()) {
        await device.publishEvent({ type: 'accepted', experimentId: run.experimentId });
        await device.publishEvent({ type: 'result', experimentId: run.experimentId, values: { y: 10 + i } });
      }
      for (const run of runs) expect((await device.waitForAck(run.experimentId))[0]).toMatchObject({ status: 'ok' });
      const stored: { n: number }[] = await svc.dataSource.query(`SELECT count(*)::int AS n FROM experiments WHERE status = 'completed'`);
      expect(stored[0].n).toBe(2);
    } finally {
      await device?.close();
      await svc?.stop();
    }
  });
});
