/**
 * Batches from large candidate pools: the Kriging believer that re-scores
 * every row after each pick (the old way, `believer: 'rescoring'`) against
 * the incremental one (bo/believer.ts, the default), in the same process.
 *
 * 1. Speed: one ask of a batch of 8 (and of 1) from a pool of 100,000 rows
 *    (6 numeric features) after N = 100 results, both ways; the time of the
 *    GP fit, which both share, is given apart.
 * 2. Proposals: closed loops, seed for seed, on the direct-arylation pool
 *    (1,728 measured reactions, yield, DFT descriptors) and the asktell
 *    benchmark's pool_activity (300 rows, noise sd 0.1), batches of 4: the
 *    final regret each way and how many loops proposed the same rows.
 *
 *   npm run bench:pool-batch -- [--rows 100000] [--results 100] [--seeds 0-4] [--skip-loops]
 */
import { parseArgs } from 'node:util';
import { encodePool, PoolStrategy, type PoolRow, Space, type PoolStrategyOptions } from '#optimizer';
import { Rng } from '#random';
import { directArylationEmulator } from '#simulators';
import { problemByName } from './asktell/problems.js';
import { round } from './support/stats.js';

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '100000' },
    results: { type: 'string', default: '100' },
    seeds: { type: 'string', default: '0-4' },
    'skip-loops': { type: 'boolean', default: false },
  },
});
const out = (line: string) => process.stdout.write(`${line}\n`);
const WAYS: { name: string; options: PoolStrategyOptions }[] = [
  { name: 'rescoring (old)', options: { believer: 'rescoring' } },
  { name: 'incremental', options: {} },
];

function speed(rows: number, results: number): void {
  const dim = 6;
  const rng = new Rng(11);
  const X = Array.from({ length: rows }, () => Array.from({ length: dim }, () => rng.next()));
  const ids = X.map((_, i) => `r${i}`);
  const f = (x: number[]) => -x.reduce((s, v, k) => s + (v - 0.3 - 0.05 * k) ** 2 - 0.04 * Math.cos(10 * v), 0);
  const observations = Array.from({ length: results }, (_, i) => ({ id: ids[i * 7], value: f(X[i * 7]) + 0.01 * rng.normal() }));
  out(`## One ask from a pool of ${rows.toLocaleString('en')} rows (${dim} features) after ${results} results`);
  out('');
  out('| batch | believer | ask, wall (s) | ask, CPU of this process (s) | same rows as the old way |');
  out('|---|---|---|---|---|');
  for (const n of [1, 8]) {
    let reference: string[] | undefined;
    let oldS = NaN;
    let oldCpu = NaN;
    for (const way of WAYS) {
      // A fresh strategy each time: the GP fit starts from scratch, as in the service.
      const pool = new PoolStrategy(ids, X, 6, way.options);
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      const batch = pool.ask({ direction: 'maximize', observations, pending: [], n, seed: 1 });
      const s = (performance.now() - t0) / 1000;
      const c = process.cpuUsage(c0);
      const cpuS = (c.user + c.system) / 1e6;
      const got = batch.map((p) => p.id);
      reference ??= got;
      const old = way.options.believer === 'rescoring';
      if (old) [oldS, oldCpu] = [s, cpuS];
      const faster = (a: number, b: number) => (old ? '' : ` (${round(a / b, 1)}× less)`);
      out(
        `| ${n} | ${way.name} | ${round(s, 2)}${faster(oldS, s)} | ${round(cpuS, 2)}${faster(oldCpu, cpuS)} | ${JSON.stringify(got) === JSON.stringify(reference) ? 'yes' : 'NO'} |`,
      );
    }
  }
  out('');
  out('The ask of a batch of 1 is the GP fit and one scoring of every row: the floor for any batch.');
  out('');
}

function arylationPool(): { rows: PoolRow[]; value: Map<string, number>; space: Space; best: number } {
  const em = directArylationEmulator();
  const params = em.campaignParameters();
  const space = new Space(params);
  const rows: PoolRow[] = [];
  const value = new Map<string, number>();
  const comps = ['base', 'ligand', 'solvent'];
  const combos = (k: number, acc: Record<string, string>): Record<string, string>[] =>
    k === params.length
      ? [acc]
      : (params[k] as { choices: string[] }).choices.flatMap((c) => combos(k + 1, { ...acc, [params[k].name]: c }));
  for (const p of combos(0, {})) {
    const r = em.evaluate(p);
    if (!r.ok) continue;
    const id = Object.values(p).join('/');
    const features: Record<string, number> = {};
    for (const c of comps) for (const [d, v] of Object.entries(em.descriptors[c][p[c]])) features[`${c}_${d}`] = v;
    features.concentration = Number(p.concentration_M);
    features.temperature = Number(p.temperature_C);
    rows.push({ id, params: p, features });
    value.set(id, r.values.yield);
  }
  return { rows, value, space, best: Math.max(...value.values()) };
}

interface LoopProblem {
  name: string;
  rows: PoolRow[];
  space: Space;
  best: number;
  noiseSd: number;
  value(id: string): number;
}

function loops(seeds: number[]): void {
  const ary = arylationPool();
  const act = problemByName('pool_activity');
  const problems: LoopProblem[] = [
    { name: 'direct arylation (1,728 rows)', ...ary, noiseSd: 0, value: (id) => ary.value.get(id) as number },
    {
      name: 'pool_activity (300 rows)',
      rows: act.pool as PoolRow[],
      space: new Space(
        act.parameters.map((p) => ({ ...p, choices: (p as { choices: string[] }).choices })) as ConstructorParameters<typeof Space>[0],
      ),
      best: act.optimum,
      noiseSd: act.noiseSd ?? 0,
      value: (id) => (act.evaluate({ id }) as { values: Record<string, number> }).values.activity,
    },
  ];
  const budget = 40;
  const batch = 4;
  out(`## Closed loops: budget ${budget}, batches of ${batch}, seeds ${seeds[0]}–${seeds[seeds.length - 1]}`);
  out('');
  out('| problem | believer | median final regret | regret per seed | total ask time (s) | loops with the same rows |');
  out('|---|---|---|---|---|---|');
  for (const p of problems) {
    const X = encodePool(p.space, p.rows);
    const ids = p.rows.map((r) => r.id);
    const runs = WAYS.map(() => ({ regrets: [] as number[], seconds: 0, trails: [] as string[] }));
    for (const seed of seeds) {
      WAYS.forEach((way, w) => {
        const pool = new PoolStrategy(ids, X, 6, way.options);
        const noise = new Rng(1000 + seed);
        const observations: { id: string; value: number }[] = [];
        let bestTrue = -Infinity;
        while (observations.length < budget) {
          const t0 = performance.now();
          const picks = pool.ask({ direction: 'maximize', observations, pending: [], n: batch, seed });
          runs[w].seconds += (performance.now() - t0) / 1000;
          for (const pick of picks) {
            const v = p.value(pick.id);
            bestTrue = Math.max(bestTrue, v);
            observations.push({ id: pick.id, value: v + p.noiseSd * noise.normal() });
          }
        }
        runs[w].regrets.push(p.best - bestTrue);
        runs[w].trails.push(observations.map((o) => o.id).join(','));
      });
    }
    const same = runs[1].trails.filter((t, i) => t === runs[0].trails[i]).length;
    WAYS.forEach((way, w) => {
      const sorted = [...runs[w].regrets].sort((a, b) => a - b);
      const median = sorted[Math.floor(sorted.length / 2)];
      out(
        `| ${p.name} | ${way.name} | ${round(median, 3)} | ${runs[w].regrets.map((r) => round(r, 3)).join(' ')} | ${round(runs[w].seconds, 1)} | ${w === 0 ? '' : `${same} of ${seeds.length}`} |`,
      );
    });
  }
  out('');
}

function seedList(spec: string): number[] {
  const [a, b] = spec.split('-').map(Number);
  return Array.from({ length: (b ?? a) - a + 1 }, (_, i) => a + i);
}

out(`# Pool batches: the incremental Kriging believer against re-scoring (node ${process.version})`);
out('');
speed(Number(args.rows), Number(args.results));
if (!args['skip-loops']) loops(seedList(args.seeds));
