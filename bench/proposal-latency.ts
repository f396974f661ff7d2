/**
 * Proposal latency of each strategy: the time of one `ask` for a batch of 1
 * and of 8 after N = 100, 1,000 and 10,000 observations in 6 and 20
 * dimensions, and the time to score pools of 10,000 and 100,000 candidates.
 * Each figure is also given as a multiple of a machine-speed baseline measured
 * in the same run (a 1000 × 1000 Cholesky factorisation with our own linear
 * algebra), so runs on different machines can be compared.
 *
 *   npm run bench:proposals -- [--quick] [--strategies sobol,bayesian,trees,neural,default,pool]
 *
 * `neural` (the TensorFlow.js ensemble) runs on the backend selectBackend
 * picks (`HAKKEN_TF_BACKEND` forces one); the backend is printed.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  DefaultStrategy,
  encodePool,
  PoolStrategy,
  type PoolRow,
  BayesianStrategy,
  TreeEnsembleStrategy,
  sobolPoints,
  DesignStrategy,
  choleskyInPlace,
  Space,
  type Params,
  type Observation,
  type Strategy,
} from '#optimizer';
import { Rng } from '#random';
import { NeuralEnsembleStrategy } from '#surrogates-tfjs';
import { round } from './support/stats.js';

const KINDS = ['sobol', 'bayesian', 'trees', 'neural', 'default', 'pool'];
const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    strategies: { type: 'string', default: KINDS.join(',') },
  },
});
const chosen = new Set(args.strategies.split(','));
const unknown = [...chosen].filter((k) => !KINDS.includes(k));
if (unknown.length > 0) throw new Error(`--strategies: unknown ${unknown.join(', ')} (choose from ${KINDS.join(', ')})`);
const out = (line: string) => process.stdout.write(`${line}\n`);

/** An objective with structure in every dimension: a shifted sphere with ripples. */
function objective(x: number[]): number {
  return x.reduce((s, v, i) => s + (v - 0.3 - 0.02 * i) ** 2 + 0.05 * Math.sin(9 * v), 0);
}

function baselineMs(): number {
  const n = 1000;
  const rng = new Rng(1);
  const B = new Float64Array(n * n);
  for (let i = 0; i < B.length; i++) B[i] = rng.normal();
  // A = B Bᵀ / n + I is positive definite.
  const A = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += B[i * n + k] * B[j * n + k];
      A[i * n + j] = A[j * n + i] = s / n + (i === j ? 1 : 0);
    }
  }
  const t0 = performance.now();
  choleskyInPlace(A, n);
  return performance.now() - t0;
}

interface Row {
  strategy: string;
  n: number;
  d: number;
  batch: number;
  ms: number | null;
  note?: string;
}

const rows: Row[] = [];
const base = baselineMs();
out(`baseline: 1000 x 1000 Cholesky in ${round(base, 0)} ms on ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'cpu'})`);

const strategies: { kind: string; name: string; make: () => Strategy; maxN: number }[] = [
  { kind: 'sobol', name: 'design/sobol', make: () => new DesignStrategy({ kind: 'sobol' }), maxN: Infinity },
  { kind: 'bayesian', name: 'bayesian/gp-logei', make: () => new BayesianStrategy(), maxN: 300 },
  { kind: 'trees', name: 'bayesian/extra-trees-logei', make: () => new TreeEnsembleStrategy(), maxN: Infinity },
  { kind: 'neural', name: 'bayesian/neural-ensemble-logei', make: () => new NeuralEnsembleStrategy(), maxN: Infinity },
  { kind: 'default', name: 'default', make: () => new DefaultStrategy(), maxN: Infinity },
].filter((s) => chosen.has(s.kind));
const sizes = args.quick ? [100, 300, 1000] : [100, 300, 1000, 10_000];
for (const d of [6, 20]) {
  const space = new Space(
    Array.from({ length: d }, (_, i) => ({ name: `x${i}`, type: 'continuous' as const, low: 0, high: 1, scale: 'linear' as const })),
  );
  for (const n of sizes) {
    const observations: Observation[] = sobolPoints(d, n, 11).map((u) => {
      const params: Params = Object.fromEntries(u.map((v, i) => [`x${i}`, v]));
      return { params, value: objective(u) };
    });
    for (const s of strategies) {
      for (const batch of [1, 8]) {
        if (n > s.maxN) {
          rows.push({
            strategy: s.name,
            n,
            d,
            batch,
            ms: null,
            note: 'not run: an exact GP is cubic in N (the default strategy switches to trees past 200 results)',
          });
          continue;
        }
        const strategy = s.make();
        const t0 = performance.now();
        const proposals = await strategy.ask({ space, direction: 'minimize', observations, pending: [], n: batch, seed: 1 });
        const ms = performance.now() - t0;
        if (proposals.length !== batch) throw new Error(`${s.name} proposed ${proposals.length} of ${batch}`);
        rows.push({ strategy: s.name === 'default' ? `default (${strategy.info.name})` : s.name, n, d, batch, ms: round(ms, 0) });
        out(
          `  ${rows.at(-1)!.strategy.padEnd(44)} N=${String(n).padStart(6)} d=${String(d).padStart(2)} q=${batch}: ${String(round(ms, 0)).padStart(7)} ms (${round(ms / base, 2)} x baseline)`,
        );
      }
    }
  }
}

// Pools: score every candidate row (6 numeric features each) after 100 observations.
const poolRows: Row[] = [];
for (const size of !chosen.has('pool') ? [] : args.quick ? [10_000] : [10_000, 100_000]) {
  const rng = new Rng(5);
  const space = new Space([{ name: 'id', type: 'categorical', choices: ['pool'] }]);
  const pool: PoolRow[] = Array.from({ length: size }, (_, i) => ({
    id: `r${i}`,
    params: { id: 'pool' },
    features: Object.fromEntries(Array.from({ length: 6 }, (_, k) => [`f${k}`, rng.next()])),
  }));
  const t0 = performance.now();
  const X = encodePool(space, pool);
  const encodeMs = performance.now() - t0;
  const strategy = new PoolStrategy(
    pool.map((r) => r.id),
    X,
  );
  const observed = Array.from({ length: 100 }, (_, i) => ({ id: `r${i * 37}`, value: objective(X[i * 37]) }));
  for (const batch of [1, 8]) {
    const t1 = performance.now();
    const proposals = strategy.ask({ direction: 'minimize', observations: observed, pending: [], n: batch, seed: 1 });
    const ms = performance.now() - t1;
    if (proposals.length !== batch) throw new Error(`pool strategy proposed ${proposals.length} of ${batch}`);
    poolRows.push({
      strategy: 'pool/gp-logei',
      n: 100,
      d: 6,
      batch,
      ms: round(ms, 0),
      note: `pool of ${size} (encoding ${round(encodeMs, 0)} ms)`,
    });
    out(
      `  pool of ${String(size).padStart(6)} after 100 observations, q=${batch}: ${round(ms, 0)} ms (${round(ms / base, 2)} x baseline; encoding ${round(encodeMs, 0)} ms)`,
    );
  }
}

const outDir = resolve(import.meta.dirname, '../../bench/out');
await mkdir(outDir, { recursive: true });
await writeFile(
  resolve(outDir, 'proposal-latency.json'),
  `${JSON.stringify({ machine: `${os.cpus().length} cores, ${os.cpus()[0]?.model ?? 'cpu'}`, baselineCholesky1000Ms: round(base, 0), rows, pools: poolRows }, null, 2)}\n`,
);
out('figures written to bench/out/proposal-latency.json');
