/**
 * The service's asks, cold against warm: one proposal (q = 1) of a campaign's
 * strategy in 6 dimensions after N results, through the strategy pool on a
 * worker thread, as the loop asks (proposer.service.ts). The strategy is the
 * exact GP (`bayesian`) by default: the default strategy keeps it up to about
 * 540 results in 6 dimensions and asks its trees after that (`--kind default`).
 *
 * - cold: an ask that names no campaign, so its worker builds a fresh
 *   strategy and fits its GP afresh (every service ask did so before the
 *   strategy cache);
 * - warm: asks that name their campaign, one result more each time, after
 *   one untimed ask at N − repeats − 1: the pool sends them to the worker
 *   that keeps the campaign's strategy, whose GP extends its fit.
 *
 * Both in the same process, each N at its own campaign. Wall: the pool's
 * round trip; CPU: the process's CPU time over the ask (the worker's fit, as
 * the main thread waits idle).
 *
 *   npm run bench:service-asks -- [--sizes 300,1000] [--repeats 3] [--kind bayesian]
 */
import { parseArgs } from 'node:util';
import type { Observation } from '#optimizer';
import { Rng } from '#random';
import { parseCampaignDefinition } from '../apps/orchestrator/src/campaigns/campaign-definition.js';
import { strategyDefinition, type AskJob } from '../apps/orchestrator/src/compute/strategy-ask.js';
import { StrategyPool } from '../apps/orchestrator/src/compute/strategy-pool.js';
import { round } from './support/stats.js';

const { values: args } = parseArgs({
  options: {
    sizes: { type: 'string', default: '300,1000' },
    repeats: { type: 'string', default: '3' },
    kind: { type: 'string', default: 'bayesian' },
  },
});
const sizes = args.sizes.split(',').map(Number);
const repeats = Number(args.repeats);
if (sizes.some((n) => !Number.isInteger(n) || n <= repeats + 1) || !(repeats >= 1))
  throw new Error(`--sizes needs integers above --repeats + 1, --repeats a positive integer (got ${args.sizes}, ${args.repeats})`);
const out = (line: string) => process.stdout.write(`${line}\n`);
const DIM = 6;

const definition = parseCampaignDefinition({
  name: 'service-asks',
  parameters: Array.from({ length: DIM }, (_, i) => ({ name: `x${i + 1}`, type: 'continuous', low: 0, high: 1 })),
  objective: { name: 'y', direction: 'minimize' },
  budget: 100_000,
  batchSize: 1,
  strategy: { kind: args.kind },
  seed: 1,
});

/** A shifted sphere with ripples, at seeded uniform points. */
function observations(count: number, seed: number): Observation[] {
  const rng = new Rng(seed);
  return Array.from({ length: count }, () => {
    const x = Array.from({ length: DIM }, () => rng.next());
    const value = x.reduce((s, v, i) => s + (v - 0.3 - 0.02 * i) ** 2 + 0.05 * Math.sin(9 * v), 0);
    return { params: Object.fromEntries(x.map((v, i) => [`x${i + 1}`, v])), value };
  });
}

function job(data: Observation[], campaign?: string): AskJob {
  return {
    definition: strategyDefinition(definition),
    direction: 'minimize',
    observations: data,
    pending: [],
    rejected: [],
    n: 1,
    seed: 7,
    ...(campaign ? { campaign: { id: campaign, definitionVersion: 1 } } : {}),
  };
}

async function timed(pool: StrategyPool, request: AskJob): Promise<{ wallMs: number; cpuMs: number; kept: boolean; name: string }> {
  const cpu = process.cpuUsage();
  const began = performance.now();
  const outcome = await pool.ask(request);
  const wallMs = performance.now() - began;
  const used = process.cpuUsage(cpu);
  return { wallMs, cpuMs: (used.user + used.system) / 1000, kept: outcome.kept === true, name: outcome.info.name };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const seconds = (ms: number) => round(ms / 1000, 2);

const pool = new StrategyPool({ size: 1 });
if (pool.size === 0) throw new Error('no compiled strategy worker: run through npm run bench:service-asks (it builds first)');
out(`service asks through the strategy pool (1 worker), strategy ${args.kind}, d = ${DIM}, q = 1, ${repeats} timed asks each way`);
out('| N | cold: wall (CPU) s | warm: wall (CPU) s | ratio (CPU) | strategy |');
out('|---|---|---|---|---|');
try {
  for (const n of sizes) {
    const data = observations(n, n);
    const cold = [];
    for (let r = repeats - 1; r >= 0; r--) cold.push(await timed(pool, job(data.slice(0, n - r))));
    // The campaign's first ask fits afresh and is kept; each later one brings one result more.
    await pool.ask(job(data.slice(0, n - repeats), `campaign-${n}`));
    const warm = [];
    for (let r = repeats - 1; r >= 0; r--) warm.push(await timed(pool, job(data.slice(0, n - r), `campaign-${n}`)));
    if (!warm.every((w) => w.kept)) throw new Error(`N = ${n}: a warm ask did not find its campaign's strategy kept`);
    const [cw, cc, ww, wc] = [cold.map((c) => c.wallMs), cold.map((c) => c.cpuMs), warm.map((w) => w.wallMs), warm.map((w) => w.cpuMs)].map(
      mean,
    );
    out(`| ${n} | ${seconds(cw)} (${seconds(cc)}) | ${seconds(ww)} (${seconds(wc)}) | ${round(cc / wc, 1)}× | ${warm[0].name} |`);
  }
} finally {
  await pool.close();
}
