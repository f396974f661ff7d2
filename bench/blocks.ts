/**
 * Closed loops with plate effects: batches of q run as plates (or days, or
 * rigs), every result of a plate off by the plate's own offset, drawn from
 * N(0, sd²). The same BayesianStrategy runs each loop twice, once told the
 * plate of each result (`block`, so its GP learns the offsets and compares
 * results net of them) and once not; the regret is judged by the true function.
 *
 *   npm run bench:blocks -- [--problems branin,hartmann3] [--sds 0,0.1,0.5] [--seeds 10] [--plates 8] [--q 4]
 *
 * `--sds` are plate-offset sds as fractions of the problem's scale (Branin:
 * 40, its median value over the box; Hartmann-3: 1). Prints median [Q1, Q3]
 * log10 regret per setting and the gap (declared minus not).
 */
import { parseArgs } from 'node:util';
import { BayesianStrategy, type Params, Space, type Observation } from '#optimizer';
import { Rng } from '#random';
import { quantile, round } from './support/stats.js';

const { values: args } = parseArgs({
  options: {
    problems: { type: 'string', default: 'branin,hartmann3' },
    sds: { type: 'string', default: '0,0.1,0.5' },
    seeds: { type: 'string', default: '10' },
    plates: { type: 'string', default: '8' },
    q: { type: 'string', default: '4' },
  },
});

interface Problem {
  space: Space;
  f(p: Params): number;
  optimum: number;
  /** The unit of the plate-offset sds. */
  scale: number;
}

const HARTMANN3 = {
  a: [1, 1.2, 3, 3.2],
  A: [
    [3, 10, 30],
    [0.1, 10, 35],
    [3, 10, 30],
    [0.1, 10, 35],
  ],
  P: [
    [0.3689, 0.117, 0.2673],
    [0.4699, 0.4387, 0.747],
    [0.1091, 0.8732, 0.5547],
    [0.03815, 0.5743, 0.8828],
  ],
};

const PROBLEMS: Record<string, Problem> = {
  branin: {
    space: Space.parse([
      { name: 'x1', type: 'continuous', low: -5, high: 10 },
      { name: 'x2', type: 'continuous', low: 0, high: 15 },
    ]),
    f: (p) => {
      const x1 = p.x1 as number;
      const x2 = p.x2 as number;
      return (x2 - (5.1 / (4 * Math.PI ** 2)) * x1 ** 2 + (5 / Math.PI) * x1 - 6) ** 2 + 10 * (1 - 1 / (8 * Math.PI)) * Math.cos(x1) + 10;
    },
    optimum: 0.397887,
    scale: 40,
  },
  hartmann3: {
    space: Space.parse([0, 1, 2].map((i) => ({ name: `x${i}`, type: 'continuous', low: 0, high: 1 }))),
    f: (p) => {
      const x = [p.x0, p.x1, p.x2] as number[];
      let s = 0;
      for (let i = 0; i < 4; i++) {
        let e = 0;
        for (let j = 0; j < 3; j++) e += HARTMANN3.A[i][j] * (x[j] - HARTMANN3.P[i][j]) ** 2;
        s -= HARTMANN3.a[i] * Math.exp(-e);
      }
      return s;
    },
    optimum: -3.86278,
    scale: 1,
  },
};

async function run(problem: Problem, sd: number, seed: number, plates: number, q: number, declare: boolean): Promise<number> {
  const rng = new Rng(1000 + seed);
  const strategy = new BayesianStrategy();
  const observations: Observation[] = [];
  let best = Infinity;
  for (let plate = 0; plate < plates; plate++) {
    const batch = await strategy.ask({ space: problem.space, direction: 'minimize', observations, pending: [], n: q, seed });
    const offset = sd * problem.scale * rng.normal();
    for (const p of batch) {
      const truth = problem.f(p.params);
      best = Math.min(best, truth);
      observations.push({
        params: p.params,
        value: truth + offset + 1e-3 * problem.scale * rng.normal(),
        ...(declare ? { block: `plate ${plate}` } : {}),
      });
    }
  }
  return Math.log10(Math.max(best - problem.optimum, 1e-8));
}

const fmt = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  return `${round(quantile(s, 0.5), 2)} [${round(quantile(s, 0.25), 2)}, ${round(quantile(s, 0.75), 2)}]`;
};

const seeds = Number(args.seeds);
const plates = Number(args.plates);
const q = Number(args.q);
console.log(`plate effects: ${seeds} seeds, ${plates} plates of ${q}; median [Q1, Q3] log10 regret of the best point measured`);
console.log('| problem | plate sd | blocks declared | not declared | gap of medians |');
console.log('|---|---|---|---|---|');
for (const name of args.problems.split(',')) {
  const problem = PROBLEMS[name];
  if (!problem) throw new Error(`unknown problem ${name} (have ${Object.keys(PROBLEMS).join(', ')})`);
  for (const sd of args.sds.split(',').map(Number)) {
    const declared: number[] = [];
    const plain: number[] = [];
    for (let seed = 0; seed < seeds; seed++) {
      declared.push(await run(problem, sd, seed, plates, q, true));
      plain.push(await run(problem, sd, seed, plates, q, false));
    }
    const gap =
      quantile(
        [...declared].sort((a, b) => a - b),
        0.5,
      ) -
      quantile(
        [...plain].sort((a, b) => a - b),
        0.5,
      );
    console.log(`| ${name} | ${sd} × ${problem.scale} | ${fmt(declared)} | ${fmt(plain)} | ${round(gap, 2)} |`);
  }
}
