/**
 * The exact GP at thousands of results: the time of one ask of the Bayesian
 * strategy (hartmann6, d = 6, q = 1) after N told results, cold (a new
 * strategy object, as the service builds for every ask) and incremental (the
 * same strategy object asked at N - 10 first, as an ask/tell session keeps
 * it), with same-run baselines: the plain-loop Cholesky of linalg/reference.ts
 * against the blocked one on an N x N matrix, and the fit that every ask made
 * before (`incremental: false`, every fit on all the data) on the same data.
 *
 *   npm run bench:gp -- [--cold 100,300,1000] [--incremental 100,300,1000,3000] [--baseline-fit 300,1000] [--cholesky 1000,3000]
 */
import { parseArgs } from 'node:util';
import { BayesianStrategy, choleskyInPlace, GaussianProcess, type Observation, referenceCholeskyInPlace, Space } from '#optimizer';
import { Rng } from '#random';
import { hartmann6 } from '#simulators';
import { round } from './support/stats.js';

const { values: args } = parseArgs({
  options: {
    cold: { type: 'string', default: '100,300,1000' },
    incremental: { type: 'string', default: '100,300,1000,3000' },
    'baseline-fit': { type: 'string', default: '300,1000' },
    cholesky: { type: 'string', default: '1000,3000' },
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

for (const n of sizes(args.incremental)) {
  const obs = observations(n, 1);
  const strategy = new BayesianStrategy();
  const first = await askMs(strategy, obs.slice(0, n - 10));
  const ms = await askMs(strategy, obs);
  out(
    `ask incremental n=${n}: ${round(ms.wall, 0)} ms (cpu ${round(ms.cpu, 0)} ms; the ask at n=${n - 10} before it, cold: ${round(first.wall, 0)} ms)`,
  );
  rows.push(`| ask, incremental (after N - 10), N = ${n} | | ${s(ms.wall)} (cpu ${s(ms.cpu)}) | |`);
}

out('');
out('| what | before (same run) | now | ratio |');
out('|---|---|---|---|');
for (const r of rows) out(r);
