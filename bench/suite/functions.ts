/**
 * The classic test functions the suite rotates and shifts, on plain arrays,
 * each with its global minimiser and minimum over all of R^m (the suite
 * relies on that: a rotated and shifted copy reaches any point near the
 * minimiser, not only points of the function's usual box). Definitions as in
 * Surjanovic and Bingham's Virtual Library of Simulation Experiments
 * (sfu.ca/~ssurjano); Rastrigin's amplitude is a parameter (10 in the
 * literature; milder here).
 */

export interface ClassicFunction {
  /** Value at z (length m). */
  (z: readonly number[]): number;
}

export interface Classic {
  name: 'ackley' | 'levy' | 'rastrigin' | 'rosenbrock' | 'styblinski' | 'hartmann';
  /** The function in m dimensions (Hartmann: m is 3 or 6). */
  make(m: number, amplitude?: number): { f: ClassicFunction; argmin: number[]; min: number };
}

export function ackley(z: readonly number[]): number {
  const m = z.length;
  let sq = 0;
  let cos = 0;
  for (const v of z) {
    sq += v * v;
    cos += Math.cos(2 * Math.PI * v);
  }
  return -20 * Math.exp(-0.2 * Math.sqrt(sq / m)) - Math.exp(cos / m) + 20 + Math.E;
}

export function levy(z: readonly number[]): number {
  const w = z.map((v) => 1 + (v - 1) / 4);
  const m = w.length;
  let s = Math.sin(Math.PI * w[0]) ** 2;
  for (let i = 0; i < m - 1; i++) s += (w[i] - 1) ** 2 * (1 + 10 * Math.sin(Math.PI * w[i] + 1) ** 2);
  s += (w[m - 1] - 1) ** 2 * (1 + Math.sin(2 * Math.PI * w[m - 1]) ** 2);
  return s;
}

export function rastrigin(z: readonly number[], amplitude: number): number {
  let s = 0;
  for (const v of z) s += v * v + amplitude * (1 - Math.cos(2 * Math.PI * v));
  return s;
}

export function rosenbrock(z: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < z.length - 1; i++) s += 100 * (z[i + 1] - z[i] * z[i]) ** 2 + (1 - z[i]) ** 2;
  return s;
}

/** Minimum per coordinate at -2.903534027771...: -39.16616570377142 per dimension. */
export const STYBLINSKI_ARGMIN = -2.9035340276126953;
export const STYBLINSKI_MIN_PER_DIM = -39.16616570377142;

export function styblinski(z: readonly number[]): number {
  let s = 0;
  for (const v of z) s += v ** 4 - 16 * v * v + 5 * v;
  return s / 2;
}

const H_ALPHA = [1.0, 1.2, 3.0, 3.2];
const H3_A = [
  [3, 10, 30],
  [0.1, 10, 35],
  [3, 10, 30],
  [0.1, 10, 35],
];
const H3_P = [
  [0.3689, 0.117, 0.2673],
  [0.4699, 0.4387, 0.747],
  [0.1091, 0.8732, 0.5547],
  [0.03815, 0.5743, 0.8828],
];
const H6_A = [
  [10, 3, 17, 3.5, 1.7, 8],
  [0.05, 10, 17, 0.1, 8, 14],
  [3, 3.5, 1.7, 10, 17, 8],
  [17, 8, 0.05, 10, 0.1, 14],
];
const H6_P = [
  [0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886],
  [0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991],
  [0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.665],
  [0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381],
];

function hartmann(a: number[][], p: number[][], z: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < 4; i++) {
    let e = 0;
    for (let j = 0; j < z.length; j++) e += a[i][j] * (z[j] - p[i][j]) ** 2;
    s += H_ALPHA[i] * Math.exp(-e);
  }
  return -s;
}

export const hartmann3 = (z: readonly number[]): number => hartmann(H3_A, H3_P, z);
export const hartmann6 = (z: readonly number[]): number => hartmann(H6_A, H6_P, z);

/**
 * Hartmann's minimisers as published (4 decimals for Hartmann3, 6 for
 * Hartmann6), polished here by the suite's own local search so that the stated
 * minimum is the function's value at the stated point.
 */
export const HARTMANN3_ARGMIN = [0.114614, 0.555649, 0.852547];
export const HARTMANN6_ARGMIN = [0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573];

export const CLASSICS: readonly Classic[] = [
  { name: 'ackley', make: (m) => ({ f: ackley, argmin: new Array<number>(m).fill(0), min: 0 }) },
  { name: 'levy', make: (m) => ({ f: levy, argmin: new Array<number>(m).fill(1), min: 0 }) },
  {
    name: 'rastrigin',
    make: (m, amplitude = 2) => ({ f: (z) => rastrigin(z, amplitude), argmin: new Array<number>(m).fill(0), min: 0 }),
  },
  { name: 'rosenbrock', make: (m) => ({ f: rosenbrock, argmin: new Array<number>(m).fill(1), min: 0 }) },
  {
    name: 'styblinski',
    make: (m) => ({
      f: styblinski,
      argmin: new Array<number>(m).fill(STYBLINSKI_ARGMIN),
      min: styblinski(new Array<number>(m).fill(STYBLINSKI_ARGMIN)),
    }),
  },
  {
    name: 'hartmann',
    make: (m) => {
      const f = m === 3 ? hartmann3 : hartmann6;
      const argmin = m === 3 ? HARTMANN3_ARGMIN : HARTMANN6_ARGMIN;
      return { f, argmin, min: f(argmin) };
    },
  },
];
