import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { EventMonitor } from './support/event-monitor.js';
import { until } from './support/poll.js';
import { freePort, serviceStores, startRigProcess, startServiceReady, type Child } from './support/processes.js';
import { braninCampaign, request, TEST_TOKENS_ENV } from './support/service.js';

/**
 * Kill -9 the service in the middle of a campaign and start it again: the
 * campaign goes on, no experiment is lost, none is run twice.
 *
 * With DATABASE_URL/MQTT_URL set, the service uses the real PostgreSQL and
 * broker. Without, it runs as a newcomer's does: its own embedded PostgreSQL
 * and in-process broker, which die with it (a stale postgres is left behind
 * and must be dealt with on restart; the rig must reconnect and re-send).
 */
describe('crash safety', () => {
  const children: Child[] = [];
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const c of children) await c.stop();
    for (const c of cleanups.reverse()) await c();
  });

  // Each phase below has its own bound that names it when it runs out; the
  // test's timeout is above their sum, so a slow run fails with the phase, the
  // time each phase took and the processes' output, not jest's bare timeout.
  it('completes a campaign after the service is SIGKILLed twice mid-campaign, with nothing lost or doubled', async () => {
    const phases: string[] = [];
    let last = Date.now();
    const phase = (name: string) => {
      const now = Date.now();
      phases.push(`${name}: ${now - last} ms`);
      last = now;
    };
    try {
      await crashTwice(phase);
    } catch (e) {
      const outputs = children.map((c, i) => `--- child ${i} (pid ${c.pid}) ---\n${c.output.slice(-2000)}`).join('\n');
      throw new Error(`${(e as Error).message}\nphases so far: ${phases.join(', ')}\n${outputs}`, { cause: e });
    }
  }, 400_000);

  async function crashTwice(phase: (name: string) => void): Promise<void> {
    const kind = `crash-${randomUUID().slice(0, 8)}`;
    const httpPort = await freePort();
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      PORT: String(httpPort),
      LOOP_INTERVAL_MS: '50',
      COMMAND_RESEND_MS: '300',
      LOG_LEVEL: 'log',
      // Unique per run (a shared broker may serve other runs), the same across this run's restarts (its MQTT session).
      HAKKEN_INSTANCE_ID: `crash-test-${kind}`,
      HAKKEN_TOKENS: TEST_TOKENS_ENV,
    };
    const { mqttUrl, database } = await serviceStores(env, cleanups, 'hakken-crash');
    const api = `http://127.0.0.1:${httpPort}`;
    const start = () => startServiceReady(env, children);

    let service = await start();
    phase('first start');
    const monitor = await EventMonitor.start(mqttUrl);
    cleanups.push(() => monitor.close());
    const rig = startRigProcess({
      url: mqttUrl,
      id: `rig-${kind}`,
      kind,
      function: 'branin',
      noise: 0.1,
      'latency-ms': 60,
      'jitter-ms': 60,
      capacity: 2,
      seed: 3,
    });
    children.push(rig);

    const budget = 30;
    const created = await request<{ id: string }>(
      api,
      'POST',
      '/api/campaigns',
      braninCampaign({ budget, batchSize: 5, deviceKind: kind, seed: 9 }),
    );
    expect(created.status).toBe(201);
    const id = created.body.id;
    const completedCount = async () => {
      const c = await request<{ counts: Record<string, number>; status: string }>(api, 'GET', `/api/campaigns/${id}`);
      return c.body;
    };

    for (const threshold of [6, 16]) {
      await until(async () => ((await completedCount()).counts.completed ?? 0) >= threshold, {
        timeoutMs: 60_000,
        what: `${threshold} results`,
      });
      phase(`${threshold} results`);
      service.kill('SIGKILL');
      await service.exited;
      service = await start();
      phase(`restart after ${threshold}`);
    }
    const final = await until(
      async () => {
        const c = await completedCount();
        return c.status === 'completed' ? c : undefined;
      },
      { timeoutMs: 90_000, what: 'the campaign to complete after restarts' },
    );
    phase('completion');
    expect(final.counts).toEqual({ completed: budget });

    // Check the rows themselves, through the same database the service used.
    // (Embedded: the database lives inside the service, so read it through the API.)
    const rows = database
      ? await queryRows(database.url, id)
      : (
          await request<{ experiments: { id: string; status: string; attempt: number; objective: number; values: { y: number } }[] }>(
            api,
            'GET',
            `/api/campaigns/${id}`,
          )
        ).body.experiments;
    expect(rows).toHaveLength(budget);
    expect(new Set(rows.map((r) => r.id)).size).toBe(budget);
    for (const r of rows) {
      expect(r.status).toBe('completed');
      expect(r.objective).toBe(r.values.y);
      // Never re-dispatched: the rig never failed, so one dispatch each, whatever the restarts.
      expect(r.attempt).toBe(1);
    }
    expect(monitor.runTwice()).toEqual([]);
    await service.stop();
  }
});

async function queryRows(url: string, campaignId: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(`SELECT id, status, attempt, objective, "values" FROM experiments WHERE campaign_id = $1`, [campaignId]))
      .rows as {
      id: string;
      status: string;
      attempt: number;
      objective: number;
      values: { y: number };
    }[];
  } finally {
    await client.end();
  }
}
