/**
 * The generated benchmark suite: families of problems, each instance made
 * from its family and an instance seed, so that tuning on some instances
 * cannot fit the others. Every instance is a `BenchProblem` of the ask/tell
 * benchmark (../asktell), with the setting it runs in (batch size, pending
 * evaluations), its optimum and how that optimum is known. The families:
 *
 * - `ackley`, `levy`, `rastrigin` (amplitude 1 to 3 instead of 10),
 *   `rosenbrock`, `styblinski`, `hartmann` (3 or 6, embedded in up to 12
 *   dimensions): the classic rotated by a random orthogonal matrix and
 *   shifted so that its minimiser is a random point of a random box, in 2 to
 *   16 dimensions. Optimum exact (the classic's minimum over all of R^m).
 * - `gp`: a draw from a Gaussian-process prior (squared-exponential or
 *   Matérn 5/2 or 3/2, random lengthscales per dimension) as 512 random
 *   Fourier features, in 2 to 8 dimensions, minimised or maximised. Optimum
 *   estimated (search.ts).
 * - `mixed`: a rotated classic over continuous and integer parameters whose
 *   categorical parameters shift its minimiser, rescale and offset it.
 *   Optimum exact (every combination's minimiser lies on the integer grid).
 * - `reaction`: catalyst x ligand x solvent with temperature, time and
 *   concentration; the yield (maximised) saturates, runs above the solvent's
 *   boiling point fail, and it is always noisy. Optimum exact.
 * - `composition`: fractions of 3 to 6 components given as non-negative
 *   weights (the problem normalises them: the protocol has no composition
 *   type), sometimes with a process temperature; a smooth mixture response
 *   with a sharp optimum. Optimum estimated.
 *
 * Variants drawn per instance: observation noise, a failing region, and the
 * setting (one at a time, batches of 4 or 8, or 4 pending evaluations).
 */
import type { BenchProblem, ParameterSpec, Params } from '../asktell/problems.js';
import { quantile, seededRandom, type Random } from '../asktell/random.js';
import { CLASSICS, type Classic } from './functions.js';
import { compassSearch, estimateMinimum } from './search.js';

export interface SuiteInstance extends BenchProblem {
  /** `<family>-<seed>`: the instance's identity (the name adds what it is). */
  key: string;
  family: string;
  seed: number;
  batch: number;
  /** Evaluations kept in flight (asynchronous runs); 0 for synchronous batches. */
  pending: number;
  noisy: boolean;
  failing: boolean;
  /** How the optimum is known. */
  optimumHow: string;
  /** A point attaining the optimum (within the search's precision where estimated). */
  argmax?: Params;
}

export const FAMILIES: Record<string, number> = {
  ackley: 6,
  levy: 6,
  rastrigin: 6,
  rosenbrock: 6,
  styblinski: 6,
  hartmann: 6,
  gp: 12,
  mixed: 8,
  reaction: 6,
  composition: 6,
};

/** Every instance key, family by family. */
export const SUITE_KEYS: readonly string[] = Object.entries(FAMILIES).flatMap(([family, n]) =>
  Array.from({ length: n }, (_, seed) => `${family}-${seed}`),
);

// ---------------------------------------------------------------- helpers

const pick = <T>(r: Random, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
const logUniform = (r: Random, low: number, high: number) => Math.exp(Math.log(low) + r() * (Math.log(high) - Math.log(low)));
const round3 = (x: number) => Number(x.toPrecision(3));

/** Rows of a random orthogonal d x d matrix (Gram–Schmidt on Gaussian vectors: Haar-distributed). */
export function randomOrthogonal(d: number, r: Random): number[][] {
  const rows: number[][] = [];
  while (rows.length < d) {
    const v = Array.from({ length: d }, () => r.normal());
    for (const q of rows) {
      const dot = v.reduce((s, x, i) => s + x * q[i], 0);
      for (let i = 0; i < d; i++) v[i] -= dot * q[i];
    }
    const norm = Math.hypot(...v);
    if (norm > 1e-6) rows.push(v.map((x) => x / norm));
  }
  return rows;
}

/** d continuous parameters x1..xd on random boxes (offsets -20..20, widths 0.5..50). */
export function randomBoxes(r: Random, d: number, prefix = 'x'): ParameterSpec[] {
  return Array.from({ length: d }, (_, i) => {
    const low = round3(-20 + 40 * r());
    return { name: `${prefix}${i + 1}`, type: 'continuous' as const, low, high: round3(low + logUniform(r, 0.5, 50)) };
  });
}

/** A numeric parameter's value as a coordinate in [-1, 1], and back. */
type Numeric = Extract<ParameterSpec, { low: number }>;
const toT = (p: Numeric, x: number) => -1 + (2 * (x - p.low)) / (p.high - p.low);
const fromT = (p: Numeric, t: number) => p.low + ((t + 1) / 2) * (p.high - p.low);

/** The setting: one at a time (55 %), batches of 4 (17 %) or 8 (12 %), 4 pending (16 %). */
function drawSetting(r: Random, allowed: 'all' | 'no8' = 'all'): { batch: number; pending: number } {
  const u = r();
  if (u < 0.55) return { batch: 1, pending: 0 };
  if (u < 0.72) return { batch: 4, pending: 0 };
  if (u < 0.84 && allowed === 'all') return { batch: 8, pending: 0 };
  return { batch: 1, pending: 4 };
}

/**
 * A failing region over coordinates t in [-1, 1]^d: a half-space with a wavy
 * boundary, a·t + 0.1 sin(5 b·t) < c, covering about `share` of the box; with
 * `keep`, c is lowered so that `keep` stays feasible by `margin`.
 */
export function failingRegion(
  r: Random,
  d: number,
  share: number,
  keep?: { t: number[]; margin: number },
): (t: readonly number[]) => boolean {
  const a = randomOrthogonal(d, r)[0];
  const b = randomOrthogonal(d, r)[0];
  const s = (t: readonly number[]) => {
    let at = 0;
    let bt = 0;
    for (let i = 0; i < d; i++) {
      at += a[i] * t[i];
      bt += b[i] * t[i];
    }
    return at + 0.1 * Math.sin(5 * bt);
  };
  const values = Array.from({ length: 512 }, () => s(Array.from({ length: d }, () => -1 + 2 * r())));
  let c = quantile(values, share)!;
  if (keep) c = Math.min(c, s(keep.t) - keep.margin);
  return (t) => s(t) < c;
}

/** The noise sd: a share (1 to 5 %) of the interquartile range of the values at random points. */
function noiseFor(r: Random, values: number[]): number {
  const iqr = quantile(values, 0.75)! - quantile(values, 0.25)!;
  return round3((0.01 + 0.04 * r()) * (iqr > 0 ? iqr : 1));
}

/** Uniform random parameters of a space (for spreads and for tests). */
export function randomParams(parameters: readonly ParameterSpec[], r: Random): Params {
  return Object.fromEntries(
    parameters.map((p) => [
      p.name,
      p.type === 'categorical' ? pick(r, p.choices) : p.type === 'integer' ? r.int(p.low, p.high) : p.low + r() * (p.high - p.low),
    ]),
  );
}

function sampleValues(problem: Pick<BenchProblem, 'parameters' | 'evaluate' | 'objective'>, r: Random, n = 256): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const e = problem.evaluate(randomParams(problem.parameters, r));
    if ('values' in e) out.push(e.values[problem.objective.name]);
  }
  return out;
}

const budgetFor = (base: number, batch: number) => Math.ceil(base / batch) * batch;

function describe(key: string, d: number, noisy: boolean, failing: boolean, s: { batch: number; pending: number }): string {
  const mode = s.pending ? `-p${s.pending}` : s.batch > 1 ? `-q${s.batch}` : '';
  return `${key}-d${d}${noisy ? '-noisy' : ''}${failing ? '-fail' : ''}${mode}`;
}

// ---------------------------------------------------------------- rotated classics

/** How far the classic's argument reaches per unit of the box coordinate t (t spans [-1, 1]). */
const REACH: Record<Classic['name'], number> = {
  ackley: 6,
  levy: 6,
  rastrigin: 3,
  rosenbrock: 2.5,
  styblinski: 3,
  hartmann: 0.6,
};

const polishedHartmann = new Map<number, { argmin: number[]; min: number }>();
function classicBase(c: Classic, m: number, amplitude?: number) {
  const base = c.make(m, amplitude);
  if (c.name !== 'hartmann') return base;
  // The published minimisers carry 4–6 decimals: polish them so the stated minimum is attained.
  let polished = polishedHartmann.get(m);
  if (!polished) {
    const local = compassSearch(base.f, base.argmin, { step: 1e-3, minStep: 1e-12, low: -Infinity, high: Infinity });
    polished = { argmin: local.x, min: local.value };
    polishedHartmann.set(m, polished);
  }
  return { f: base.f, ...polished };
}

/**
 * g(t) = f(z* + reach R (t - t*)) over t in [-1, 1]^d: R has m orthonormal
 * rows (m = d except Hartmann), so g's minimum over the box is f's minimum
 * over R^m, at t* (and along R's null space when m < d).
 */
function rotatedClassicCore(c: Classic, r: Random, d: number, m: number, amplitude?: number) {
  const { f, argmin, min } = classicBase(c, m, amplitude);
  const rotation = randomOrthogonal(d, r).slice(0, m);
  const tStar = Array.from({ length: d }, () => -0.6 + 1.2 * r());
  const reach = REACH[c.name];
  const z = new Array<number>(m);
  const g = (t: readonly number[]) => {
    for (let i = 0; i < m; i++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += rotation[i][j] * (t[j] - tStar[j]);
      z[i] = argmin[i] + reach * s;
    }
    return f(z);
  };
  return { g, tStar, min };
}

function rotatedClassic(c: Classic, seed: number): SuiteInstance {
  const key = `${c.name}-${seed}`;
  const r = seededRandom(`suite/${key}`);
  const d = c.name === 'hartmann' ? pick(r, [3, 4, 6, 8, 10, 12]) : pick(r, [2, 3, 4, 5, 6, 8, 10, 12, 14, 16]);
  const m = c.name === 'hartmann' ? (d >= 6 ? 6 : 3) : d;
  const amplitude = c.name === 'rastrigin' ? round3(1 + 2 * r()) : undefined;
  const { g, tStar, min } = rotatedClassicCore(c, r, d, m, amplitude);
  const parameters = randomBoxes(r, d) as Numeric[];
  const noisy = r() < 0.3;
  const failing = r() < 0.25;
  const setting = drawSetting(r);
  const fails = failing ? failingRegion(r, d, 0.1 + 0.25 * r(), { t: tStar, margin: 0.05 + 0.3 * r() }) : () => false;
  const tOf = (p: Params) => parameters.map((q) => toT(q, p[q.name] as number));
  const evaluate = (p: Params) => {
    const t = tOf(p);
    return fails(t) ? ({ failed: true } as const) : { values: { y: g(t) } };
  };
  const problem = {
    parameters: parameters as ParameterSpec[],
    objective: { name: 'y', goal: 'minimize' as const },
    evaluate,
  };
  const noiseSd = noisy ? noiseFor(r, sampleValues(problem, r)) : undefined;
  return {
    key,
    family: c.name,
    seed,
    name: describe(key, d, noisy, failing, setting),
    ...problem,
    optimum: min,
    optimumHow:
      `exact: the minimum of ${c.name}${m < d ? ` (${m}-D, embedded)` : ''} over R^${m}, ` +
      `attained at a known point of the box${failing ? ' outside the failing region' : ''}`,
    argmax: Object.fromEntries(parameters.map((q, i) => [q.name, fromT(q, tStar[i])])),
    noiseSd,
    budget: budgetFor(Math.min(100, 20 + 5 * d), setting.batch),
    ...setting,
    noisy,
    failing,
  };
}

// ---------------------------------------------------------------- GP-prior draws

const FEATURES = 512;

/** Chi-square with k degrees of freedom (k a whole number): a sum of k squared normals. */
const chiSquare = (r: Random, k: number) => Array.from({ length: k }, () => r.normal() ** 2).reduce((a, b) => a + b, 0);

/**
 * A GP-prior draw over u in [0, 1]^d as random Fourier features:
 * f(u) = sqrt(2/M) sum_m w_m cos(omega_m · u + b_m), omega from the kernel's
 * spectral density (Gaussian for the squared exponential; a multivariate t
 * with 2 nu degrees of freedom for Matérn nu), scaled per dimension by 1/lengthscale.
 */
export function gpDraw(r: Random, d: number, kernel: 'rbf' | 'matern52' | 'matern32', lengthscales: number[]) {
  const omega: Float64Array[] = [];
  const phase = new Float64Array(FEATURES);
  const weight = new Float64Array(FEATURES);
  for (let m = 0; m < FEATURES; m++) {
    const k = kernel === 'matern52' ? 5 : kernel === 'matern32' ? 3 : 0;
    const t = k ? Math.sqrt(k / chiSquare(r, k)) : 1;
    omega.push(Float64Array.from(lengthscales, (l) => (r.normal() * t) / l));
    phase[m] = 2 * Math.PI * r();
    weight[m] = r.normal();
  }
  const c = Math.sqrt(2 / FEATURES);
  return (u: readonly number[]) => {
    let s = 0;
    for (let m = 0; m < FEATURES; m++) {
      const w = omega[m];
      let a = phase[m];
      for (let j = 0; j < d; j++) a += w[j] * u[j];
      s += weight[m] * Math.cos(a);
    }
    return c * s;
  };
}

function gpInstance(seed: number): SuiteInstance {
  const key = `gp-${seed}`;
  const r = seededRandom(`suite/${key}`);
  const d = r.int(2, 8);
  const kernel = pick(r, ['rbf', 'matern52', 'matern32'] as const);
  const base = logUniform(r, 0.12, 0.45) * Math.sqrt(d / 3);
  const lengthscales = Array.from({ length: d }, () => Math.min(1, base * Math.exp(0.4 * r.normal())));
  const f = gpDraw(r, d, kernel, lengthscales);
  const goal = r() < 0.5 ? ('minimize' as const) : ('maximize' as const);
  const sign = goal === 'minimize' ? 1 : -1;
  const offset = round3(-10 + 20 * r());
  const amplitude = round3(logUniform(r, 0.1, 100));
  const parameters = randomBoxes(r, d) as Numeric[];
  const noisy = r() < 0.3;
  const failing = r() < 0.2;
  const setting = drawSetting(r);
  const fails = failing ? failingRegion(r, d, 0.1 + 0.25 * r()) : () => false;
  const tOf = (p: Params) => parameters.map((q) => toT(q, p[q.name] as number));
  const y = (u: readonly number[]) => offset + amplitude * f(u);
  const evaluate = (p: Params) => {
    const t = tOf(p);
    return fails(t) ? ({ failed: true } as const) : { values: { y: y(t.map((v) => (v + 1) / 2)) } };
  };
  const problem = { parameters: parameters as ParameterSpec[], objective: { name: 'y', goal }, evaluate };
  const noiseSd = noisy ? noiseFor(r, sampleValues(problem, r)) : undefined;
  const best = estimateMinimum((u) => (fails(u.map((v) => 2 * v - 1)) ? Infinity : sign * f(u)), d, seededRandom(`suite/${key}/optimum`));
  return {
    key,
    family: 'gp',
    seed,
    name: describe(key, d, noisy, failing, setting),
    ...problem,
    optimum: y(best.x),
    optimumHow: `estimated: best of 20,000 uniform points, then a compass search from the 10 best to a step of 1e-7 (${kernel}, lengthscales ${lengthscales.map((l) => l.toFixed(2)).join(', ')})`,
    argmax: Object.fromEntries(parameters.map((q, i) => [q.name, fromT(q, 2 * best.x[i] - 1)])),
    noiseSd,
    budget: budgetFor(Math.min(70, 20 + 6 * d), setting.batch),
    ...setting,
    noisy,
    failing,
  };
}

// ---------------------------------------------------------------- mixed spaces

function mixedInstance(seed: number): SuiteInstance {
  const key = `mixed-${seed}`;
  const r = seededRandom(`suite/${key}`);
  // The base classic cycles with the seed, so that every family member appears.
  const bases = CLASSICS.filter((c) => c.name !== 'hartmann');
  const classic = bases[seed % bases.length];
  const nc = r.int(2, 5);
  const ni = r.int(1, 2);
  const d = nc + ni;
  const amplitude = classic.name === 'rastrigin' ? round3(1 + 2 * r()) : undefined;
  const { g, tStar, min } = rotatedClassicCore(classic, r, d, d, amplitude);
  const continuous = randomBoxes(r, nc) as Numeric[];
  const integers = Array.from({ length: ni }, (_, i) => {
    const low = r.int(-5, 5);
    return { name: `n${i + 1}`, type: 'integer' as const, low, high: low + r.int(4, 15) };
  });
  // The minimiser's integer coordinates lie on the grid, at least 2 steps from either end.
  integers.forEach((q, i) => {
    tStar[nc + i] = toT(q, r.int(q.low + 2, q.high - 2));
  });
  const numeric: Numeric[] = [...continuous, ...integers];
  const spread = quantile(
    Array.from({ length: 256 }, () => g(Array.from({ length: d }, () => -1 + 2 * r())) - min),
    0.5,
  )!;
  const categoricals = Array.from({ length: r.int(1, 2) }, (_, c) => {
    const levels = Array.from({ length: r.int(2, 5) }, (_, l) => ({
      name: `c${c + 1}${String.fromCharCode(97 + l)}`,
      // shifts of the minimiser: at most 0.2 per continuous coordinate, one step per integer one
      shift: numeric.map((q, j) => (j < nc ? Math.max(-0.2, Math.min(0.2, 0.1 * r.normal())) : (r.int(-1, 1) * 2) / (q.high - q.low))),
      scale: logUniform(r, 0.6, 1.6),
      offset: 0.3 * spread * r(),
    }));
    return { name: `c${c + 1}`, levels };
  });
  const parameters: ParameterSpec[] = [
    ...numeric,
    ...categoricals.map((c) => ({ name: c.name, type: 'categorical' as const, choices: c.levels.map((l) => l.name) })),
  ];
  const noisy = r() < 0.3;
  const failing = r() < 0.15;
  const setting = drawSetting(r, 'no8');
  const levelsOf = (p: Params) => categoricals.map((c) => c.levels.find((l) => l.name === p[c.name])!);
  const combine = (levels: (typeof categoricals)[number]['levels']) => ({
    shift: numeric.map((_, j) => levels.reduce((s, l) => s + l.shift[j], 0)),
    scale: levels.reduce((s, l) => s * l.scale, 1),
    offset: levels.reduce((s, l) => s + l.offset, 0),
  });
  // Every combination's minimum is scale * min + offset, at t* + shift: find the best one.
  const combos = categoricals.reduce<(typeof categoricals)[number]['levels'][]>(
    (acc, c) => acc.flatMap((a) => c.levels.map((l) => [...a, l])),
    [[]],
  );
  let bestCombo = combos[0];
  for (const combo of combos) {
    const a = combine(combo);
    const b = combine(bestCombo);
    if (a.scale * min + a.offset < b.scale * min + b.offset) bestCombo = combo;
  }
  const best = combine(bestCombo);
  const tBest = tStar.map((t, j) => t + best.shift[j]);
  const fails = failing ? failingRegion(r, d, 0.1 + 0.2 * r(), { t: tBest, margin: 0.05 + 0.2 * r() }) : () => false;
  const evaluate = (p: Params) => {
    const t = numeric.map((q) => toT(q, p[q.name] as number));
    if (fails(t)) return { failed: true } as const;
    const { shift, scale, offset } = combine(levelsOf(p));
    return { values: { y: scale * g(t.map((v, j) => v - shift[j])) + offset } };
  };
  const problem = { parameters, objective: { name: 'y', goal: 'minimize' as const }, evaluate };
  const noiseSd = noisy ? noiseFor(r, sampleValues(problem, r)) : undefined;
  const argmax: Params = Object.fromEntries(numeric.map((q, j) => [q.name, j < nc ? fromT(q, tBest[j]) : Math.round(fromT(q, tBest[j]))]));
  categoricals.forEach((c, i) => (argmax[c.name] = bestCombo[i].name));
  return {
    key,
    family: 'mixed',
    seed,
    name: describe(key, parameters.length, noisy, failing, setting),
    ...problem,
    optimum: best.scale * min + best.offset,
    optimumHow: `exact: rotated ${classic.name}; each categorical combination's minimum is scale x ${classic.name}'s minimum + offset, at a point of the integer grid inside the box`,
    argmax,
    noiseSd,
    budget: budgetFor(40 + 5 * d, setting.batch),
    ...setting,
    noisy,
    failing,
  };
}

// ---------------------------------------------------------------- reaction emulator

const logistic = (x: number) => 1 / (1 + Math.exp(-x));

function reactionInstance(seed: number): SuiteInstance {
  const key = `reaction-${seed}`;
  const r = seededRandom(`suite/${key}`);
  const level = (prefix: string, n: number, sd: number) =>
    Array.from({ length: n }, (_, i) => ({ name: `${prefix}${i + 1}`, effect: sd * r.normal() }));
  const catalysts = level('cat', r.int(3, 5), 0.7);
  const ligands = level('L', r.int(3, 6), 0.7).map((l) => ({ ...l, move: [0.15 * r.normal(), 0.15 * r.normal(), 0.15 * r.normal()] }));
  const solvents = level('solv', r.int(3, 5), 0.5).map((s) => ({
    ...s,
    move: [0.15 * r.normal(), 0.15 * r.normal(), 0.15 * r.normal()],
    boilingC: Math.round(60 + 100 * r()),
  }));
  const interaction = catalysts.map(() => ligands.map(() => 0.6 * r.normal()));
  const centre = [0.3 + 0.4 * r(), 0.3 + 0.4 * r(), 0.3 + 0.4 * r()];
  const width = [0.25 + 0.35 * r(), 0.25 + 0.35 * r(), 0.25 + 0.35 * r()];
  // Conditions in [0, 1]: temperature 25..150 °C, time 0.5..24 h on a log scale, concentration 0.05..1 M.
  const uOf = (p: Params) => [
    ((p.temperature as number) - 25) / 125,
    Math.log((p.time as number) / 0.5) / Math.log(48),
    ((p.concentration as number) - 0.05) / 0.95,
  ];
  const uMaxTemperature = (s: (typeof solvents)[number]) => Math.min(1, (s.boilingC + 10 - 25) / 125);
  const clamp = (x: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, x));
  const optimumAt = (l: (typeof ligands)[number], s: (typeof solvents)[number]) =>
    centre.map((c, j) => clamp(c + l.move[j] + s.move[j], 0.02, 0.98));
  const conditions = (u: number[], l: (typeof ligands)[number], s: (typeof solvents)[number]) => {
    const mu = optimumAt(l, s);
    return -u.reduce((acc, v, j) => acc + ((v - mu[j]) / width[j]) ** 2, 0);
  };
  // The best of each combination: the separable quadratic is best at its centre clipped to the feasible box.
  const bestU = (l: (typeof ligands)[number], s: (typeof solvents)[number]) => {
    const mu = optimumAt(l, s);
    return [Math.min(mu[0], uMaxTemperature(s)), mu[1], mu[2]];
  };
  let top = { eta: -Infinity, c: 0, l: 0, s: 0 };
  catalysts.forEach((c, ci) =>
    ligands.forEach((l, li) =>
      solvents.forEach((s, si) => {
        const eta = c.effect + l.effect + s.effect + interaction[ci][li] + conditions(bestU(l, s), l, s);
        if (eta > top.eta) top = { eta, c: ci, l: li, s: si };
      }),
    ),
  );
  const bestYield = 0.85 + 0.1 * r();
  const base = Math.log(bestYield / (1 - bestYield)) - top.eta; // the best combination yields 85–95 %
  const evaluate = (p: Params) => {
    const ci = catalysts.findIndex((c) => c.name === p.catalyst);
    const li = ligands.findIndex((l) => l.name === p.ligand);
    const s = solvents.find((x) => x.name === p.solvent)!;
    if ((p.temperature as number) > s.boilingC + 10) return { failed: true } as const;
    const l = ligands[li];
    const eta = base + catalysts[ci].effect + l.effect + s.effect + interaction[ci][li] + conditions(uOf(p), l, s);
    return { values: { yield: 100 * logistic(eta) } };
  };
  const setting = r() < 0.5 ? { batch: 1, pending: 0 } : { batch: 4, pending: 0 };
  const u = bestU(ligands[top.l], solvents[top.s]);
  return {
    key,
    family: 'reaction',
    seed,
    name: describe(key, 6, true, true, setting),
    parameters: [
      { name: 'catalyst', type: 'categorical', choices: catalysts.map((c) => c.name) },
      { name: 'ligand', type: 'categorical', choices: ligands.map((l) => l.name) },
      { name: 'solvent', type: 'categorical', choices: solvents.map((s) => s.name) },
      { name: 'temperature', type: 'continuous', low: 25, high: 150 },
      { name: 'time', type: 'continuous', low: 0.5, high: 24 },
      { name: 'concentration', type: 'continuous', low: 0.05, high: 1 },
    ],
    objective: { name: 'yield', goal: 'maximize' },
    evaluate,
    optimum: 100 * logistic(base + top.eta),
    optimumHow:
      "exact: every combination's best conditions (a separable quadratic's centre clipped to the box and below the boiling point)",
    argmax: {
      catalyst: catalysts[top.c].name,
      ligand: ligands[top.l].name,
      solvent: solvents[top.s].name,
      temperature: 25 + 125 * u[0],
      time: 0.5 * Math.exp(u[1] * Math.log(48)),
      concentration: 0.05 + 0.95 * u[2],
    },
    noiseSd: round3(1 + 2 * r()),
    budget: 60,
    ...setting,
    noisy: true,
    failing: true,
  };
}

// ---------------------------------------------------------------- compositions

function compositionInstance(seed: number): SuiteInstance {
  const key = `composition-${seed}`;
  const r = seededRandom(`suite/${key}`);
  const k = r.int(3, 6);
  const components = ['Ni', 'Fe', 'Co', 'Mn', 'Cu', 'Zn'].slice(0, k);
  const withTemperature = r() < 0.5;
  const linear = components.map(() => 0.5 * r.normal());
  const pair = components.map(() => components.map(() => r.normal()));
  // The sharp optimum: a Dirichlet(0.6) point (gamma draws by Marsaglia–Tsang with the boost for shape < 1).
  const gamma = (shape: number): number => {
    if (shape < 1) return gamma(shape + 1) * r() ** (1 / shape);
    const dd = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * dd);
    for (;;) {
      const x = r.normal();
      const v = (1 + c * x) ** 3;
      if (v > 0 && Math.log(r()) < 0.5 * x * x + dd - dd * v + dd * Math.log(v)) return dd * v;
    }
  };
  const g = components.map(() => gamma(0.6));
  const peak = g.map((x) => x / g.reduce((a, b) => a + b, 0));
  const height = 1.5 + 1.5 * r();
  const sigma = 0.08 + 0.12 * r();
  const tilt = components.map(() => (r() < 0.5 ? -0.3 : 0.3));
  const curvature = 0.5 + 1.5 * r();
  const fractionsOf = (w: readonly number[]) => {
    const total = w.reduce((a, b) => a + b, 0);
    return total > 0 ? w.map((x) => x / total) : w.map(() => 1 / k);
  };
  const activity = (p: readonly number[], tau: number | undefined) => {
    let y = 0;
    let dist = 0;
    for (let i = 0; i < k; i++) {
      y += linear[i] * p[i];
      for (let j = i + 1; j < k; j++) y += pair[i][j] * p[i] * p[j];
      dist += (p[i] - peak[i]) ** 2;
    }
    y += height * Math.exp(-dist / (2 * sigma * sigma));
    if (tau !== undefined) {
      const best = 0.5 + p.reduce((s, x, i) => s + tilt[i] * x, 0);
      y -= curvature * (tau - best) ** 2;
    }
    return y;
  };
  const failing = r() < 0.3;
  const maxFraction = 0.7 + 0.2 * r();
  const fails = (p: readonly number[]) => failing && p.some((x) => x > maxFraction);
  const parameters: ParameterSpec[] = [
    ...components.map((c) => ({ name: `w_${c}`, type: 'continuous' as const, low: 0, high: 1 })),
    ...(withTemperature ? [{ name: 'temperature', type: 'continuous' as const, low: 300, high: 900 }] : []),
  ];
  const evaluate = (p: Params) => {
    const fr = fractionsOf(components.map((c) => p[`w_${c}`] as number));
    if (fails(fr)) return { failed: true } as const;
    const tau = withTemperature ? ((p.temperature as number) - 300) / 600 : undefined;
    return { values: { activity: activity(fr, tau) } };
  };
  const noisy = r() < 0.3;
  const setting = drawSetting(r, 'no8');
  const problem = { parameters, objective: { name: 'activity', goal: 'maximize' as const }, evaluate };
  const noiseSd = noisy ? noiseFor(r, sampleValues(problem, r)) : undefined;
  const dim = k + (withTemperature ? 1 : 0);
  const negative = (u: number[]) => {
    const fr = fractionsOf(u.slice(0, k));
    return fails(fr) ? Infinity : -activity(fr, withTemperature ? u[k] : undefined);
  };
  const start = [...peak, ...(withTemperature ? [0.5 + peak.reduce((s, x, i) => s + tilt[i] * x, 0)] : [])];
  const best = estimateMinimum(negative, dim, seededRandom(`suite/${key}/optimum`), {
    extraStarts: [start.map((x) => Math.min(1, Math.max(0, x)))],
  });
  const argmax: Params = Object.fromEntries(components.map((c, i) => [`w_${c}`, best.x[i]]));
  if (withTemperature) argmax.temperature = 300 + 600 * best.x[k];
  return {
    key,
    family: 'composition',
    seed,
    name: describe(key, dim, noisy, failing, setting),
    ...problem,
    optimum: -best.value,
    optimumHow:
      'estimated: best of 20,000 uniform weight vectors, then a compass search from the 10 best and from the peak, to a step of 1e-7',
    argmax,
    noiseSd,
    budget: budgetFor(20 + 6 * dim, setting.batch),
    ...setting,
    noisy,
    failing,
  };
}

// ---------------------------------------------------------------- the suite

const MAKERS: Record<string, (seed: number) => SuiteInstance> = {
  ...Object.fromEntries(CLASSICS.map((c) => [c.name, (seed: number) => rotatedClassic(c, seed)])),
  gp: gpInstance,
  mixed: mixedInstance,
  reaction: reactionInstance,
  composition: compositionInstance,
};

/** Generates an instance from its key (`ackley-3`), every time anew. */
export function generateInstance(key: string): SuiteInstance {
  const m = /^([a-z]+)-(\d+)$/.exec(key);
  if (!m || !(m[1] in MAKERS)) throw new Error(`no suite instance "${key}" (families: ${Object.keys(MAKERS).join(', ')}; e.g. ackley-3)`);
  return MAKERS[m[1]](Number(m[2]));
}

const cache = new Map<string, SuiteInstance>();

/** The instance of a key (`ackley-3`) or of a full name (`ackley-3-d10-q4`). */
export function suiteInstance(keyOrName: string): SuiteInstance {
  const m = /^([a-z]+)-(\d+)(?:-.*)?$/.exec(keyOrName);
  if (!m || !(m[1] in MAKERS))
    throw new Error(`no suite instance "${keyOrName}" (families: ${Object.keys(MAKERS).join(', ')}; e.g. ackley-3)`);
  const key = `${m[1]}-${m[2]}`;
  let instance = cache.get(key);
  if (!instance) {
    instance = generateInstance(key);
    cache.set(key, instance);
  }
  if (keyOrName !== key && keyOrName !== instance.name)
    throw new Error(`suite instance ${key} is named ${instance.name}, not ${keyOrName}`);
  return instance;
}

/**
 * The split of the suite into a tuning half and a test half: within each
 * family, the instance seeds in a seeded random order, the first half for
 * tuning. Recorded in split.json (a test checks it still holds).
 */
export function suiteSplit(): { tune: string[]; test: string[] } {
  const tune: string[] = [];
  const test: string[] = [];
  for (const [family, n] of Object.entries(FAMILIES)) {
    const r = seededRandom(`suite/split/${family}`);
    const seeds = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(r() * (i + 1));
      [seeds[i], seeds[j]] = [seeds[j], seeds[i]];
    }
    seeds.forEach((s, i) => (i < n / 2 ? tune : test).push(`${family}-${s}`));
  }
  return { tune, test };
}

/**
 * An instance as a problem module of the outside driver (drive.mjs and its
 * PROTOCOL.md): `objectives` instead of `objective`, `noise: { sd }`.
 */
export function driverProblem(instance: SuiteInstance): Record<string, unknown> {
  return {
    name: instance.name,
    parameters: instance.parameters,
    objectives: [instance.objective],
    optimum: instance.optimum,
    ...(instance.noiseSd ? { noise: { sd: instance.noiseSd } } : {}),
    budget: instance.budget,
    evaluate: (params: Params) => instance.evaluate(params),
  };
}

/** The setting's folder name and the driver's flags for it. */
export function settingOf(instance: Pick<SuiteInstance, 'batch' | 'pending'>): { folder: string; flags: string } {
  if (instance.pending) return { folder: `p${instance.pending}`, flags: `--batch ${instance.batch} --pending ${instance.pending}` };
  return { folder: `q${instance.batch}`, flags: `--batch ${instance.batch}` };
}
