/**
 * Memory of the service with 100 running campaigns: the service runs as its
 * own process (the built `main.js`) against a real PostgreSQL and broker; its
 * resident memory is read from /proc while 100 campaigns run on a fleet of
 * instant devices. The baseline is the same process idle, before any campaign.
 *
 *   npm run bench:memory -- [--campaigns 100] [--seconds 30]
 */
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { round } from './support/stats.js';

const { values: args } = parseArgs({
  options: { campaigns: { type: 'string', default: '100' }, seconds: { type: 'string', default: '30' } },
});
const campaigns = Number(args.campaigns);
const seconds = Number(args.seconds);
const serverUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const mqttUrl = process.env.MQTT_URL ?? 'mqtt://127.0.0.1:1883';
const out = (line: string) => process.stdout.write(`${line}\n`);
const root = resolve(import.meta.dirname, '../..');

function freePort(): Promise<number> {
  return new Promise((done) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => done(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

async function rssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

const admin = new pg.Client({ connectionString: serverUrl });
await admin.connect();
const dbName = `hakken_mem_${randomUUID().slice(0, 8)}`;
await admin.query(`CREATE DATABASE ${dbName}`);
const dbUrl = new URL(serverUrl);
dbUrl.pathname = `/${dbName}`;
const port = await freePort();
const token = randomBytes(24).toString('base64url');
const kind = `mem-${randomUUID().slice(0, 6)}`;

const service = spawn(process.execPath, [resolve(root, 'dist/apps/orchestrator/src/main.js')], {
  env: {
    PATH: process.env.PATH,
    DATABASE_URL: dbUrl.toString(),
    MQTT_URL: mqttUrl,
    PORT: String(port),
    LOG_LEVEL: 'warn',
    HAKKEN_TOKENS: `${token}:admin:bench`,
    HAKKEN_INSTANCE_ID: `mem-${kind}`,
    NO_COLOR: '1',
  },
  stdio: ['ignore', 'pipe', 'pipe'],
});
service.stdout.resume();
service.stderr.pipe(process.stderr);
const api = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, {
    method,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return res.json();
};
for (let i = 0; ; i++) {
  try {
    await api('GET', '/api/health');
    break;
  } catch (e) {
    if (i > 600) throw e;
    await new Promise((r) => setTimeout(r, 100));
  }
}
await new Promise((r) => setTimeout(r, 2000));
const idle = await rssMiB(service.pid!);
out(`service idle: ${round(idle, 1)} MiB resident`);

const fleet = spawn(process.execPath, [resolve(root, 'dist/bench/support/instant-fleet.js'), mqttUrl, '20', kind, '4'], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
await new Promise<void>((r) => fleet.stdout.once('data', () => r()));
for (let i = 0; i < campaigns; i++) {
  await api('POST', '/api/campaigns', {
    name: `memory ${i}`,
    parameters: Array.from({ length: 6 }, (_, k) => ({ name: `x${k}`, type: 'continuous', low: 0, high: 1 })),
    objective: { name: 'y', direction: 'minimize' },
    budget: 100_000,
    batchSize: 8,
    approval: 'auto',
    strategy: { kind: 'sobol' },
    deviceKind: kind,
    seed: i,
  });
}
const samples: number[] = [];
const t0 = Date.now();
while (Date.now() - t0 < seconds * 1000) {
  samples.push(await rssMiB(service.pid!));
  await new Promise((r) => setTimeout(r, 500));
}
const running = (await api('GET', '/api/campaigns')) as { status: string }[];
const peak = Math.max(...samples);
const last = samples.at(-1)!;
const figures = {
  machine: `${os.cpus().length} cores, ${round(os.totalmem() / 2 ** 30, 0)} GiB, ${os.cpus()[0]?.model ?? 'cpu'}`,
  campaigns,
  running: running.filter((c) => c.status === 'running').length,
  seconds,
  idleMiB: round(idle, 1),
  peakMiB: round(peak, 1),
  finalMiB: round(last, 1),
  perCampaignKiB: round(((last - idle) * 1024) / campaigns, 0),
  ratioToIdle: round(peak / idle, 2),
  targetMiB: 1024,
};
out(
  `with ${figures.running} running campaigns over ${seconds} s: peak ${figures.peakMiB} MiB, final ${figures.finalMiB} MiB resident (${figures.ratioToIdle} x idle; about ${figures.perCampaignKiB} KiB per campaign; target < 1024 MiB)`,
);

fleet.kill('SIGTERM');
service.kill('SIGTERM');
await new Promise((r) => service.once('exit', r));
await admin.query(`DROP DATABASE ${dbName} WITH (FORCE)`);
await admin.end();
const outDir = resolve(root, 'bench/out');
await mkdir(outDir, { recursive: true });
await writeFile(resolve(outDir, 'memory.json'), `${JSON.stringify(figures, null, 2)}\n`);
out('figures written to bench/out/memory.json');
process.exit(0);
