import { afterAll, describe, expect, it } from '@jest/globals';
import { until } from '../support/poll.js';
import { ScriptedDevice } from '../support/scripted-device.js';
import { DatabaseServer } from './support/database-server.js';
import { MosquittoProcess } from './support/mosquitto-process.js';
import { ServiceProcess } from './support/service-process.js';

/**
 * A device reconnects (after its connection died: Last Will "offline") while
 * the database is down: its "online" announcement reaches the service when it
 * cannot store it. Once the database is back, the device (which keeps sending
 * heartbeats) must be online in the registry again, or its experiments are
 * never dispatched.
 */
describe('fault injection: availability during a database outage', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  });

  it('takes a device that came back online while the database was down as online once it is back', async () => {
    const database = await DatabaseServer.start();
    cleanups.push(() => database.stop());
    const broker = await MosquittoProcess.start();
    cleanups.push(() => broker.stop());
    const service = await ServiceProcess.start(database.url, broker.url);
    cleanups.push(() => service.stop());
    const status = async () => (await database.query<{ status: string }>(`SELECT status FROM devices WHERE id = 'phoenix'`))[0]?.status;

    const first = await ScriptedDevice.connect(broker.url, 'phoenix', 'outage-kind', 1, { heartbeatIntervalS: 1, heartbeats: true });
    await until(async () => (await status()) === 'online', { what: 'phoenix online' });
    first.crash(); // the socket dies: the broker publishes its Last Will
    await until(async () => (await status()) === 'offline', { what: 'phoenix offline (Last Will)' });

    // The database goes down; meanwhile the device comes back and announces itself. The outage
    // lasts until the service has tried to store that announcement and could not (its warning says
    // so), however long the machine takes: a fixed outage could end before the announcement arrives.
    const refusals = () => service.output().split('availability of phoenix not stored').length - 1;
    const refusedBefore = refusals();
    await database.down();
    const again = await ScriptedDevice.connect(broker.url, 'phoenix', 'outage-kind', 1, { heartbeatIntervalS: 1, heartbeats: true });
    cleanups.push(() => again.close());
    await until(() => refusals() > refusedBefore, { timeoutMs: 30_000, what: "the service to fail to store phoenix's announcement" });
    await database.up();
    await service.waitHealthy('the service after the outage');

    // It heartbeats every second: within a few intervals the registry must know it is back.
    const final = await until(async () => ((await status()) === 'online' ? 'online' : undefined), { timeoutMs: 10_000 }).catch(async () =>
      status(),
    );
    expect(service.crashes).toEqual([]);
    if (final !== 'online')
      process.stderr.write(
        service
          .output()
          .split('\n')
          .filter((l) => /phoenix|availability/.test(l))
          .slice(-10)
          .join('\n') + '\n',
      );
    expect(final).toBe('online');
  }, 120_000);
});
