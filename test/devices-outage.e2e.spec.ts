import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DeviceClient } from '#device-sdk';
import { testMqttUrl } from './support/database.js';
import { until } from './support/poll.js';
import { braninCampaign, startTestService, type TestService } from './support/service.js';
import { hostPort, startProxy, type TcpProxy } from './support/tcp-proxy.js';

interface Row {
  id: string;
  status: string;
  device_id: string | null;
  attempt: number;
}

/**
 * A broker restart or a network cut fires a device's Last Will although the rig
 * goes on running. Within DEVICE_OFFLINE_GRACE_MS the service keeps the
 * experiments a device still holds when it comes back (so nothing runs twice),
 * and sends elsewhere at once those it no longer holds (it restarted).
 */
describe('devices: back online after an outage', () => {
  let svc: TestService;
  const proxies: TcpProxy[] = [];
  const clients: DeviceClient[] = [];
  const broker = () => hostPort(testMqttUrl(), 1883);
  const viaProxy = async () => {
    const p = await startProxy(0, broker());
    proxies.push(p);
    return { proxy: p, url: `mqtt://127.0.0.1:${p.port}` };
  };

  /** A device whose runs wait until released; `started` lists the experiments whose handler began. */
  const device = (url: string, deviceId: string, kind: string) => {
    const started: string[] = [];
    const releases: (() => void)[] = [];
    const client = new DeviceClient({
      url,
      deviceId,
      kind,
      capacity: 1,
      reconnectPeriodMs: 200,
      logger: () => undefined,
      run: async ({ experimentId }) => {
        started.push(experimentId);
        await new Promise<void>((resolve) => releases.push(resolve));
        return { values: { y: 1.5 } };
      },
    });
    clients.push(client);
    return { client, started, release: () => releases.splice(0).forEach((r) => r()) };
  };

  const rows = (campaignId: string): Promise<Row[]> =>
    svc.dataSource.query(`SELECT id, status, device_id, attempt FROM experiments WHERE campaign_id = $1 ORDER BY index`, [campaignId]);
  /** Transitions of the device in the audit log: a poll of its status could miss an offline that lasts milliseconds. */
  const transitions = async (id: string, action: 'device.offline' | 'device.online') =>
    Number(
      (
        await svc.dataSource.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM audit_log WHERE device_id = $1 AND action = $2`, [
          id,
          action,
        ])
      )[0].n,
    );
  const deviceStatus = async (id: string) =>
    (await svc.dataSource.query<{ status: string }[]>(`SELECT status FROM devices WHERE id = $1`, [id]))[0]?.status;
  const redispatches = async (experimentId: string) =>
    await svc.dataSource.query<{ details: { reason: string } }[]>(
      `SELECT details FROM audit_log WHERE experiment_id = $1 AND action = 'experiment.redispatch' ORDER BY id`,
      [experimentId],
    );
  const runningCampaign = async (kind: string) => {
    const created = await svc.api<{ id: string }>('POST', '/api/campaigns', braninCampaign({ budget: 1, batchSize: 1, deviceKind: kind }));
    expect(created.status).toBe(201);
    const [row] = await until(
      async () => {
        const r = await rows(created.body.id);
        return r.length === 1 && r[0].status === 'running' ? r : undefined;
      },
      { what: 'the experiment to run' },
    );
    return { campaignId: created.body.id, experiment: row };
  };

  beforeAll(async () => {
    // Long enough that anything sent elsewhere in these tests was sent by the device's own word.
    svc = await startTestService({ deviceOfflineGraceMs: 60_000 });
  });
  afterAll(async () => {
    for (const c of clients) await c.stop().catch(() => undefined);
    for (const p of proxies) await p.close();
    await svc?.stop();
  });

  it('keeps on a device that comes back after a network cut the experiment it is still running, which then runs once', async () => {
    const kind = `outage-${randomUUID().slice(0, 8)}`;
    const { proxy, url } = await viaProxy();
    const rig = device(url, `rig-${kind}`, kind);
    await rig.client.start();
    const { campaignId, experiment } = await runningCampaign(kind);
    await until(() => rig.started.length === 1 || undefined, { what: 'the run to start' });

    proxy.cut(); // the broker sees the socket die and publishes the Last Will
    await until(async () => (await transitions(rig.client.deviceId, 'device.offline')) === 1 || undefined, { what: 'the Last Will' });
    await until(
      async () =>
        ((await transitions(rig.client.deviceId, 'device.online')) === 1 && (await deviceStatus(rig.client.deviceId)) === 'online') ||
        undefined,
      { what: 'the device back online' },
    );
    // Back, holding it: the experiment stays where it is.
    expect((await rows(campaignId))[0]).toMatchObject({ status: 'running', device_id: rig.client.deviceId, attempt: 1 });

    rig.release();
    await until(async () => (await rows(campaignId))[0].status === 'completed' || undefined, { what: 'the result' });
    expect((await rows(campaignId))[0]).toMatchObject({ id: experiment.id, device_id: rig.client.deviceId, attempt: 1 });
    expect(rig.started).toEqual([experiment.id]);
    expect(await redispatches(experiment.id)).toEqual([]);
  });

  it('sends elsewhere at once the experiment of a device that restarted during the outage and no longer holds it', async () => {
    const kind = `restart-${randomUUID().slice(0, 8)}`;
    const deviceId = `rig-${kind}`;
    const first = await viaProxy();
    const before = device(first.url, deviceId, kind);
    await before.client.start();
    const { campaignId, experiment } = await runningCampaign(kind);
    await until(() => before.started.length === 1 || undefined, { what: 'the run to start' });

    await first.proxy.close(); // the process dies: its Last Will fires, and it never reconnects
    await until(async () => (await transitions(deviceId, 'device.offline')) === 1 || undefined, { what: 'the Last Will' });
    const after = device(testMqttUrl(), deviceId, kind); // restarted, holding nothing
    await after.client.start();

    // Long before the grace ends, the experiment runs again (on the only device of its kind).
    await until(() => after.started.length === 1 || undefined, { what: 'the run to start again', timeoutMs: 15_000 });
    expect(after.started).toEqual([experiment.id]);
    // The handler starts before the service has read the device's acceptance.
    await until(async () => (await rows(campaignId))[0].status === 'running' || undefined, { what: 'the acceptance' });
    expect((await rows(campaignId))[0]).toMatchObject({ status: 'running', device_id: deviceId, attempt: 2 });
    const [moved] = await redispatches(experiment.id);
    // Its announcement lists nothing held; whichever the service reads first with the acceptance already stored, the
    // announcement or the first heartbeat (each lists what the device holds), says so. A heartbeat read before the
    // announcement brings the device back online first; the announcement then finds it online and says it announced so.
    expect([
      `device ${deviceId} came back online without it (it restarted or dropped it while offline)`,
      `device ${deviceId} does not hold it by its heartbeat (it restarted or dropped it)`,
      `device ${deviceId} announced online without it: it restarted or dropped it`,
    ]).toContain(moved.details.reason);

    after.release();
    await until(async () => (await rows(campaignId))[0].status === 'completed' || undefined, { what: 'the result' });
  });
});
