/**
 * Loop throughput: many campaigns, instant simulated devices (in a separate
 * process), a real PostgreSQL and MQTT broker. Prints results ingested per
 * second, the MQTT messages the service sent and received per result, the
 * latency from a result's making (its event's `ts`) to its row being stored
 * (`finished_at`), the count of lost and doubled results, the CPU time of the
 * service's process and of the device fleet per result, and baselines measured
 * in the same run: the broker's own QoS 1 rate (before and after the loop) and
 * the database's own single-row update rate on this machine. The loop's
 * ceiling is the broker's rate ÷ messages per result; the ratio printed is
 * results/s ÷ that ceiling.
 *
 *   npm run bench:loop -- [--campaigns 100] [--budget 100] [--batch 10] [--devices 20] [--capacity 8] [--strategy sobol] [--asynchronous] [--accept-at-once] [--create-one-by-one]
 *
 * The campaigns are created all at once (as many clients would), and the clock starts before the first:
 * `--create-one-by-one` creates each after the last, as this benchmark did up to 2026-12-07; the time a
 * creation takes (about 15 round trips, the campaign's detail read back included) then bounds the loop:
 * a loaded machine took 19 of a run's 21 s to create 100 campaigns, so results/s was that rate × budget.
 *
 * `--accept-at-once`: the devices send `accepted` for every run command (acceptanceDelayMs 0), as devices
 * before the acceptance rode on the result did (one message more per result).
 * DATABASE_URL / MQTT_URL select the servers (default: the local PostgreSQL
 * and Mosquitto on their standard ports). `--strategy bayesian` (or another
 * kind that needs no options) makes every proposal a GP fit, to
 * see what the loop's proposals cost the ingestion of results;
 * PROPOSAL_WORKERS=0 runs them on the service's main thread.
 */
import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import os from 'node:os';
import mqtt from 'mqtt';
import pg from 'pg';
import { startOrchestrator } from '../apps/orchestrator/src/bootstrap.js';
import { CampaignsService } from '../apps/orchestrator/src/campaigns/campaigns.service.js';
import { loadConfig } from '../apps/orchestrator/src/common/config.js';
import { StrategyPool } from '../apps/orchestrator/src/compute/strategy-pool.js';
import { MQTT_CONNECTION } from '../apps/orchestrator/src/mqtt/mqtt.gateway.js';
import type { MqttConnection } from '../apps/orchestrator/src/mqtt/mqtt-connection.js';
import type { FleetMessage } from './support/instant-fleet.js';
import { round, summarise } from './support/stats.js';

const { values: args } = parseArgs({
  options: {
    campaigns: { type: 'string', default: '100' },
    budget: { type: 'string', default: '100' },
    batch: { type: 'string', default: '10' },
    devices: { type: 'string', default: '20' },
    capacity: { type: 'string', default: '8' },
    strategy: { type: 'string', default: 'sobol' },
    /** Campaigns whose batches overlap (see the campaign definition's `asynchronous`). */
    asynchronous: { type: 'boolean', default: false },
    /** Devices send `accepted` for every command instead of letting an instant result carry it. */
    'accept-at-once': { type: 'boolean', default: false },
    /** Each campaign is created after the last (the benchmark's way up to 2026-12-07), not all at once. */
    'create-one-by-one': { type: 'boolean', default: false },
  },
});
const campaigns = Number(args.campaigns);
const budget = Number(args.budget);
const batchSize = Number(args.batch);
const deviceCount = Number(args.devices);
const capacity = Number(args.capacity);
const strategyKind = args.strategy;
const serverUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const mqttUrl = process.env.MQTT_URL ?? 'mqtt://127.0.0.1:1883';
const out = (line: string) => process.stdout.write(`${line}\n`);

async function baselineBroker(): Promise<number> {
  const topic = `hakken-bench/${randomUUID()}`;
  const sub = await mqtt.connectAsync(mqttUrl, { clean: true });
  const pub = await mqtt.connectAsync(mqttUrl, { clean: true });
  await sub.subscribeAsync(topic, { qos: 1 });
  // In windows of 200: a broker drops QoS 1 messages beyond a subscriber's queue (Mosquitto: 1000).
  const n = 5000;
  const window = 200;
  let got = 0;
  sub.on('message', () => void ++got);
  const t0 = performance.now();
  for (let sent = 0; sent < n; sent += window) {
    await Promise.all(Array.from({ length: window }, (_, i) => pub.publishAsync(topic, `{"i":${sent + i}}`, { qos: 1 })));
    const deadline = Date.now() + 10_000;
    while (got < sent + window && Date.now() < deadline) await new Promise((r) => setImmediate(r));
  }
  const rate = got / ((performance.now() - t0) / 1000);
  await sub.endAsync();
  await pub.endAsync();
  return rate;
}

async function baselineDatabase(url: string): Promise<number> {
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  await pool.query(`CREATE TABLE IF NOT EXISTS bench_baseline (id int PRIMARY KEY, v double precision)`);
  await pool.query(`INSERT INTO bench_baseline SELECT g, 0 FROM generate_series(1, 5000) g ON CONFLICT DO NOTHING`);
  const n = 5000;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: n }, (_, i) => pool.query(`UPDATE bench_baseline SET v = $2 WHERE id = $1`, [i + 1, Math.random()])),
  );
  const rate = n / ((performance.now() - t0) / 1000);
  await pool.query(`DROP TABLE bench_baseline`);
  await pool.end();
  return rate;
}

const admin = new pg.Client({ connectionString: serverUrl });
await admin.connect();
const dbName = `hakken_bench_${randomUUID().slice(0, 8)}`;
await admin.query(`CREATE DATABASE ${dbName}`);
const dbUrl = new URL(serverUrl);
dbUrl.pathname = `/${dbName}`;

const brokerRate = await baselineBroker();
const dbRate = await baselineDatabase(dbUrl.toString());
out(`baseline: broker ${round(brokerRate, 0)} QoS 1 messages/s end to end; database ${round(dbRate, 0)} single-row updates/s`);

const kind = `bench-${randomUUID().slice(0, 6)}`;
const orchestrator = await startOrchestrator({
  ...loadConfig({ PROPOSAL_WORKERS: process.env.PROPOSAL_WORKERS }),
  databaseUrl: dbUrl.toString(),
  mqttUrl,
  httpPort: 0,
  logLevel: 'warn',
  loopIntervalMs: 100,
  instanceId: `bench-${kind}`,
});
const fleet = fork(
  resolve(import.meta.dirname, 'support/instant-fleet.js'),
  [mqttUrl, String(deviceCount), kind, String(capacity), ...(args['accept-at-once'] ? ['0'] : [])],
  { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
);
const fleetSays = <T extends FleetMessage['type']>(type: T): Promise<Extract<FleetMessage, { type: T }>> =>
  new Promise((r, reject) => {
    const on = (m: FleetMessage) => {
      if (m.type !== type) return;
      fleet.off('message', on);
      fleet.off('exit', onExit);
      r(m as Extract<FleetMessage, { type: T }>);
    };
    const onExit = (code: number | null) => reject(new Error(`the device fleet exited (${code}) before saying ${type}`));
    fleet.on('message', on);
    fleet.once('exit', onExit);
  });
await fleetSays('ready');

// Every MQTT message the service sends and receives (commands, acks; events, heartbeats, availability).
const client = orchestrator.app.get<MqttConnection>(MQTT_CONNECTION).client;
const messages = { sent: 0, received: 0 };
client.on('packetsend', (p) => void (p.cmd === 'publish' && messages.sent++));
client.on('packetreceive', (p) => void (p.cmd === 'publish' && messages.received++));
const cpuAtStart = process.cpuUsage();

const service = orchestrator.app.get(CampaignsService);
const t0 = performance.now();
const create = (i: number) =>
  service.create(
    {
      name: `bench ${i}`,
      parameters: [
        { name: 'x1', type: 'continuous', low: -5, high: 10 },
        { name: 'x2', type: 'continuous', low: 0, high: 15 },
      ],
      objective: { name: 'y', direction: 'minimize' },
      budget,
      batchSize,
      approval: 'auto',
      strategy: { kind: strategyKind },
      asynchronous: args.asynchronous,
      deviceKind: kind,
      seed: i,
    },
    'bench',
  );
if (args['create-one-by-one']) for (let i = 0; i < campaigns; i++) await create(i);
else await Promise.all(Array.from({ length: campaigns }, (_, i) => create(i)));
const createdInS = (performance.now() - t0) / 1000;
const total = campaigns * budget;
const q = async <T>(sql: string): Promise<T[]> => orchestrator.dataSource.query(sql);
for (;;) {
  const [{ open }] = await q<{ open: string }>(`SELECT count(*) AS open FROM campaigns WHERE status = 'running'`);
  if (Number(open) === 0) break;
  if (performance.now() - t0 > 600_000) throw new Error('timed out after 600 s');
  await new Promise((r) => setTimeout(r, 100));
}
const seconds = (performance.now() - t0) / 1000;
const serviceCpu = process.cpuUsage(cpuAtStart);
const counted = { ...messages };
const fleetReport = fleetSays('report');
fleet.send({ type: 'report' });
const { madeAt, cpuMs: fleetCpuMs, accepted } = await fleetReport;
const published = new Map(madeAt);
const brokerRateAfter = await baselineBroker();
const ceilingRate = (brokerRate + brokerRateAfter) / 2;

const rows = await q<{ id: string; status: string; attempt: number; finished: number }>(
  `SELECT id, status, attempt, EXTRACT(EPOCH FROM finished_at) * 1000 AS finished FROM experiments`,
);
const stored = rows.filter((r) => r.status === 'completed');
const latencies = stored.flatMap((r) => (published.has(r.id) ? [Number(r.finished) - published.get(r.id)!] : []));
const lat = summarise(latencies);
const [{ results }] = await q<{ results: string }>(`SELECT count(*) AS results FROM experiments WHERE "values" IS NOT NULL`);
// Where a campaign's time goes, from the stored timestamps: a batch from its proposal to its last result
// stored, and the wait from then to the next batch's proposal; an experiment from its proposal to its
// dispatch, and from its dispatch to its result stored.
const spans = await q<{ span: number; gap: number | null }>(
  `SELECT EXTRACT(EPOCH FROM b.last - b.proposed_at) * 1000 AS span,
          EXTRACT(EPOCH FROM LEAD(b.proposed_at) OVER (PARTITION BY b.campaign_id ORDER BY b.index) - b.last) * 1000 AS gap
   FROM (SELECT b.campaign_id, b.index, b.proposed_at, MAX(e.finished_at) AS last
         FROM batches b JOIN experiments e ON e.batch_id = b.id GROUP BY b.id) b`,
);
const waits = await q<{ queued: number; run: number }>(
  `SELECT EXTRACT(EPOCH FROM dispatched_at - created_at) * 1000 AS queued, EXTRACT(EPOCH FROM finished_at - dispatched_at) * 1000 AS run
   FROM experiments WHERE status = 'completed' AND attempt = 1`,
);
const brief = (xs: number[]) => {
  const s = summarise(xs.map(Number));
  return { p50: round(s.p50), p95: round(s.p95), n: s.n };
};
const timeline = {
  batchSpanMs: brief(spans.map((r) => r.span)),
  batchGapMs: brief(spans.flatMap((r) => (r.gap === null ? [] : [r.gap]))),
  queuedMs: brief(waits.map((r) => r.queued)),
  dispatchToStoredMs: brief(waits.map((r) => r.run)),
};
const resultsPerSecond = stored.length / seconds;
const messagesPerResult = (counted.sent + counted.received) / stored.length;
const ceiling = ceilingRate / messagesPerResult;
const serviceCpuMs = (serviceCpu.user + serviceCpu.system) / 1000;
const figures = {
  machine: `${os.cpus().length} cores, ${round(os.totalmem() / 2 ** 30, 0)} GiB, ${os.cpus()[0]?.model ?? 'unknown cpu'}`,
  database: serverUrl.replace(/:[^:@/]+@/, ':***@'),
  broker: mqttUrl,
  campaigns,
  budget,
  batchSize,
  devices: deviceCount,
  capacity,
  strategy: strategyKind,
  asynchronous: args.asynchronous,
  proposalWorkers: orchestrator.app.get(StrategyPool).size,
  experiments: total,
  stored: stored.length,
  lost: total - stored.length,
  doubled: Number(results) - stored.length - rows.filter((r) => r.status === 'failed').length,
  redispatched: rows.filter((r) => r.attempt > 1).length,
  seconds: round(seconds, 2),
  createdInS: round(createdInS, 2),
  resultsPerSecond: round(resultsPerSecond, 0),
  messagesPerResult: round(messagesPerResult, 2),
  messages: { ...counted, acceptancesSentByDevices: accepted },
  acceptAtOnce: args['accept-at-once'],
  createdOneByOne: args['create-one-by-one'],
  cpuMsPerResult: { service: round(serviceCpuMs / stored.length, 3), fleet: round(fleetCpuMs / stored.length, 3) },
  cpuSeconds: { service: round(serviceCpuMs / 1000, 2), fleet: round(fleetCpuMs / 1000, 2) },
  latencyMs: { p50: round(lat.p50), p95: round(lat.p95), p99: round(lat.p99), max: round(lat.max), measured: lat.n },
  baseline: {
    brokerMessagesPerSecond: round(ceilingRate, 0),
    brokerBefore: round(brokerRate, 0),
    brokerAfter: round(brokerRateAfter, 0),
    databaseUpdatesPerSecond: round(dbRate, 0),
  },
  timeline,
  ceilingResultsPerSecond: round(ceiling, 0),
  ratios: {
    resultsPerCeiling: round(resultsPerSecond / ceiling, 3),
    resultsPerBrokerMessage: round(resultsPerSecond / ceilingRate, 3),
    resultsPerDatabaseUpdate: round(resultsPerSecond / dbRate, 3),
  },
};
out(
  `loop throughput: ${figures.stored}/${total} results from ${campaigns} campaigns on ${deviceCount} devices in ${figures.seconds} s (strategy ${strategyKind}${args.asynchronous ? ', asynchronous campaigns' : ''}, ${figures.proposalWorkers} proposal workers)`,
);
out(
  `  ${figures.resultsPerSecond} results/s at ${figures.messagesPerResult} MQTT messages per result (the service sent ${counted.sent} and received ${counted.received}; devices sent ${accepted} acceptances${args['accept-at-once'] ? ', every command accepted at once' : ''})`,
);
out(
  `  ceiling: broker ${figures.baseline.brokerMessagesPerSecond} QoS 1 messages/s (before ${figures.baseline.brokerBefore}, after ${figures.baseline.brokerAfter}) / ${figures.messagesPerResult} = ${figures.ceilingResultsPerSecond} results/s; results/s / ceiling = ${figures.ratios.resultsPerCeiling}`,
);
out(
  `  ${figures.ratios.resultsPerDatabaseUpdate} of the database's single-row update rate; CPU per result: service ${figures.cpuMsPerResult.service} ms, device fleet ${figures.cpuMsPerResult.fleet} ms (${figures.cpuSeconds.service} s and ${figures.cpuSeconds.fleet} s in all)`,
);
out(
  `  result made -> stored latency: p50 ${figures.latencyMs.p50} ms, p95 ${figures.latencyMs.p95} ms, p99 ${figures.latencyMs.p99} ms (max ${figures.latencyMs.max} ms, ${lat.n} measured)`,
);
const t = timeline;
out(
  `  a batch: proposed -> last result stored p50 ${t.batchSpanMs.p50} ms (p95 ${t.batchSpanMs.p95}), then -> next batch proposed p50 ${t.batchGapMs.p50} ms (p95 ${t.batchGapMs.p95}); an experiment: proposed -> dispatched p50 ${t.queuedMs.p50} ms (p95 ${t.queuedMs.p95}), dispatched -> stored p50 ${t.dispatchToStoredMs.p50} ms (p95 ${t.dispatchToStoredMs.p95})`,
);
out(`  the ${campaigns} campaigns were created (${args['create-one-by-one'] ? 'one after another' : 'all at once'}) in the first ${figures.createdInS} s`);
out(`  lost ${figures.lost}, doubled ${figures.doubled}, re-dispatched ${figures.redispatched}`);

fleet.kill('SIGTERM');
await orchestrator.close();
await admin.query(`DROP DATABASE ${dbName} WITH (FORCE)`);
await admin.end();
const outDir = resolve(import.meta.dirname, '../../bench/out');
await mkdir(outDir, { recursive: true });
await writeFile(resolve(outDir, 'loop-throughput.json'), `${JSON.stringify(figures, null, 2)}\n`);
out(`figures written to bench/out/loop-throughput.json`);
process.exit(0);
