/**
 * Surrogate fit and predict times: the exact GP (small N only: its fit is
 * O(N³) per likelihood evaluation), extremely randomised trees, and the
 * TensorFlow.js deep ensemble on every TensorFlow.js backend present (cpu,
 * wasm, webgpu where Dawn finds a GPU, and tensorflow — CPU or GPU — where a
 * native package is installed).
 * Baselines measured in the same run: a plain Float64Array matrix product
 * against tf.matMul of the same size on each backend, and each ensemble row
 * against the same fit on the cpu backend.
 *
 *   npm run bench:surrogates -- [--sizes 1000,10000,30000] [--dims 6,20]
 *     [--predict 10000,100000] [--gp-sizes 250,1000] [--backends cpu,wasm,webgpu,tensorflow]
 *     [--max-steps 2000] [--members 5]
 *
 * Prints a table and writes bench/out/surrogates.json.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '#random';
import { ExtraTrees, GaussianProcess, readPosterior, type Surrogate } from '#optimizer';
import { BACKEND_NAMES, type BackendName, NeuralEnsemble, selectBackend } from '#surrogates-tfjs';
import { round } from './support/stats.js';

const { values: args } = parseArgs({
  options: {
    sizes: { type: 'string', default: '1000,10000,30000' },
    dims: { type: 'string', default: '6,20' },
    predict: { type: 'string', default: '10000,100000' },
    'gp-sizes': { type: 'string', default: '250,1000' },
    backends: { type: 'string', default: BACKEND_NAMES.join(',') },
    'max-steps': { type: 'string', default: '2000' },
    members: { type: 'string', default: '5' },
  },
});
const list = (s: string) =>
  s
    .split(',')
    .filter((v) => v.trim() !== '')
    .map(Number);
const sizes = list(args.sizes);
const dims = list(args.dims);
const predictSizes = list(args.predict);
const gpSizes = list(args['gp-sizes']);
const maxSteps = Number(args['max-steps']);
const members = Number(args.members);
const wanted = args.backends.split(',').map((b) => b.trim());
for (const b of wanted)
  if (!(BACKEND_NAMES as readonly string[]).includes(b))
    throw new Error(`--backends: unknown backend "${b}" (expected ${BACKEND_NAMES.join(', ')})`);
const out = (line: string) => process.stdout.write(`${line}\n`);

interface Row {
  surrogate: string;
  backend: string;
  n: number;
  d: number;
  fitMs: number;
  /** Predict time (ms) for each pool size. */
  predictMs: Record<string, number>;
  /** Root-mean-square error of the mean on the first pool's noisy outcomes (noise sd 0.05): the fit's quality, to compare backends. */
  rmse: number;
  /** For the ensemble: cpu-backend time / this time (fit), when the cpu row exists. */
  fitSpeedupVsCpu?: number;
  predictSpeedupVsCpu?: Record<string, number>;
  note?: string;
}

function problem(n: number, d: number, seed: number): { X: number[][]; y: number[] } {
  const rng = new Rng(seed);
  const X = Array.from({ length: n }, () => Array.from({ length: d }, () => rng.next()));
  const y = X.map((x) => x.reduce((a, v, j) => a + Math.sin(3 * v + j) * (1 + (j % 3)), 0) + 0.05 * rng.normal());
  return { X, y };
}

async function time<T>(f: () => T | Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await f();
  return { ms: performance.now() - t0, value };
}

async function measure(name: string, backend: string, make: () => Surrogate, n: number, d: number, pools: number[]): Promise<Row> {
  const { X, y } = problem(n, d, 1000 + n + d);
  const model = make();
  const fit = await time(() => model.fit(X, y));
  const predictMs: Record<string, number> = {};
  let rmse = NaN;
  for (const m of pools) {
    const pool = problem(m, d, 7);
    const p = await time(() => readPosterior(model, pool.X));
    if (!p.value.variance.every((v) => Number.isFinite(v) && v >= 0))
      throw new Error(`${name}: non-finite or negative variance in the benchmark`);
    predictMs[m] = round(p.ms, 0);
    if (Number.isNaN(rmse)) rmse = Math.sqrt(pool.y.reduce((a, v, i) => a + (v - p.value.mean[i]) ** 2, 0) / m);
  }
  const row: Row = { surrogate: name, backend, n, d, fitMs: round(fit.ms, 0), predictMs, rmse: round(rmse, 3) };
  out(
    `  ${name.padEnd(14)} ${backend.padEnd(10)} N=${String(n).padStart(6)} d=${String(d).padStart(2)}  fit ${fmt(row.fitMs)}  predict ${pools.map((m) => `${m}: ${fmt(predictMs[m])}`).join(', ')}  RMSE ${row.rmse}`,
  );
  return row;
}

function fmt(ms: number): string {
  return ms >= 10_000 ? `${round(ms / 1000, 1)} s` : `${Math.round(ms)} ms`;
}

/** The same-run baseline: C = A·B for n×n matrices in plain TypeScript (i-k-j order, Float64Array). */
function jsMatMul(n: number): number {
  const rng = new Rng(1);
  const a = Float64Array.from({ length: n * n }, () => rng.next());
  const b = Float64Array.from({ length: n * n }, () => rng.next());
  const c = new Float64Array(n * n);
  const t0 = performance.now();
  for (let i = 0; i < n; i++)
    for (let k = 0; k < n; k++) {
      const aik = a[i * n + k];
      for (let j = 0; j < n; j++) c[i * n + j] += aik * b[k * n + j];
    }
  return performance.now() - t0;
}

async function tfMatMul(n: number): Promise<number> {
  const a = tf.randomUniform([n, n]);
  const b = tf.randomUniform([n, n]);
  const warm = tf.matMul(a, b); // warm-up (kernel set-up, shader compilation)
  await warm.data();
  warm.dispose();
  const t0 = performance.now();
  const c = tf.matMul(a, b);
  await c.data(); // asynchronous: webgpu has no synchronous read
  const ms = performance.now() - t0;
  tf.dispose([a, b, c]);
  return ms;
}

const selected = await selectBackend(undefined, { logger: (l) => out(l) });
const cpus = os.cpus();
const machine = {
  cores: cpus.length,
  cpuModel: cpus[0]?.model ?? 'unknown',
  memoryGiB: round(os.totalmem() / 2 ** 30, 0),
  node: process.version,
  loadAverageAtStart: os.loadavg().map((v) => round(v, 2)),
  selectedBackend: selected,
};
out(
  `machine: ${machine.cores} cores, ${machine.cpuModel}, ${machine.memoryGiB} GiB, Node ${machine.node}, load ${machine.loadAverageAtStart.join(' ')}`,
);

// Backends present: the native one only if selectBackend could register it.
const backends: { name: BackendName; device: string }[] = [];
for (const name of wanted as BackendName[]) {
  if (name === 'tensorflow' && !tf.findBackendFactory('tensorflow')) {
    out('  tensorflow: not installed (no @tensorflow/tfjs-node-gpu / tfjs-node), skipped');
    continue;
  }
  // WebGPU needs the adapter that selectBackend looks for: only where it was selected.
  if (name === 'webgpu' && selected.name !== 'webgpu') {
    out('  webgpu: not selected (see the selection line above), skipped');
    continue;
  }
  if (!(await tf.setBackend(name))) {
    out(`  ${name}: setBackend returned false, skipped`);
    continue;
  }
  await tf.ready();
  const device = name === selected.name ? selected.device : name === 'cpu' ? 'CPU (pure JavaScript)' : name;
  backends.push({ name, device });
}

out('\nbaseline: n×n matrix product, plain Float64Array TypeScript vs tf.matMul (float32)');
const matmulN = 512;
const jsMs = jsMatMul(matmulN);
const matmul: Record<string, { ms: number; speedupVsJs: number }> = { 'plain TypeScript': { ms: round(jsMs, 1), speedupVsJs: 1 } };
for (const b of backends) {
  await tf.setBackend(b.name);
  const ms = await tfMatMul(matmulN);
  matmul[b.name] = { ms: round(ms, 1), speedupVsJs: round(jsMs / ms, 2) };
}
for (const [k, v] of Object.entries(matmul))
  out(`  ${k.padEnd(18)} ${matmulN}×${matmulN}: ${v.ms} ms (${v.speedupVsJs}× plain TypeScript)`);

const rows: Row[] = [];
out('\nsurrogates (fit on N points in d dimensions; predict mean and variance on pools):');
for (const d of dims) {
  for (const n of gpSizes) rows.push(await measure('GP', 'js', () => new GaussianProcess({ seed: 1 }), n, d, predictSizes.slice(0, 1)));
  for (const n of sizes) rows.push(await measure('ExtraTrees', 'js', () => new ExtraTrees({ seed: 1 }), n, d, predictSizes));
  for (const b of backends) {
    if (!(await tf.setBackend(b.name))) throw new Error(`setBackend("${b.name}") returned false during the benchmark`);
    for (const n of sizes) {
      const make = () => new NeuralEnsemble({ seed: 1, members, maxSteps, minSteps: Math.min(500, maxSteps), logger: () => {} });
      rows.push(await measure('NeuralEnsemble', b.name, make, n, d, predictSizes));
    }
  }
}
for (const r of rows) {
  if (r.surrogate !== 'NeuralEnsemble' || r.backend === 'cpu') continue;
  const base = rows.find((c) => c.surrogate === r.surrogate && c.backend === 'cpu' && c.n === r.n && c.d === r.d);
  if (!base) continue;
  r.fitSpeedupVsCpu = round(base.fitMs / r.fitMs, 2);
  r.predictSpeedupVsCpu = Object.fromEntries(Object.keys(r.predictMs).map((m) => [m, round(base.predictMs[m] / r.predictMs[m], 2)]));
}

out(
  '\n| surrogate | backend | N | d | fit | ' +
    predictSizes.map((m) => `predict ${m}`).join(' | ') +
    ' | held-out RMSE | vs cpu backend (fit / predict) |',
);
out('|---|---|---|---|---|' + predictSizes.map(() => '---|').join('') + '---|---|');
for (const r of rows) {
  const preds = predictSizes.map((m) => (r.predictMs[m] === undefined ? '–' : fmt(r.predictMs[m])));
  const ratio =
    r.fitSpeedupVsCpu === undefined
      ? ''
      : `${r.fitSpeedupVsCpu}× / ${Object.values(r.predictSpeedupVsCpu ?? {})
          .map((v) => `${v}×`)
          .join(', ')}`;
  out(`| ${r.surrogate} | ${r.backend} | ${r.n} | ${r.d} | ${fmt(r.fitMs)} | ${preds.join(' | ')} | ${r.rmse} | ${ratio} |`);
}

const figures = {
  machine,
  backends,
  settings: {
    sizes,
    dims,
    predictSizes,
    gpSizes,
    ensemble: new NeuralEnsemble({ members, maxSteps, minSteps: Math.min(500, maxSteps) }).description,
  },
  baseline: { matmulN, matmul },
  rows,
};
const outDir = resolve(import.meta.dirname, '../../bench/out');
await mkdir(outDir, { recursive: true });
await writeFile(resolve(outDir, 'surrogates.json'), `${JSON.stringify(figures, null, 2)}\n`);
out('figures written to bench/out/surrogates.json');
