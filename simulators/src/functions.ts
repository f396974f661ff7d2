/**
 * Benchmark functions with known optima, for simulated rigs and end-to-end
 * tests (regret = best observed - optimum). Definitions follow the Virtual
 * Library of Simulation Experiments (Surjanovic & Bingham, sfu.ca/~ssurjano).
 * Parameters are named x1..xd.
 */

export interface BenchmarkParameter {
  name: string;
  type: 'continuous';
  low: number;
  high: number;
}

export interface BenchmarkFunction {
  name: string;
  parameters: BenchmarkParameter[];
  /** The global minimum. */
  optimum: number;
  direction: 'minimize';
  /** Known global minimisers (one or more). */
  minimizers: Array<Record<string, number>>;
  /** Evaluates at x; throws on a missing or non-finite coordinate (range is checked by checkParams). */
  evaluate(x: Record<string, number>): number;
}

function names(d: number): string[] {
  return Array.from({ length: d }, (_, i) => `x${i + 1}`);
}

function box(d: number, low: number, high: number): BenchmarkParameter[] {
  return names(d).map((name) => ({ name, type: 'continuous', low, high }));
}

function point(values: number[]): Record<string, number> {
  return Object.fromEntries(values.map((v, i) => [`x${i + 1}`, v]));
}

/** Reads x1..xd from x as an array, with a clear error on a missing or non-finite coordinate. */
function vector(fn: string, x: Record<string, number>, d: number): number[] {
  return names(d).map((name) => {
    const v = x[name];
    if (typeof v !== 'number' || !Number.isFinite(v))
      throw new Error(`${fn}: parameter "${name}" must be a finite number, got ${String(v)}`);
    return v;
  });
}

function checkDimension(family: string, d: number): void {
  if (!Number.isInteger(d) || d < 1 || d > 1000) throw new Error(`${family}: dimension must be an integer in [1, 1000], got ${d}`);
}

export const branin: BenchmarkFunction = {
  name: 'branin',
  parameters: [
    { name: 'x1', type: 'continuous', low: -5, high: 10 },
    { name: 'x2', type: 'continuous', low: 0, high: 15 },
  ],
  optimum: 0.397887357729739,
  direction: 'minimize',
  minimizers: [point([-Math.PI, 12.275]), point([Math.PI, 2.275]), point([3 * Math.PI, 2.475])],
  evaluate(x) {
    const [x1, x2] = vector('branin', x, 2);
    const b = 5.1 / (4 * Math.PI * Math.PI);
    const c = 5 / Math.PI;
    const t = 1 / (8 * Math.PI);
    return (x2 - b * x1 * x1 + c * x1 - 6) ** 2 + 10 * (1 - t) * Math.cos(x1) + 10;
  },
};

const H6_ALPHA = [1.0, 1.2, 3.0, 3.2];
const H6_A = [
  [10, 3, 17, 3.5, 1.7, 8],
  [0.05, 10, 17, 0.1, 8, 14],
  [3, 3.5, 1.7, 10, 17, 8],
  [17, 8, 0.05, 10, 0.1, 14],
];
const H6_P = [
  [1312, 1696, 5569, 124, 8283, 5886],
  [2329, 4135, 8307, 3736, 1004, 9991],
  [2348, 1451, 3522, 2883, 3047, 6650],
  [4047, 8828, 8732, 5743, 1091, 381],
].map((row) => row.map((v) => v * 1e-4));

export const hartmann6: BenchmarkFunction = {
  name: 'hartmann6',
  parameters: box(6, 0, 1),
  optimum: -3.32236801141551,
  direction: 'minimize',
  minimizers: [point([0.20168952, 0.15001069, 0.47687398, 0.27533243, 0.31165162, 0.65730054])],
  evaluate(x) {
    const v = vector('hartmann6', x, 6);
    let sum = 0;
    for (let i = 0; i < 4; i++) {
      let inner = 0;
      for (let j = 0; j < 6; j++) inner += H6_A[i][j] * (v[j] - H6_P[i][j]) ** 2;
      sum += H6_ALPHA[i] * Math.exp(-inner);
    }
    return -sum;
  },
};

export function ackley(d: number): BenchmarkFunction {
  checkDimension('ackley', d);
  const name = `ackley${d}`;
  return {
    name,
    parameters: box(d, -32.768, 32.768),
    optimum: 0,
    direction: 'minimize',
    minimizers: [point(new Array<number>(d).fill(0))],
    evaluate(x) {
      const v = vector(name, x, d);
      const sq = v.reduce((s, xi) => s + xi * xi, 0) / d;
      const cos = v.reduce((s, xi) => s + Math.cos(2 * Math.PI * xi), 0) / d;
      return -20 * Math.exp(-0.2 * Math.sqrt(sq)) - Math.exp(cos) + 20 + Math.E; // ~4e-16 at the minimiser (rounding)
    },
  };
}

export function rosenbrock(d: number): BenchmarkFunction {
  checkDimension('rosenbrock', d);
  if (d < 2) throw new Error('rosenbrock: dimension must be at least 2');
  const name = `rosenbrock${d}`;
  return {
    name,
    parameters: box(d, -5, 10),
    optimum: 0,
    direction: 'minimize',
    minimizers: [point(new Array<number>(d).fill(1))],
    evaluate(x) {
      const v = vector(name, x, d);
      let sum = 0;
      for (let i = 0; i < d - 1; i++) sum += 100 * (v[i + 1] - v[i] * v[i]) ** 2 + (v[i] - 1) ** 2;
      return sum;
    },
  };
}

export function levy(d: number): BenchmarkFunction {
  checkDimension('levy', d);
  const name = `levy${d}`;
  return {
    name,
    parameters: box(d, -10, 10),
    optimum: 0,
    direction: 'minimize',
    minimizers: [point(new Array<number>(d).fill(1))],
    evaluate(x) {
      const w = vector(name, x, d).map((xi) => 1 + (xi - 1) / 4);
      const wd = w[d - 1];
      let sum = Math.sin(Math.PI * w[0]) ** 2;
      for (let i = 0; i < d - 1; i++) sum += (w[i] - 1) ** 2 * (1 + 10 * Math.sin(Math.PI * w[i] + 1) ** 2);
      sum += (wd - 1) ** 2 * (1 + Math.sin(2 * Math.PI * wd) ** 2);
      return sum;
    },
  };
}

const families: Record<string, (d: number) => BenchmarkFunction> = { ackley, rosenbrock, levy };

export const benchmarkFunctions: Record<string, BenchmarkFunction> = Object.fromEntries(
  [branin, hartmann6, ackley(2), ackley(5), rosenbrock(2), rosenbrock(5), levy(2), levy(5)].map((f) => [f.name, f]),
);

/**
 * Looks a benchmark up by name: one of benchmarkFunctions, or a d-dimensional
 * family with its dimension appended (`ackley3`, `rosenbrock10`, `levy7`).
 */
export function getBenchmark(name: string): BenchmarkFunction {
  const known = benchmarkFunctions[name.toLowerCase()];
  if (known) return known;
  const m = /^(ackley|rosenbrock|levy)(\d+)$/.exec(name.toLowerCase());
  if (m) return families[m[1]](Number(m[2]));
  throw new Error(
    `unknown benchmark function "${name}": known are ${Object.keys(benchmarkFunctions).join(', ')}` +
      `, or ${Object.keys(families).join('/')} followed by a dimension (e.g. ackley3)`,
  );
}

export type ParamCheck = { ok: true; x: Record<string, number> } | { ok: false; reason: string };

/**
 * Checks a command's params against a benchmark's parameters: each must be
 * present, a finite number and inside [low, high]. Extra params are ignored.
 */
export function checkParams(fn: BenchmarkFunction, params: Record<string, number | string>): ParamCheck {
  const x: Record<string, number> = {};
  for (const p of fn.parameters) {
    const v = params[p.name];
    if (v === undefined)
      return { ok: false, reason: `missing parameter "${p.name}" (${fn.name} needs ${fn.parameters.map((q) => q.name).join(', ')})` };
    if (typeof v !== 'number' || !Number.isFinite(v))
      return { ok: false, reason: `parameter "${p.name}" must be a number, got ${JSON.stringify(v)}` };
    if (v < p.low || v > p.high) return { ok: false, reason: `parameter "${p.name}" = ${v} is outside [${p.low}, ${p.high}]` };
    x[p.name] = v;
  }
  return { ok: true, x };
}

/** One value a several-outcome benchmark reports: an objective (with its direction) or an outcome with a limit. */
export interface BenchmarkOutcome {
  name: string;
  direction?: 'minimize' | 'maximize';
  limit?: { op: '<=' | '>='; value: number };
  low?: number;
  high?: number;
}

/** A benchmark that reports several values at once: objectives to trade off, and outcomes with limits. */
export interface MultiBenchmarkFunction {
  name: string;
  parameters: BenchmarkParameter[];
  outcomes: BenchmarkOutcome[];
  evaluate(x: Record<string, number>): Record<string, number>;
}

const GAS_CONSTANT = 8.314;

/**
 * A continuous flow reactor running the consecutive first-order reactions
 * A → B → C (B the product, C an over-reaction impurity), with Arrhenius rate
 * constants: k1 = 0.15 /min and k2 = 0.01 /min at 90 °C, activation energies
 * 50 and 90 kJ/mol, so heat speeds the product up but the impurity more.
 * With [A]0 = 1 after a residence time t: [B] = k1/(k2 - k1) (e^-k1 t - e^-k2 t)
 * (k1 t e^-k1 t where k1 = k2), [C] = 1 - [A] - [B]. It reports the yield
 * of B (%, maximised), the cost of a run (0.5 per minute of residence and
 * 0.05 per degree of heating above 40 °C, minimised) and the impurity (% of
 * C, limited to at most 5 %): a front of yield against cost where the limit
 * cuts off the hot, long runs.
 */
export const flowReactor: MultiBenchmarkFunction = {
  name: 'flowreactor',
  parameters: [
    { name: 'temperature', type: 'continuous', low: 40, high: 140 },
    { name: 'residence_time', type: 'continuous', low: 1, high: 30 },
  ],
  outcomes: [
    { name: 'yield', direction: 'maximize', low: 0, high: 100 },
    { name: 'cost', direction: 'minimize', low: 0 },
    { name: 'impurity', limit: { op: '<=', value: 5 }, low: 0, high: 100 },
  ],
  evaluate(x) {
    const [temperature, t] = [x.temperature, x.residence_time];
    for (const [name, v] of [
      ['temperature', temperature],
      ['residence_time', t],
    ] as const)
      if (typeof v !== 'number' || !Number.isFinite(v))
        throw new Error(`flowreactor: parameter "${name}" must be a finite number, got ${String(v)}`);
    const kelvin = temperature + 273.15;
    const arrhenius = (k90: number, energy: number) => k90 * Math.exp((-energy / GAS_CONSTANT) * (1 / kelvin - 1 / 363.15));
    const k1 = arrhenius(0.15, 50_000);
    const k2 = arrhenius(0.01, 90_000);
    const a = Math.exp(-k1 * t);
    const b = Math.abs(k1 - k2) < 1e-12 ? k1 * t * a : (k1 / (k2 - k1)) * (a - Math.exp(-k2 * t));
    const c = Math.max(0, 1 - a - b);
    return { yield: 100 * b, cost: 0.5 * t + 0.05 * (temperature - 40), impurity: 100 * c };
  },
};

export const multiBenchmarkFunctions: Record<string, MultiBenchmarkFunction> = { [flowReactor.name]: flowReactor };

/** A several-outcome benchmark by name, or undefined. */
export function getMultiBenchmark(name: string): MultiBenchmarkFunction | undefined {
  return multiBenchmarkFunctions[name.toLowerCase()];
}
