/**
 * The several-objective families of the generated suite: each instance made
 * from its family and an instance seed, scored by hypervolume regret against
 * its best hypervolume (exact, or estimated as stated). The families:
 *
 * - `manyobj`: 3 or 4 objectives, DTLZ2 (a spherical front) or DTLZ7 (a
 *   disconnected front) in 4 to 8 dimensions; the distance variables are
 *   rotated, weighted and centred on a point that moves with the first
 *   position variable, the parameters are permuted and given random boxes,
 *   the objectives rescaled. Best hypervolume exact (closed form; DTLZ7's by
 *   a one-dimensional quadrature, see dtlz7Hypervolume).
 * - `gppair`: two objectives, each an independent GP-prior draw (suite.ts)
 *   in 3 to 6 dimensions, minimised or maximised; sometimes a failing region
 *   and noise. Best hypervolume estimated (pareto.ts).
 * - `mixedlimit`: continuous parameters and a categorical whose levels
 *   shift, rescale and offset two GP-draw objectives, a failing region, and
 *   a third outcome (`impurity`) under a limit that 30 to 50 % of the box
 *   breaks. Best hypervolume estimated per level, under the limit.
 * - `ocm` (ocm.ts): a pool of real catalyst runs (oxidative coupling of
 *   methane). Best hypervolume exact (the pool's own front).
 */
import type { ParameterSpec, Params } from '../asktell/problems.js';
import { drawMoSetting, moName, type MoInstance, type MoObjective } from './mo-common.js';

export type { MoInstance, MoObjective } from './mo-common.js';
import { quantile, seededRandom, type Random } from '../asktell/random.js';
import { ocmInstance } from './ocm.js';
import { estimateFront, nondominated, hypervolume } from './pareto.js';
import { failingRegion, gpDraw, randomBoxes, randomOrthogonal, randomParams } from './suite.js';

export const MO_FAMILIES: Record<string, number> = { manyobj: 4, gppair: 4, mixedlimit: 4, ocm: 2 };

export const MO_KEYS: readonly string[] = Object.entries(MO_FAMILIES).flatMap(([family, n]) =>
  Array.from({ length: n }, (_, seed) => `${family}-${seed}`),
);

const round3 = (x: number) => Number(x.toPrecision(3));
const logUniform = (r: Random, low: number, high: number) => Math.exp(Math.log(low) + r() * (Math.log(high) - Math.log(low)));
type Numeric = Extract<ParameterSpec, { low: number }>;

/** A numeric parameter set's values as coordinates in [0, 1]. */
const unitOf = (parameters: Numeric[], p: Params) => parameters.map((q) => ((p[q.name] as number) - q.low) / (q.high - q.low));

/** The volume of the unit ball's positive orthant in m dimensions. */
function orthantBallVolume(m: number): number {
  const gammaHalf = (k: number): number => (k === 2 ? 1 : k === 1 ? Math.sqrt(Math.PI) : ((k - 2) / 2) * gammaHalf(k - 2)); // Γ(k/2)
  return Math.PI ** (m / 2) / (gammaHalf(m + 2) * 2 ** m);
}

/**
 * DTLZ7's best hypervolume with m objectives against (1.1, ..., 1.1, 2m + 0.6):
 * its front is f_m = 2m - Σ ψ(f_i), ψ(x) = x (1 + sin 3πx), f_i in [0, 1], so
 * the least f_m dominated at y is 2m - Σ Ψ(y_i) with Ψ(y) the running maximum
 * of ψ up to min(y, 1), and HV = 1.1^(m-1) 0.6 + (m-1) 1.1^(m-2) ∫_0^1.1 Ψ.
 * The integral by the trapezoid rule on 2^20 steps (Ψ is monotone: the error is
 * below 1.1 max ψ / 2^20, about 2e-6).
 */
export function dtlz7Hypervolume(m: number): number {
  const n = 2 ** 20;
  let running = 0;
  let integral = 0;
  let prev = 0;
  for (let i = 1; i <= n; i++) {
    const x = i / n;
    running = Math.max(running, x * (1 + Math.sin(3 * Math.PI * x)));
    integral += (prev + running) / (2 * n);
    prev = running;
  }
  integral += 0.1 * running;
  return 1.1 ** (m - 1) * 0.6 + (m - 1) * 1.1 ** (m - 2) * integral;
}

function manyObjective(seed: number): MoInstance {
  const key = `manyobj-${seed}`;
  const r = seededRandom(`mosuite/${key}`);
  const kind = r() < 0.5 ? 'dtlz2' : 'dtlz7';
  const m = r() < 0.5 ? 3 : 4;
  const d = r.int(Math.max(4, m + 1), 8);
  const parameters = randomBoxes(r, d) as Numeric[];
  const order = Array.from({ length: d }, (_, i) => i);
  for (let i = d - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const k = d - m + 1;
  const rotation = randomOrthogonal(k, r);
  const weights = Array.from({ length: k }, () => 0.5 + 1.5 * r());
  const phases = Array.from({ length: k }, () => 2 * Math.PI * r());
  const scales = Array.from({ length: m }, () => round3(logUniform(r, 0.5, 5)));
  const setting = drawMoSetting(r);
  /** g >= 0, 0 exactly where the distance variables sit at their centre (which moves with the first position variable). */
  const distance = (v: number[]) => {
    const pos0 = v[0];
    const dev = v.slice(m - 1).map((x, i) => x - (0.5 + 0.25 * Math.sin(2 * Math.PI * pos0 + phases[i])));
    let g = 0;
    for (let i = 0; i < k; i++) g += weights[i] * rotation[i].reduce((s, q, j) => s + q * dev[j], 0) ** 2;
    return g;
  };
  const raw = (v: number[]): number[] => {
    const g = distance(v);
    if (kind === 'dtlz2')
      return Array.from({ length: m }, (_, i) => {
        let f = 1 + g;
        for (let j = 0; j < m - 1 - i; j++) f *= Math.cos((v[j] * Math.PI) / 2);
        if (i > 0) f *= Math.sin((v[m - 1 - i] * Math.PI) / 2);
        return f;
      });
    const big = 1 + (9 * g) / k;
    const f = v.slice(0, m - 1);
    return [...f, (1 + big) * m - f.reduce((s, x) => s + x * (1 + Math.sin(3 * Math.PI * x)), 0)];
  };
  const names = Array.from({ length: m }, (_, i) => `f${i + 1}`);
  const unitRef = names.map((_, i) => (kind === 'dtlz7' && i === m - 1 ? 2 * m + 0.6 : 1.1));
  const best = kind === 'dtlz2' ? 1.1 ** m - orthantBallVolume(m) : dtlz7Hypervolume(m);
  return {
    key,
    family: 'manyobj',
    seed,
    name: moName(key, d, m, setting).replace(key, `${key}-${kind}`),
    parameters,
    objectives: names.map((name, i) => ({ name, goal: 'minimize' as const, ref: unitRef[i] * scales[i] })),
    optimum: best * scales.reduce((a, b) => a * b, 1),
    optimumHow:
      kind === 'dtlz2'
        ? `exact (${kind}, ${m} objectives): 1.1^${m} less the unit ball's positive orthant, times the objectives' scales`
        : `exact to 1e-5 (${kind}, ${m} objectives): a 1-D quadrature of the front's running maximum (pareto.ts), times the scales`,
    budget: 40 + 2 * (d - 4),
    ...setting,
    failing: false,
    paretoPoint: (pr) => {
      const v = Array.from({ length: m - 1 }, () => pr());
      for (let i = 0; i < k; i++) v.push(0.5 + 0.25 * Math.sin(2 * Math.PI * v[0] + phases[i]));
      const u: number[] = new Array<number>(d);
      order.forEach((j, i) => (u[j] = v[i]));
      return Object.fromEntries(parameters.map((q, j) => [q.name, q.low + u[j] * (q.high - q.low)]));
    },
    evaluate: (p) => {
      const u = unitOf(parameters, p);
      const f = raw(order.map((j) => u[j]));
      return { values: Object.fromEntries(names.map((name, i) => [name, f[i] * scales[i]])) };
    },
  };
}

/** The reference point: per objective the value that 90 % of random (counting) points beat, rounded. */
function referenceOf(values: number[][], goals: MoObjective['goal'][]): number[] {
  return goals.map((goal, i) => {
    const column = values.map((v) => v[i]);
    return round3(quantile(column, goal === 'minimize' ? 0.9 : 0.1)!);
  });
}

/** A GP draw with random kernel and lengthscales over [0, 1]^d, offset and amplitude. */
function drawObjective(r: Random, d: number): (u: readonly number[]) => number {
  const kernel = (['rbf', 'matern52', 'matern32'] as const)[Math.floor(r() * 3)];
  const base = logUniform(r, 0.15, 0.45) * Math.sqrt(d / 3);
  const f = gpDraw(
    r,
    d,
    kernel,
    Array.from({ length: d }, () => Math.min(1, base * Math.exp(0.3 * r.normal()))),
  );
  const offset = round3(-10 + 20 * r());
  const amplitude = round3(logUniform(r, 0.1, 100));
  return (u) => offset + amplitude * f(u);
}

function gpPair(seed: number): MoInstance {
  const key = `gppair-${seed}`;
  const r = seededRandom(`mosuite/${key}`);
  const d = r.int(3, 6);
  const parameters = randomBoxes(r, d) as Numeric[];
  const fs = [drawObjective(r, d), drawObjective(r, d)];
  const goals = fs.map(() => (r() < 0.5 ? ('minimize' as const) : ('maximize' as const)));
  const failing = r() < 0.3;
  const fails = failing ? failingRegion(r, d, 0.1 + 0.2 * r()) : () => false;
  const noisy = r() < 0.3;
  const setting = drawMoSetting(r);
  const valuesAt = (u: number[]) => (fails(u.map((x) => 2 * x - 1)) ? null : fs.map((f) => f(u)));
  const spread = seededRandom(`mosuite/${key}/spread`);
  const sample = Array.from({ length: 1024 }, () => valuesAt(Array.from({ length: d }, () => spread()))).filter((v) => v !== null);
  const refs = referenceOf(sample, goals);
  const noise = noisy ? Object.fromEntries(fs.map((_, i) => [`y${i + 1}`, round3(0.02 * iqr(sample.map((v) => v[i])))])) : undefined;
  const signs = goals.map((g) => (g === 'minimize' ? 1 : -1));
  const front = estimateFront(
    (u) => valuesAt(u)?.map((v, i) => signs[i] * v) ?? null,
    d,
    refs.map((x, i) => signs[i] * x),
    seededRandom(`mosuite/${key}/optimum`),
  );
  return {
    key,
    family: 'gppair',
    seed,
    name: moName(key, d, 2, { noisy, failing, ...setting }),
    parameters,
    objectives: goals.map((goal, i) => ({ name: `y${i + 1}`, goal, ref: refs[i] })),
    optimum: front.hypervolume,
    optimumHow: ESTIMATED,
    ...(noise ? { noise } : {}),
    budget: 30 + 3 * d,
    ...setting,
    failing,
    evaluate: (p) => {
      const v = valuesAt(unitOf(parameters, p));
      return v ? { values: { y1: v[0], y2: v[1] } } : { failed: true };
    },
  };
}

const ESTIMATED =
  'estimated (a lower bound): 20,000 uniform points, then a compass search on 48 Chebyshev scalarisations from the best sample of each (pareto.ts)';

const iqr = (xs: number[]) => quantile(xs, 0.75)! - quantile(xs, 0.25)!;

function mixedLimit(seed: number): MoInstance {
  const key = `mixedlimit-${seed}`;
  const r = seededRandom(`mosuite/${key}`);
  const d = r.int(2, 4);
  const nLevels = r.int(3, 4);
  const levels = ['water', 'ethanol', 'toluene', 'acetone'].slice(0, nLevels);
  const continuous = randomBoxes(r, d) as Numeric[];
  const base = [drawObjective(r, d), drawObjective(r, d)];
  const impurityBase = drawObjective(r, d);
  const goals = base.map(() => (r() < 0.5 ? ('minimize' as const) : ('maximize' as const)));
  const effect = levels.map(() => ({
    shift: Array.from({ length: d }, () => -0.25 + 0.5 * r()),
    scale: base.map(() => 0.5 + 1.5 * r()),
    offset: base.map(() => r.normal()),
    impurity: 0.3 * r.normal(),
  }));
  const fails = failingRegion(r, d, 0.1 + 0.2 * r());
  const setting = drawMoSetting(r);
  const spreadOf = (f: (u: readonly number[]) => number) => {
    const s = seededRandom(`mosuite/${key}/scale`);
    return iqr(Array.from({ length: 256 }, () => f(Array.from({ length: d }, () => s()))));
  };
  const baseSpread = base.map(spreadOf);
  const impuritySpread = spreadOf(impurityBase);
  const impurityCentre = impurityBase(Array.from({ length: d }, () => 0.5));
  const at = (level: number, u: number[]) => {
    if (fails(u.map((x) => 2 * x - 1))) return null;
    const e = effect[level];
    const shifted = u.map((x, i) => x - e.shift[i]);
    return {
      objectives: base.map((f, i) => e.scale[i] * f(shifted) + e.offset[i] * baseSpread[i]),
      impurity: 2 + ((impurityBase(shifted) - impurityCentre) / impuritySpread + e.impurity) * 0.5,
    };
  };
  const spread = seededRandom(`mosuite/${key}/spread`);
  const sample = Array.from({ length: 1024 }, () =>
    at(
      Math.floor(spread() * nLevels),
      Array.from({ length: d }, () => spread()),
    ),
  );
  const ok = sample.filter((v) => v !== null);
  const limit = round3(
    quantile(
      ok.map((v) => v.impurity),
      0.5 + 0.2 * r(),
    )!,
  );
  const meets = ok.filter((v) => v.impurity <= limit).map((v) => v.objectives);
  const refs = referenceOf(meets, goals);
  const signs = goals.map((g) => (g === 'minimize' ? 1 : -1));
  const minRef = refs.map((x, i) => signs[i] * x);
  const fronts = levels.map(
    (_, level) =>
      estimateFront(
        (u) => {
          const v = at(level, u);
          return v && v.impurity <= limit ? v.objectives.map((y, i) => signs[i] * y) : null;
        },
        d,
        minRef,
        seededRandom(`mosuite/${key}/optimum/${level}`),
        { samples: 10_000 },
      ).front,
  );
  const parameters: ParameterSpec[] = [...continuous, { name: 'solvent', type: 'categorical', choices: levels }];
  return {
    key,
    family: 'mixedlimit',
    seed,
    name: moName(key, d + 1, 2, { failing: true, limit: true, ...setting }),
    parameters,
    objectives: goals.map((goal, i) => ({ name: `y${i + 1}`, goal, ref: refs[i] })),
    outcomeConstraints: [{ name: 'impurity', op: '<=', value: limit }],
    optimum: hypervolume(nondominated(fronts.flat()), minRef),
    optimumHow: `${ESTIMATED.replace('20,000', '10,000')}, per solvent, under the limit`,
    budget: 40,
    ...setting,
    failing: true,
    evaluate: (p) => {
      const v = at(levels.indexOf(p.solvent as string), unitOf(continuous, p));
      return v ? { values: { y1: v.objectives[0], y2: v.objectives[1], impurity: v.impurity } } : { failed: true };
    },
  };
}

const MAKERS: Record<string, (seed: number) => MoInstance> = {
  manyobj: manyObjective,
  gppair: gpPair,
  mixedlimit: mixedLimit,
  ocm: ocmInstance,
};

const cache = new Map<string, MoInstance>();

/** The instance of a key (`gppair-3`) or of a full name (`gppair-3-d4-m2`), generated once per process. */
export function moInstance(keyOrName: string): MoInstance {
  const m = /^([a-z]+)-(\d+)(?:-.*)?$/.exec(keyOrName);
  if (!m || !(m[1] in MAKERS) || Number(m[2]) >= MO_FAMILIES[m[1]])
    throw new Error(
      `no several-objective instance "${keyOrName}" (families: ${Object.entries(MO_FAMILIES)
        .map(([f, n]) => `${f} 0-${n - 1}`)
        .join(', ')})`,
    );
  const key = `${m[1]}-${m[2]}`;
  let instance = cache.get(key);
  if (!instance) {
    instance = MAKERS[m[1]](Number(m[2]));
    cache.set(key, instance);
  }
  if (keyOrName !== key && keyOrName !== instance.name) throw new Error(`instance ${key} is named ${instance.name}, not ${keyOrName}`);
  return instance;
}

/** Generates an instance anew (no cache): for tests of determinism. */
export const generateMoInstance = (key: string): MoInstance => {
  moInstance(key);
  const m = /^([a-z]+)-(\d+)$/.exec(key)!;
  return MAKERS[m[1]](Number(m[2]));
};

/** Within each family, the seeds in a seeded random order, the first half for tuning (recorded in split-mo.json). */
export function moSplit(): { tune: string[]; test: string[] } {
  const tune: string[] = [];
  const test: string[] = [];
  for (const [family, n] of Object.entries(MO_FAMILIES)) {
    const r = seededRandom(`mosuite/split/${family}`);
    const seeds = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(r() * (i + 1));
      [seeds[i], seeds[j]] = [seeds[j], seeds[i]];
    }
    seeds.forEach((s, i) => (i < n / 2 ? tune : test).push(moInstance(`${family}-${s}`).name));
  }
  return { tune, test };
}

/** An instance as a problem module of the outside driver (drive.mjs, PROTOCOL.md). */
export function moDriverProblem(instance: MoInstance): Record<string, unknown> {
  return {
    name: instance.name,
    parameters: instance.parameters,
    objectives: instance.objectives,
    ...(instance.outcomeConstraints ? { outcomeConstraints: instance.outcomeConstraints } : {}),
    pool: instance.pool ?? null,
    optimum: instance.optimum,
    ...(instance.noise ? { noise: { sd: instance.noise } } : {}),
    budget: instance.budget,
    evaluate: (params: Params) => instance.evaluate(params),
  };
}

/** Uniform random parameters (pool problems: a random row's id). */
export function randomMoParams(instance: MoInstance, r: Random): Params {
  return instance.pool ? { id: instance.pool[Math.floor(r() * instance.pool.length)].id } : randomParams(instance.parameters, r);
}
