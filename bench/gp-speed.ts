/**
 * The exact GP at thousands of results: the time of one ask of the Bayesian
 * strategy (hartmann6, d = 6, q = 1) after N told results, cold (a new
 * strategy object, as the service builds for every ask) and incremental (the
 * same strategy object asked at N - 10 first, as an ask/tell session keeps
 * it), with same-run baselines: the plain-loop Cholesky of linalg/reference.ts
 * against the blocked one on an N x N matrix, and the fit that every ask made
 * before (`incremental: false`, every fit on all the data) on the same data;
 * and, on the GP of each incremental ask at the sizes of --search, the
 * acquisition search as it was before (forward differences, every raw
 * candidate's variance) against the search as the strategy now runs it above
 * 100 results (analytic gradient, candidates screened by an upper bound),
 * with the screened search on differences as the check that screening alone
 * changes nothing.
 *
 *   npm run bench:gp -- [--cold 100,300,1000] [--incremental 100,300,1000,3000] [--baseline-fit 300,1000] [--cholesky 1000,3000] [--search 1000,3000]
 */
import { parseArgs } from 'node:util';
import {
  acquisitionFor,
  BayesianStrategy,
  choleskyInPlace,
  Encoder,
  GaussianProcess,
  maximizeAcquisition,
  type Observation,
  referenceCholeskyInPlace,
  Space,
} from '#optimizer';
import { Rng } from '#random';
import { hartmann6 } from '#simulators';
import { round } from './support/stats.js';

const { values: args } = parseArgs({
  options: {
    cold: { type: 'string', default: '100,300,1000' },
    incremental: { type: 'string', default: '100,300,1000,3000' },
    'baseline-fit': { type: 'string', default: '300,1000' },
    cholesky: { type: 'string', default: '1000,3000' },
    search: { type: 'string', default: '1000,3000' },
  },
});
const sizes = (s: string) => (s === '' ? [] : s.split(',').map(Number));
const out = (line: string) => process.stdout.write(`${line}\n`);
const D = 6;
const space = new Space(
  Array.from({ length: D }, (_, i) => ({ name: `x${i + 1}`, type: 'continuous' as const, low: 0, high: 1, scale: 'linear' as const })),
);

function observations(n: number, seed: number): Observation[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => {
    const params = Object.fromEntries(space.parameters.map((p) => [p.name, rng.next()]));
    return { params, value: hartmann6.evaluate(params) };
  });
}

/** CPU time of this process in ms (on a shared machine the wall time also counts the other jobs). */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

async function askMs(strategy: BayesianStrategy, obs: Observation[]): Promise<{ wall: number; cpu: number }> {
  const t0 = performance.now();
  const c0 = cpuMs();
  await strategy.ask({ space, direction: 'minimize', observations: obs, pending: [], n: 1, seed: 1 });
  return { wall: performance.now() - t0, cpu: cpuMs() - c0 };
}

function choleskyMs(n: number): { reference: number; blocked: number } {
  const X = observations(n, 3).map((o) => space.parameters.map((p) => o.params[p.name] as number));
  const A = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const r2 = X[i].reduce((s, v, k) => s + (v - X[j][k]) ** 2, 0) / 0.09;
      A[i * n + j] = Math.exp(-0.5 * r2) + (i === j ? 1e-4 : 0);
    }
  }
  const a = Float64Array.from(A);
  let t0 = performance.now();
  referenceCholeskyInPlace(a, n);
  const reference = performance.now() - t0;
  const b = Float64Array.from(A);
  t0 = performance.now();
  choleskyInPlace(b, n);
  const blocked = performance.now() - t0;
  if (!a.every((v, i) => Object.is(v, b[i]))) throw new Error(`the blocked Cholesky differs from the reference at n = ${n}`);
  return { reference, blocked };
}

const rows: string[] = [];
const s = (ms: number) => `${round(ms / 1000, ms < 10_000 ? 2 : 1)} s`;

for (const n of sizes(args.cholesky)) {
  const { reference, blocked } = choleskyMs(n);
  out(
    `cholesky n=${n}: reference ${round(reference, 0)} ms, blocked ${round(blocked, 0)} ms (${round(reference / blocked, 1)}x), same bits`,
  );
  rows.push(
    `| Cholesky ${n} x ${n} | ${round(reference, 0)} ms (plain loops) | ${round(blocked, 0)} ms | ${round(reference / blocked, 1)}x |`,
  );
}

for (const n of sizes(args['baseline-fit'])) {
  const obs = observations(n, 1);
  const X = obs.map((o) => space.parameters.map((p) => o.params[p.name] as number));
  const y = obs.map((o) => o.value as number);
  let t0 = performance.now();
  const before = new GaussianProcess({ incremental: false });
  before.fit(X, y);
  const beforeMs = performance.now() - t0;
  t0 = performance.now();
  const now = new GaussianProcess();
  now.fit(X, y);
  const nowMs = performance.now() - t0;
  out(
    `cold fit n=${n}: every fit on all the data ${round(beforeMs, 0)} ms (log evidence ${round(before.logEvidence, 2)}), ` +
      `subsample then all the data ${round(nowMs, 0)} ms (log evidence ${round(now.logEvidence, 2)})`,
  );
  rows.push(
    `| cold GP fit, N = ${n} | ${s(beforeMs)} (log evidence ${round(before.logEvidence, 1)}) | ${s(nowMs)} (${round(now.logEvidence, 1)}) | ${round(beforeMs / nowMs, 1)}x |`,
  );
}

for (const n of sizes(args.cold)) {
  const ms = await askMs(new BayesianStrategy(), observations(n, 1));
  out(`ask cold n=${n}: ${round(ms.wall, 0)} ms (cpu ${round(ms.cpu, 0)} ms)`);
  rows.push(`| ask, cold, N = ${n} | | ${s(ms.wall)} (cpu ${s(ms.cpu)}) | |`);
}

/** The acquisition search on the GP of an ask: before (differences, all candidates), screened only, and now. */
function searchRows(n: number, strategy: BayesianStrategy, obs: Observation[]): void {
  const fit = strategy.lastFit;
  if (!fit) throw new Error('the strategy has no fit');
  const enc = new Encoder(space);
  const best = fit.warp.forward(-Math.min(...obs.map((o) => o.value as number)));
  let points = 0;
  const counted = {
    fit: () => undefined,
    posterior: (P: number[][]) => {
      points += P.length;
      return fit.gp.posterior(P);
    },
    posteriorGradient: (x: readonly number[], dm: Float64Array, dv: Float64Array) => fit.gp.posteriorGradient(x, dm, dv),
    posteriorBound: (P: number[][]) => fit.gp.posteriorBound(P),
  };
  const run = (gradient: 'differences' | 'analytic', screen: boolean) => {
    points = 0;
    const acq = acquisitionFor({ kind: 'logEI' }, counted, best, new Rng(1));
    const t0 = performance.now();
    const c0 = cpuMs();
    const found = maximizeAcquisition(acq, enc, { seed: 11, gradient, screen });
    if (!found) throw new Error('the search found nothing');
    return { wall: performance.now() - t0, cpu: cpuMs() - c0, points, ...found };
  };
  const before = run('differences', false);
  const screened = run('differences', true);
  const now = run('analytic', true);
  const same = screened.x.every((v, i) => Object.is(v, before.x[i])) && Object.is(screened.value, before.value);
  const dist = Math.sqrt(now.x.reduce((a, v, i) => a + (v - before.x[i]) ** 2, 0));
  out(
    `search n=${n}: before ${round(before.wall, 0)} ms (cpu ${round(before.cpu, 0)} ms, ${before.points} posterior points, log EI ${before.value}), ` +
      `screened ${round(screened.wall, 0)} ms (cpu ${round(screened.cpu, 0)} ms, ${screened.points} points, ${same ? 'the same point and value' : 'A DIFFERENT RESULT'}), ` +
      `now ${round(now.wall, 0)} ms (cpu ${round(now.cpu, 0)} ms, ${now.points} points + gradients, log EI ${now.value}, ${dist.toExponential(1)} from the point before)`,
  );
  if (!same) throw new Error(`screening changed the search's result at n = ${n}`);
  rows.push(
    `| acquisition search, N = ${n} (log EI ${round(before.value, 6)} → ${round(now.value, 6)}) | ${s(before.wall)} (cpu ${s(before.cpu)}) | ${s(now.wall)} (cpu ${s(now.cpu)}) | ${round(before.cpu / now.cpu, 1)}x (cpu) |`,
  );
}

const searchAt = new Set(sizes(args.search));
for (const n of sizes(args.incremental)) {
  const obs = observations(n, 1);
  const strategy = new BayesianStrategy();
  const first = await askMs(strategy, obs.slice(0, n - 10));
  const ms = await askMs(strategy, obs);
  out(
    `ask incremental n=${n}: ${round(ms.wall, 0)} ms (cpu ${round(ms.cpu, 0)} ms; the ask at n=${n - 10} before it, cold: ${round(first.wall, 0)} ms, cpu ${round(first.cpu, 0)} ms)`,
  );
  rows.push(`| ask, incremental (after N - 10), N = ${n} | | ${s(ms.wall)} (cpu ${s(ms.cpu)}) | |`);
  if (searchAt.has(n)) searchRows(n, strategy, obs);
}

out('');
out('| what | before (same run) | now | ratio |');
out('|---|---|---|---|');
for (const r of rows) out(r);
