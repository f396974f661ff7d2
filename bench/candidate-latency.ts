/**
 * Ask latency of a campaign over a 100,000-row candidate list, in the
 * service: upload the list as CSV, create a campaign that names it with 100
 * earlier results at rows of the list, and time its first batch of 8 (from
 * the request to the batch stored), then a second one (after a rejection:
 * the list is read and encoded once per process and kept). Beside it, the
 * same ask of the optimizer alone in this process (PoolStrategy, the
 * incremental believer, and the re-scoring believer as the old way): what the
 * service adds is reading, checking and handing the list to a worker thread.
 *
 *   npm run bench:candidate-latency -- [--rows 100000] [--results 100]
 *
 * Needs PostgreSQL (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/postgres)
 * and an MQTT broker (MQTT_URL, default mqtt://127.0.0.1:1883).
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { encodePool, PoolStrategy, Space, type Parameter, type PoolRow } from '#optimizer';
import { Rng } from '#random';
import { startOrchestrator } from '../apps/orchestrator/src/bootstrap.js';
import { loadConfig } from '../apps/orchestrator/src/common/config.js';
import { round } from './support/stats.js';

const { values: args } = parseArgs({
  options: { rows: { type: 'string', default: '100000' }, results: { type: 'string', default: '100' } },
});
const rowCount = Number(args.rows);
const resultCount = Number(args.results);
const out = (line: string) => process.stdout.write(`${line}\n`);
const serverUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const mqttUrl = process.env.MQTT_URL ?? 'mqtt://127.0.0.1:1883';

// A synthetic list: 4 continuous parameters on a grid of 0.01, a categorical one of 5 choices, 2 descriptors.
const parameters: Parameter[] = [
  ...['x1', 'x2', 'x3', 'x4'].map((name) => ({ name, type: 'continuous' as const, low: 0, high: 1, scale: 'linear' as const })),
  { name: 'solvent', type: 'categorical', choices: ['A', 'B', 'C', 'D', 'E'] },
];
const rng = new Rng(7);
const seen = new Set<string>();
const rows: Record<string, string | number>[] = [];
while (rows.length < rowCount) {
  const r = {
    x1: rng.int(101) / 100,
    x2: rng.int(101) / 100,
    x3: rng.int(101) / 100,
    x4: rng.int(101) / 100,
    solvent: 'ABCDE'[rng.int(5)],
    polarity: 0,
    bulk: 0,
  };
  const key = `${r.x1}|${r.x2}|${r.x3}|${r.x4}|${r.solvent}`;
  if (seen.has(key)) continue;
  seen.add(key);
  r.polarity = Math.round((r.x1 * 2 + 'ABCDE'.indexOf(r.solvent)) * 1000) / 1000;
  r.bulk = Math.round((r.x2 + r.x3 * r.x4) * 1000) / 1000;
  rows.push(r);
}
const value = (r: Record<string, string | number>) =>
  -(((r.x1 as number) - 0.3) ** 2) -
  ((r.x2 as number) - 0.6) ** 2 -
  ((r.x3 as number) - 0.5) ** 2 -
  0.5 * (r.x4 as number) +
  0.1 * 'ABCDE'.indexOf(r.solvent as string);
const csv = [Object.keys(rows[0]).join(','), ...rows.map((r) => Object.values(r).join(','))].join('\n');
const earlier = Array.from({ length: resultCount }, (_, i) => rows[(i * 997) % rows.length]);

// The optimizer alone, in this process: the same rows, results and batch.
const poolRows: PoolRow[] = rows.map((r, i) => ({
  id: String(i),
  params: { x1: r.x1, x2: r.x2, x3: r.x3, x4: r.x4, solvent: r.solvent },
  features: { polarity: r.polarity as number, bulk: r.bulk as number },
}));
const observations = earlier.map((r) => ({ id: String(rows.indexOf(r)), value: value(r) }));
const inProcess: Record<string, number> = {};
for (const believer of ['rescoring', 'incremental'] as const) {
  const t0 = performance.now();
  const X = encodePool(new Space(parameters), poolRows);
  new PoolStrategy(
    poolRows.map((r) => r.id),
    X,
    6,
    { believer },
  ).ask({ direction: 'maximize', observations, pending: [], n: 8, seed: 1 });
  inProcess[believer] = (performance.now() - t0) / 1000;
}

const admin = new pg.Client({ connectionString: serverUrl });
await admin.connect();
const dbName = `hakken_bench_${randomUUID().slice(0, 8)}`;
await admin.query(`CREATE DATABASE ${dbName}`);
const dbUrl = new URL(serverUrl);
dbUrl.pathname = `/${dbName}`;
const token = `bench-${randomUUID()}`;
const orchestrator = await startOrchestrator({
  ...loadConfig({}),
  databaseUrl: dbUrl.toString(),
  mqttUrl,
  httpPort: 0,
  logLevel: 'warn',
  loopIntervalMs: 50,
  instanceId: `bench-${randomUUID().slice(0, 6)}`,
  tokens: [{ token, role: 'admin', name: 'bench' }],
});
const api = async <T>(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<T> => {
  const res = await fetch(`${orchestrator.httpUrl}${path}`, {
    method,
    headers: { 'content-type': contentType, authorization: `Bearer ${token}` },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const json = (await res.json()) as T;
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json).slice(0, 2000)}`);
  return json;
};
type Campaign = { batches: { id: string; status: string; strategy: { elapsedMs: number } }[] };
const batchAfter = async (id: string, count: number): Promise<Campaign['batches'][number]> => {
  for (;;) {
    const c = await api<Campaign>('GET', `/api/campaigns/${id}`);
    if (c.batches.length >= count) return c.batches[count - 1];
    await new Promise((r) => setTimeout(r, 20));
  }
};

try {
  let t0 = performance.now();
  const list = await api<{ id: string; rows: number }>(
    'POST',
    '/api/candidate-lists?name=bench&descriptors=polarity,bulk',
    csv,
    'text/csv',
  );
  const uploadS = (performance.now() - t0) / 1000;
  t0 = performance.now();
  const campaign = await api<{ id: string }>('POST', '/api/campaigns', {
    name: 'bench: candidate list',
    parameters,
    objective: { name: 'y', direction: 'maximize' },
    budget: 1000,
    batchSize: 8,
    approval: 'manual',
    seed: 1,
    candidates: { list: list.id },
    earlierResults: {
      source: 'bench',
      results: earlier.map((r) => ({ params: { x1: r.x1, x2: r.x2, x3: r.x3, x4: r.x4, solvent: r.solvent }, value: value(r) })),
    },
  });
  const createS = (performance.now() - t0) / 1000;
  const first = await batchAfter(campaign.id, 1);
  const firstS = (performance.now() - t0) / 1000;
  t0 = performance.now();
  await api('POST', `/api/campaigns/${campaign.id}/batches/${first.id}/reject`, {});
  const second = await batchAfter(campaign.id, 2);
  const secondS = (performance.now() - t0) / 1000;

  out(
    `# A campaign over a candidate list of ${list.rows.toLocaleString('en')} rows, ${resultCount} earlier results, batches of 8 (node ${process.version})`,
  );
  out('');
  out('| step | s |');
  out('|---|---|');
  out(`| upload the list (CSV, ${round(csv.length / 2 ** 20, 1)} MiB) | ${round(uploadS, 2)} |`);
  out(`| create the campaign (the list read and checked against its parameters) | ${round(createS, 2)} |`);
  out(`| creation to first batch stored (of which the strategy: ${round(first.strategy.elapsedMs / 1000, 2)}) | ${round(firstS, 2)} |`);
  out(
    `| rejection to the next batch stored (of which the strategy: ${round(second.strategy.elapsedMs / 1000, 2)}) | ${round(secondS, 2)} |`,
  );
  out(`| same-run baseline: the optimizer alone, encoding and an ask of 8, incremental believer | ${round(inProcess.incremental, 2)} |`);
  out(`| same-run baseline: the optimizer alone, the old re-scoring believer | ${round(inProcess.rescoring, 2)} |`);
} finally {
  await orchestrator.close();
  await admin.query(`DROP DATABASE ${dbName} WITH (FORCE)`);
  await admin.end();
}
