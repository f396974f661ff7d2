import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { freshDatabase, testMqttUrl, type TestDatabase } from './support/database.js';
import { until } from './support/poll.js';
import { startTestService, type TestService } from './support/service.js';
import { hostPort, startProxy, type TcpProxy } from './support/tcp-proxy.js';

interface Health {
  status: string;
  checks: { database: string; broker: string };
  counters: { scope: string; since: string };
}

/**
 * Readiness says whether the service can do its work: 503 while its broker or
 * its database is unreachable, 200 again once they are back; liveness stays
 * 200 throughout. A broker drop and the reconnect are audited.
 */
describe('health: readiness follows the broker and the database', () => {
  let svc: TestService;
  let database: TestDatabase;
  const proxies: { mqtt?: TcpProxy; db?: TcpProxy } = {};
  let ports: { mqtt: number; db: number };
  const mqttTarget = () => hostPort(testMqttUrl(), 1883);
  let dbTarget: { host: string; port: number };

  const health = async () => svc.api<Health>('GET', '/api/health', undefined, { as: 'anonymous' });
  const live = async () => (await svc.api('GET', '/api/health/live', undefined, { as: 'anonymous' })).status;
  const audited = async (action: string): Promise<number> =>
    Number(((await svc.dataSource.query(`SELECT count(*)::int AS n FROM audit_log WHERE action = $1`, [action])) as { n: number }[])[0].n);

  beforeAll(async () => {
    database = await freshDatabase();
    dbTarget = hostPort(database.url, 5432);
    proxies.mqtt = await startProxy(0, mqttTarget());
    proxies.db = await startProxy(0, dbTarget);
    ports = { mqtt: proxies.mqtt.port, db: proxies.db.port };
    const viaProxy = new URL(database.url);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(ports.db);
    svc = await startTestService({ mqttUrl: `mqtt://127.0.0.1:${ports.mqtt}`, databaseUrl: viaProxy.toString() }, database);
  });
  afterAll(async () => {
    await proxies.mqtt?.close();
    await proxies.db?.close();
    // Its database through the proxy is gone: stop the service on a direct path.
    await svc?.close().catch(() => undefined);
    await database?.drop();
  });

  it('is ready with both reachable, and labels its counters as this process’s', async () => {
    const r = await health();
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ status: 'ok', checks: { database: 'ok', broker: 'ok' }, counters: { scope: 'process' } });
    expect(Date.parse(r.body.counters.since)).not.toBeNaN();
    expect(await live()).toBe(200);
  });

  it('answers 503 while the broker is unreachable, audits the drop and the reconnect, and is ready again after', async () => {
    await proxies.mqtt!.close(); // every connection cut, new ones refused
    const down = await until(async () => ((await health()).status === 503 ? health() : undefined), { what: 'readiness to fail' });
    expect(down.body).toMatchObject({
      status: 'unavailable',
      checks: { database: 'ok', broker: expect.stringMatching(/^disconnected since /) },
    });
    expect(await live()).toBe(200);
    await until(async () => (await audited('broker.disconnected')) === 1 || undefined, { what: 'the drop audited' });

    proxies.mqtt = await startProxy(ports.mqtt, mqttTarget());
    await until(async () => (await health()).status === 200 || undefined, { what: 'readiness back' });
    await until(async () => (await audited('broker.reconnected')) === 1 || undefined, { what: 'the reconnect audited' });
  });

  it('answers 503 while the database is unreachable, and is ready again after', async () => {
    await proxies.db!.close();
    const down = await until(async () => ((await health()).status === 503 ? health() : undefined), { what: 'readiness to fail' });
    expect(down.body).toMatchObject({ status: 'unavailable', checks: { database: 'unreachable', broker: 'ok' } });
    expect(await live()).toBe(200);
    proxies.db = await startProxy(ports.db, dbTarget);
    await until(async () => (await health()).status === 200 || undefined, { what: 'readiness back' });
  });
});
