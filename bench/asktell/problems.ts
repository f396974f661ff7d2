/**
 * The public single-objective problems of the ask/tell benchmark, with their
 * known optima (the definitions of ../shared/bench/problems, re-stated here so
 * that the repository benchmarks its optimizer on its own). The functions are
 * the simulators'; the boxes are the benchmark's (Ackley on the off-centre
 * [-5, 10]^d, so that its optimum is not the centre).
 */
import { ackley, branin, getBenchmark, hartmann6, levy, rosenbrock, type BenchmarkFunction } from '#simulators';
import { seededRandom } from './random.js';

export type ParameterSpec =
  { name: string; type: 'continuous' | 'integer'; low: number; high: number } | { name: string; type: 'categorical'; choices: string[] };

export type Params = Record<string, number | string>;

export interface PoolRow {
  id: string;
  params: Record<string, string>;
  features: Record<string, number>;
}

/** A noiseless evaluation: the objective's value, or a failure (an infeasible point). */
export type Evaluation = { values: Record<string, number> } | { failed: true };

export interface BenchProblem {
  name: string;
  parameters: ParameterSpec[];
  objective: { name: string; goal: 'minimize' | 'maximize' };
  /** The best noiseless value, and how it is known. */
  optimum: number;
  /** Standard deviation of the Gaussian noise added to told values. */
  noiseSd?: number;
  /** The budget when --budget is not given (else 40). */
  budget?: number;
  pool?: PoolRow[];
  /** Deterministic and noiseless; pool problems get `{ id }`. */
  evaluate(params: Params): Evaluation;
}

const names = (d: number) => Array.from({ length: d }, (_, i) => `x${i + 1}`);
const box = (d: number, low: number, high: number): ParameterSpec[] => names(d).map((name) => ({ name, type: 'continuous', low, high }));

/** A simulators' function on a box of the benchmark's choosing. */
function continuous(fn: BenchmarkFunction, parameters: ParameterSpec[], extra: Partial<BenchProblem> = {}): BenchProblem {
  return {
    name: fn.name,
    parameters,
    objective: { name: 'y', goal: 'minimize' },
    optimum: fn.optimum,
    evaluate: (p) => ({ values: { y: fn.evaluate(p as Record<string, number>) } }),
    ...extra,
  };
}

/**
 * Branin with an integer x2 in 0..15 and a solvent that shifts, scales and
 * offsets it: y = a_s branin(x1 - shift_s, x2) + b_s. The optimum is computed
 * at load (every solvent and x2, a dense grid then golden-section search in x1).
 */
function braninMixed(): BenchProblem {
  const solvents: Record<string, { shift: number; a: number; b: number }> = {
    water: { shift: 0, a: 1.0, b: 0 },
    ethanol: { shift: 2.5, a: 1.2, b: -0.5 },
    toluene: { shift: -1.5, a: 0.8, b: 0.3 },
  };
  const f = (x1: number, x2: number, s: string) => solvents[s].a * branin.evaluate({ x1: x1 - solvents[s].shift, x2 }) + solvents[s].b;
  let optimum = Infinity;
  for (const s of Object.keys(solvents))
    for (let x2 = 0; x2 <= 15; x2++)
      optimum = Math.min(
        optimum,
        minimise1d((x1) => f(x1, x2, s), -5, 10),
      );
  return {
    name: 'branin_mixed',
    parameters: [
      { name: 'x1', type: 'continuous', low: -5, high: 10 },
      { name: 'x2', type: 'integer', low: 0, high: 15 },
      { name: 'solvent', type: 'categorical', choices: Object.keys(solvents) },
    ],
    objective: { name: 'y', goal: 'minimize' },
    optimum,
    evaluate: (p) => ({ values: { y: f(p.x1 as number, p.x2 as number, p.solvent as string) } }),
  };
}

function minimise1d(g: (x: number) => number, low: number, high: number): number {
  const n = 3000;
  let bestI = 0;
  let best = Infinity;
  for (let i = 0; i <= n; i++) {
    const v = g(low + ((high - low) * i) / n);
    if (v < best) [best, bestI] = [v, i];
  }
  let a = low + ((high - low) * Math.max(0, bestI - 1)) / n;
  let b = low + ((high - low) * Math.min(n, bestI + 1)) / n;
  const phi = (Math.sqrt(5) - 1) / 2;
  for (let k = 0; k < 100; k++) {
    const c = b - phi * (b - a);
    const d = a + phi * (b - a);
    if (g(c) < g(d)) b = d;
    else a = c;
  }
  return Math.min(best, g((a + b) / 2));
}

/**
 * Hartmann6 where x1 + x2 + 0.25 sin(6 x3) < 0.55 fails (about 17 % of the
 * cube, holding the unconstrained optimum). The constrained optimum,
 * -3.2815551692652356 on the region's boundary, was found by 400 SLSQP restarts.
 */
function hartmann6Infeasible(): BenchProblem {
  const infeasible = (p: Params) => (p.x1 as number) + (p.x2 as number) + 0.25 * Math.sin(6 * (p.x3 as number)) < 0.55;
  return {
    name: 'hartmann6_infeasible',
    parameters: box(6, 0, 1),
    objective: { name: 'y', goal: 'minimize' },
    optimum: -3.2815551692652356,
    evaluate: (p) => (infeasible(p) ? { failed: true } : { values: { y: hartmann6.evaluate(p as Record<string, number>) } }),
  };
}

/**
 * A pool of 300 molecules (5 cores x 60 substituents, 6 numeric descriptors
 * each), generated from a fixed seed: the hidden activity (maximise) is a
 * smooth function of the descriptors with a core x substituent interaction
 * plus a small per-row term they cannot explain; noise sd 0.1. The optimum is
 * the best row's noiseless activity.
 */
function poolActivity(): BenchProblem {
  const r = seededRandom('pool_activity/v1');
  const cores = ['A', 'B', 'C', 'D', 'E'].map((c) => {
    const e = r() * 2 - 1;
    return { c, e, size: r() };
  });
  const subs = Array.from({ length: 60 }, (_, i) => {
    const sigma = -0.5 + 1.3 * r();
    const volume = 10 + 110 * r();
    const logp = 1 + r.normal();
    return { s: `S${String(i).padStart(2, '0')}`, sigma, volume, logp, hbond: r.int(0, 3) };
  });
  const pool: PoolRow[] = [];
  const hidden = new Map<string, number>();
  for (const core of cores) {
    for (const sub of subs) {
      const id = `${core.c}-${sub.s}`;
      const features = {
        core_e: +core.e.toFixed(4),
        core_size: +core.size.toFixed(4),
        sub_sigma: +sub.sigma.toFixed(4),
        sub_volume: +sub.volume.toFixed(2),
        sub_logp: +sub.logp.toFixed(4),
        sub_hbond: sub.hbond,
      };
      // The preferred sigma depends on the core's electronics: the interaction.
      const bump = Math.exp(-((sub.sigma - 0.3 * core.e) ** 2) / 0.08 - (sub.logp - 2) ** 2 / 2);
      const fit = -(((sub.volume - 40 - 60 * core.size) / 35) ** 2);
      const y = 4.5 + 0.6 * core.e + 3 * bump + 0.8 * fit + 0.25 * Number(sub.hbond === 2) + 0.15 * r.normal();
      pool.push({ id, params: { core: core.c, substituent: sub.s }, features });
      hidden.set(id, y);
    }
  }
  return {
    name: 'pool_activity',
    parameters: [
      { name: 'core', type: 'categorical', choices: cores.map((c) => c.c) },
      { name: 'substituent', type: 'categorical', choices: subs.map((s) => s.s) },
    ],
    objective: { name: 'activity', goal: 'maximize' },
    optimum: Math.max(...hidden.values()),
    noiseSd: 0.1,
    pool,
    evaluate: (p) => ({ values: { activity: hidden.get(p.id as string) ?? NaN } }),
  };
}

const makers: Record<string, () => BenchProblem> = {
  branin: () =>
    continuous(getBenchmark('branin'), [
      { name: 'x1', type: 'continuous', low: -5, high: 10 },
      { name: 'x2', type: 'continuous', low: 0, high: 15 },
    ]),
  hartmann6: () => continuous(hartmann6, box(6, 0, 1)),
  ackley10: () => continuous(ackley(10), box(10, -5, 10), { budget: 80 }),
  rosenbrock4: () => continuous(rosenbrock(4), box(4, -5, 10)),
  levy6: () => continuous(levy(6), box(6, -10, 10)),
  branin_mixed: braninMixed,
  hartmann6_infeasible: hartmann6Infeasible,
  pool_activity: poolActivity,
};

export const PROBLEM_NAMES = Object.keys(makers);

export function problemByName(name: string): BenchProblem {
  const make = makers[name];
  if (!make) throw new Error(`unknown problem "${name}" (known: ${PROBLEM_NAMES.join(', ')})`);
  return make();
}
