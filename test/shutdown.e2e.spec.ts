import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from '@jest/globals';
import type { AckCommand } from '#protocol';
import { until } from './support/poll.js';
import { freePort, serviceStores, startServiceReady, type Child } from './support/processes.js';
import { ScriptedDevice } from './support/scripted-device.js';
import { braninCampaign, request, TEST_TOKENS_ENV } from './support/service.js';

interface ExperimentView {
  id: string;
  status: string;
  objective: number | null;
  createdAt: string;
  dispatchedAt: string | null;
  lastSentAt: string | null;
}

/**
 * SIGTERM while a device streams results: the service stops taking new work,
 * finishes storing what it received, and exits 0; every result whose ack went
 * out is stored, and what was not acknowledged is stored once re-sent after a
 * restart (as the device SDK does), exactly once.
 */
describe('graceful shutdown', () => {
  const children: Child[] = [];
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const c of children) await c.stop();
    for (const c of cleanups.reverse()) await c();
  });

  it('on SIGTERM mid-stream exits 0 having stored every acknowledged result, and loses nothing', async () => {
    const kind = `shutdown-${randomUUID().slice(0, 8)}`;
    const httpPort = await freePort();
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      PORT: String(httpPort),
      LOOP_INTERVAL_MS: '50',
      COMMAND_RESEND_MS: '300',
      LOG_LEVEL: 'log',
      HAKKEN_INSTANCE_ID: `shutdown-${randomUUID().slice(0, 8)}`,
      HAKKEN_TOKENS: TEST_TOKENS_ENV,
    };
    // Embedded: the database and broker run inside the service, so the whole close order runs.
    const { mqttUrl } = await serviceStores(env, cleanups, 'hakken-shutdown');
    const api = `http://127.0.0.1:${httpPort}`;
    const start = () => startServiceReady(env, children);

    let service = await start();
    const device = await ScriptedDevice.connect(mqttUrl, `rig-${kind}`, kind, 40);
    cleanups.push(() => device.close().catch(() => undefined));
    const n = 40;
    // Budget for two batches: the second must never be proposed once shutdown began.
    const created = await request<{ id: string }>(
      api,
      'POST',
      '/api/campaigns',
      braninCampaign({ budget: 2 * n, batchSize: n, deviceKind: kind, strategy: { kind: 'sobol' } }),
    );
    expect(created.status).toBe(201);
    const runs = await device.waitForRuns(n);
    for (const run of runs) await device.publishEvent({ type: 'accepted', experimentId: run.experimentId });
    const value = (i: number) => 100 + i;
    const okAcks = () =>
      new Set(device.commands.filter((c): c is AckCommand => c.type === 'ack' && c.status === 'ok').map((c) => c.experimentId));

    // The first quarter stored and acknowledged before anything happens.
    const first = n / 4;
    for (let i = 0; i < first; i++)
      await device.publishEvent({ type: 'result', experimentId: runs[i].experimentId, values: { y: value(i) } });
    await until(() => okAcks().size >= first, { what: `${first} acks` });

    // The rest streamed with a window of results in flight (sent, not yet acknowledged); SIGTERM
    // lands while some are being stored, and the device goes on sending.
    const window = 4;
    const signalAfter = first + 8;
    let signalledAt = 0;
    const publishing: Promise<void>[] = [];
    for (let i = first; i < n; i++) {
      const sent = device.publishEvent({ type: 'result', experimentId: runs[i].experimentId, values: { y: value(i) } });
      if (signalledAt) {
        publishing.push(sent.catch(() => undefined));
        continue;
      }
      await sent;
      if (i - window >= first) await until(() => okAcks().has(runs[i - window].experimentId), { what: `ack ${i - window}` });
      if (i === signalAfter) {
        signalledAt = Date.now();
        service.kill('SIGTERM');
      }
    }
    const code = await service.exited;
    const exitedAt = Date.now();
    await Promise.all(publishing);
    expect(service.output).toMatch(/SIGTERM: finishing what was received/);
    expect(code).toBe(0);
    // Every database session ended before the (embedded) server stopped: none was cut.
    expect(service.output).not.toMatch(/pool raised an error|terminating connection/);
    const ackedBeforeExit = okAcks();
    expect(exitedAt - signalledAt).toBeLessThan(15_000);

    // Restart (same database; the same broker or, embedded, a new one on the same port) and look.
    service = await start();
    const detail = async () =>
      (await request<{ experiments: ExperimentView[] }>(api, 'GET', `/api/campaigns/${created.body.id}`)).body.experiments;
    const byId = new Map((await detail()).map((e) => [e.id, e]));
    const index = new Map(runs.map((r, i) => [r.experimentId, i]));
    for (const id of ackedBeforeExit) {
      expect(byId.get(id)).toMatchObject({ status: 'completed', objective: value(index.get(id)!) });
    }
    // Nothing new was proposed or sent once shutdown began (a loop step under way may finish: 250 ms).
    const late = [...byId.values()].filter((e) =>
      [e.createdAt, e.dispatchedAt, e.lastSentAt].some(
        (t) => t !== null && Date.parse(t) > signalledAt + 250 && Date.parse(t) < exitedAt + 1000,
      ),
    );
    expect(late.map((e) => `${e.id}: ${e.status}, created ${e.createdAt}, sent ${e.lastSentAt}`)).toEqual([]);

    // The device re-sends what was not acknowledged (as the SDK does); all of it is stored, once.
    const unacked = runs.filter((r) => !ackedBeforeExit.has(r.experimentId));
    for (const run of unacked) {
      await device.publishEvent({ type: 'result', experimentId: run.experimentId, values: { y: value(index.get(run.experimentId)!) } });
    }
    await until(() => runs.every((r) => okAcks().has(r.experimentId)), { what: 'every result acknowledged', timeoutMs: 30_000 });
    const finalRows = (await detail()).filter((e) => index.has(e.id));
    expect(finalRows).toHaveLength(n);
    for (const e of finalRows) expect(e).toMatchObject({ status: 'completed', objective: value(index.get(e.id)!) });
    console.log(
      `graceful shutdown: ${n} results, ${ackedBeforeExit.size} acknowledged before exit (${runs.filter((r, i) => i > signalAfter - window && ackedBeforeExit.has(r.experimentId)).length} of the ${window + (n - 1 - signalAfter)} in flight or sent after SIGTERM), ` +
        `${unacked.length} re-sent after the restart; exit ${code} ${exitedAt - signalledAt} ms after SIGTERM`,
    );
    await service.stop();
  });
});
