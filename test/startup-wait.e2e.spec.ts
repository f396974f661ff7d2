import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from '@jest/globals';
import { freshDatabase, testMqttUrl } from './support/database.js';
import { until } from './support/poll.js';
import { hostPort, startProxy } from './support/tcp-proxy.js';
import { freePort, startServiceProcess, type Child } from './support/processes.js';
import { TEST_TOKENS_ENV } from './support/service.js';

/**
 * With DATABASE_URL and MQTT_URL pointing at servers not up yet (a machine
 * booting, a container started before its database), the service waits,
 * logging each retry, and starts once they are up; what waiting cannot mend
 * fails at once.
 */
describe('waiting for the database and the broker at start', () => {
  const children: Child[] = [];
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const c of children) await c.stop();
    for (const c of cleanups.reverse()) await c();
  });

  const baseEnv = async (): Promise<NodeJS.ProcessEnv> => ({
    PATH: process.env.PATH,
    PORT: String(await freePort()),
    LOG_LEVEL: 'log',
    HAKKEN_INSTANCE_ID: `startup-wait-${randomUUID().slice(0, 8)}`,
    HAKKEN_TOKENS: TEST_TOKENS_ENV,
    PROPOSAL_WORKERS: '0',
  });

  it('waits for a database and a broker that come up later, logging each retry, then serves', async () => {
    const database = await freshDatabase();
    cleanups.push(() => database.drop());
    const dbPort = await freePort();
    const mqttPort = await freePort();
    const waitingUrl = new URL(database.url);
    waitingUrl.hostname = '127.0.0.1';
    waitingUrl.port = String(dbPort);
    // A password, to check that none is ever printed (the proxy forwards to a server that may not ask for it).
    if (!waitingUrl.password) {
      waitingUrl.username ||= 'postgres';
      waitingUrl.password = 'never-printed';
    }
    const env: NodeJS.ProcessEnv = {
      ...(await baseEnv()),
      DATABASE_URL: waitingUrl.toString(),
      DATABASE_WAIT_S: '60',
      MQTT_URL: `mqtt://127.0.0.1:${mqttPort}`,
      MQTT_WAIT_S: '60',
    };
    const service = startServiceProcess(env);
    children.push(service);

    const masked = `postgres://${waitingUrl.username}:***@127.0.0.1:${dbPort}${waitingUrl.pathname}`;
    const retry = new RegExp(
      `database at ${masked.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} not reachable \\(ECONNREFUSED\\); retrying in \\d+ (ms|s)`,
      'g',
    );
    // 0.5 s, then 1 s: the second retry line comes about 1.5 s after the first attempt.
    await until(() => ((service.output.match(retry)?.length ?? 0) >= 2 ? true : undefined), {
      timeoutMs: 30_000,
      what: `two database retries in:\n${service.output.slice(-3000)}`,
    });
    expect(service.output).toContain('retrying in 500 ms');
    expect(service.output).toContain('retrying in 1 s');
    const dbProxy = await startProxy(dbPort, hostPort(database.url, 5432));
    cleanups.push(() => dbProxy.close());

    await service.waitFor(/MQTT broker at mqtt:\/\/127\.0\.0\.1:\d+ not reachable \(ECONNREFUSED\); retrying in/, 30_000);
    const mqttProxy = await startProxy(mqttPort, hostPort(testMqttUrl(), 1883));
    cleanups.push(() => mqttProxy.close());

    await service.waitFor(/REST API on/, 60_000);
    const response = await fetch(`http://127.0.0.1:${env.PORT}/api/health`);
    expect(response.status).toBe(200);
    expect(((await response.json()) as { status: string }).status).toBe('ok');
    expect(service.output).not.toContain(waitingUrl.password);
    await service.stop();
    expect(await service.exited).toBe(0);
  }, 120_000);

  it('a database that does not exist fails at once, with a clear message and no retries', async () => {
    const missing = new URL(process.env.HAKKEN_TEST_DATABASE_URL!);
    missing.pathname = `/hakken_missing_${randomUUID().slice(0, 8)}`;
    const env: NodeJS.ProcessEnv = {
      ...(await baseEnv()),
      DATABASE_URL: missing.toString(),
      DATABASE_WAIT_S: '60',
      MQTT_URL: testMqttUrl(),
    };
    const started = Date.now();
    const service = startServiceProcess(env);
    children.push(service);
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([
      service.exited,
      new Promise<'still running'>((r) => (timer = setTimeout(() => r('still running'), 30_000))),
    ]);
    clearTimeout(timer);
    expect(code).toBe(1);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(service.output).toMatch(
      /cannot open the database at postgres:\/\/\S+: database "hakken_missing_[0-9a-f]+" does not exist \(3D000\)/,
    );
    expect(service.output).not.toContain('retrying');
  }, 60_000);

  it('a broker still down after MQTT_WAIT_S fails naming it and the last reason', async () => {
    const database = await freshDatabase();
    cleanups.push(() => database.drop());
    const mqttPort = await freePort();
    const env: NodeJS.ProcessEnv = {
      ...(await baseEnv()),
      DATABASE_URL: database.url,
      MQTT_URL: `mqtt://svc:pw-not-printed@127.0.0.1:${mqttPort}`,
      MQTT_WAIT_S: '2',
    };
    const service = startServiceProcess(env);
    children.push(service);
    expect(await service.exited).toBe(1);
    expect(service.output).toMatch(
      new RegExp(
        `MQTT broker at mqtt://svc:\\*\\*\\*@127\\.0\\.0\\.1:${mqttPort} not reachable after \\d+(\\.\\d)? s \\(\\d+ attempts\\): ECONNREFUSED; MQTT_WAIT_S=2; set MQTT_WAIT_S to wait longer`,
      ),
    );
    expect(service.output).not.toContain('pw-not-printed');
  }, 60_000);
});
