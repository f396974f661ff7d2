/**
 * Arithmetic of composition parameters: fractions of named components that
 * sum to a total, with at most maxComponents of them non-zero and, with a
 * step, every fraction a multiple of the step (as plates are dispensed).
 * A composition's value is carried in Params as one number per component
 * under `<name>.<component>`, so the rest of the system sees plain numbers.
 */
import type { CompositionParameter } from './space.js';

/** Relative tolerance of a composition's sum and of its step grid. */
export const COMPOSITION_TOLERANCE = 1e-6;

/** The Params keys of a composition's components, in component order. */
export function compositionKeys(p: CompositionParameter): string[] {
  return p.components.map((c) => `${p.name}.${c}`);
}

export function maxComponentsOf(p: CompositionParameter): number {
  return p.maxComponents ?? p.components.length;
}

/** Grid units in the total (total / step), or undefined without a step. */
export function gridUnits(p: CompositionParameter): number | undefined {
  return p.step === undefined ? undefined : Math.round(p.total / p.step);
}

/** Indices of the k largest entries (earlier index first among ties). */
function largest(v: readonly number[], k: number): number[] {
  return Array.from(v.keys())
    .sort((a, b) => v[b] - v[a] || a - b)
    .slice(0, k);
}

/**
 * Euclidean projection of v onto the probability simplex {x >= 0, Σx = 1}
 * (the sort-based algorithm of Held, Wolfe and Crowder 1974; Duchi et al. 2008).
 */
export function projectToSimplex(v: readonly number[]): number[] {
  const u = [...v].sort((a, b) => b - a);
  let cumulative = 0;
  let theta = 0;
  for (let j = 0; j < u.length; j++) {
    cumulative += u[j];
    const t = (cumulative - 1) / (j + 1);
    if (u[j] - t > 0) theta = t;
  }
  return v.map((x) => Math.max(0, x - theta));
}

/**
 * Integer grid units summing exactly to `units` for fractions summing to 1
 * (largest-remainder rounding: floors, then one more unit to the largest
 * remainders). A zero fraction never gets a unit, so sparsity is kept.
 */
export function roundToGrid(fractions: readonly number[], units: number): number[] {
  const q = fractions.map((f) => Math.max(0, f) * units);
  const out = q.map((x) => Math.floor(x));
  let left = units - out.reduce((a, b) => a + b, 0);
  const order = Array.from(q.keys())
    .filter((i) => q[i] > 0)
    .sort((a, b) => q[b] - out[b] - (q[a] - out[a]) || a - b);
  for (let r = 0; left > 0 && order.length > 0; r = (r + 1) % order.length, left--) out[order[r]] += 1;
  return out;
}

/**
 * A valid composition, as fractions of the total (summing to 1), near raw
 * non-negative-ish values: the maxComponents largest are kept and projected
 * onto the simplex ('project', the nearest point for a search) or divided by
 * their sum ('normalise', for weights drawn from a distribution), then put on
 * the step grid. All-zero input gives equal shares of the first components.
 */
export function validFractions(p: CompositionParameter, raw: ArrayLike<number>, mode: 'project' | 'normalise'): number[] {
  const n = p.components.length;
  const v = Array.from({ length: n }, (_, j) => (Number.isFinite(raw[j]) ? Math.max(0, raw[j]) : 0));
  const kept = largest(v, maxComponentsOf(p));
  const sub = kept.map((j) => v[j]);
  const sum = sub.reduce((a, b) => a + b, 0);
  const shares = mode === 'project' || !(sum > 0) ? projectToSimplex(sum > 0 ? sub : sub.map(() => 0)) : sub.map((x) => x / sum);
  const out = new Array<number>(n).fill(0);
  const units = gridUnits(p);
  if (units === undefined) kept.forEach((j, i) => (out[j] = shares[i]));
  else roundToGrid(shares, units).forEach((u, i) => (out[kept[i]] = u / units));
  return out;
}

/** Parameter values (fractions times the total; exact multiples of the step when there is one). */
export function compositionValues(p: CompositionParameter, fractions: readonly number[]): number[] {
  const units = gridUnits(p);
  if (units === undefined) return fractions.map((f) => f * p.total);
  // units * step in binary floating point can miss the decimal value (3 * 0.1); 12 digits restore it.
  return fractions.map((f) => Number((Math.round(f * units) * (p.step as number)).toPrecision(12)));
}

/** Every problem with a composition's values in a point (empty when valid). */
export function compositionProblems(p: CompositionParameter, rec: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const keys = compositionKeys(p);
  const values: number[] = [];
  keys.forEach((key) => {
    const v = rec[key];
    if (v === undefined) problems.push(`missing parameter "${key}" (component of composition "${p.name}")`);
    else if (typeof v !== 'number' || !Number.isFinite(v)) problems.push(`"${key}" must be a finite number`);
    else if (v < 0) problems.push(`"${key}" = ${v} is negative`);
    else values.push(v);
  });
  if (problems.length > 0) return problems;
  const tol = COMPOSITION_TOLERANCE * p.total;
  const sum = values.reduce((a, b) => a + b, 0);
  if (Math.abs(sum - p.total) > tol)
    problems.push(`composition "${p.name}": the components sum to ${+sum.toPrecision(10)}, not ${p.total}`);
  const nonzero = p.components.filter((_, j) => values[j] > tol);
  const k = maxComponentsOf(p);
  if (nonzero.length > k)
    problems.push(`composition "${p.name}": ${nonzero.length} components are non-zero (${nonzero.join(', ')}), at most ${k} allowed`);
  if (p.step !== undefined) {
    const step = p.step;
    keys.forEach((key, j) => {
      const q = values[j] / step;
      if (Math.abs(q - Math.round(q)) > COMPOSITION_TOLERANCE * Math.max(1, q))
        problems.push(`"${key}" = ${values[j]} is not a multiple of the step ${step}`);
    });
  }
  return problems;
}
