import { z } from 'zod';
import type { Parameter, Params } from './space.js';

/**
 * Linear inequality constraints on the numeric parameters of a space, as labs
 * state them: "x1 + x2 <= 10" (a total volume), "2·temp - time >= 0". A point
 * is feasible when it satisfies every constraint of its space. Only continuous
 * and integer parameters can take part (a composition's own sum is fixed by
 * the composition itself).
 */

export const CONSTRAINT_OPS = ['<=', '>='] as const;
export type ConstraintOp = (typeof CONSTRAINT_OPS)[number];

export const linearConstraintSchema = z
  .object({
    /** Parameter name -> coefficient of the linear form. */
    coefficients: z.record(z.string(), z.number({ error: 'a coefficient must be a finite number' })),
    op: z.enum(CONSTRAINT_OPS),
    rhs: z.number({ error: 'rhs must be a finite number' }),
  })
  .strict();

export type LinearConstraint = z.infer<typeof linearConstraintSchema>;

export const constraintsSchema = z.array(linearConstraintSchema).max(100);

export interface ConstraintProblem {
  /** Index of the constraint in its list; absent for a problem of the list as a whole. */
  index?: number;
  message: string;
  /**
   * 'error': the constraint is malformed or provably unsatisfiable over the
   * parameters' ranges. 'warning': no sampled point satisfied every constraint
   * together, so the feasible region is empty or too small to be sampled.
   */
  severity: 'error' | 'warning';
}

/** Sobol points looked at before the constraints together are reported as unsatisfiable. */
export const FEASIBILITY_SAMPLES = 4096;

/** `x1 + 2*x2 - time`: the linear form as people write it. */
export function formatLinearForm(coefficients: Readonly<Record<string, number>>): string {
  let out = '';
  for (const [name, a] of Object.entries(coefficients)) {
    const magnitude = Math.abs(a) === 1 ? name : `${Math.abs(a)}*${name}`;
    out += out === '' ? (a < 0 ? `-${magnitude}` : magnitude) : a < 0 ? ` - ${magnitude}` : ` + ${magnitude}`;
  }
  return out === '' ? '0' : out;
}

export function formatConstraint(c: LinearConstraint): string {
  return `${formatLinearForm(c.coefficients)} ${c.op} ${c.rhs}`;
}

/** The value of a constraint's linear form at a point; NaN when a value is missing or not a number. */
export function linearForm(c: LinearConstraint, x: Readonly<Params>): number {
  let s = 0;
  for (const [name, a] of Object.entries(c.coefficients)) {
    const v = x[name];
    if (typeof v !== 'number') return NaN;
    s += a * v;
  }
  return s;
}

/**
 * A check of a point against every constraint of a list, with the
 * coefficients laid out once (the acquisition search checks thousands of
 * points per proposal). A value within 1e-9 (relative to the terms' size) past
 * a boundary passes, so that a boundary point put 1e-15 past it by a
 * unit-cube mapping is still feasible; with `exact`, no such slack (used when
 * moving points inside, so that a later round trip cannot push them out).
 * A missing or non-numeric value fails.
 */
export function feasibilityCheck(constraints: readonly LinearConstraint[]): (x: Readonly<Params>, exact?: boolean) => boolean {
  const compiled = constraints.map((c) => ({
    names: Object.keys(c.coefficients),
    coefficients: Object.values(c.coefficients),
    upper: c.op === '<=',
    rhs: c.rhs,
  }));
  return (x, exact = false) => {
    for (const c of compiled) {
      let v = 0;
      let scale = Math.abs(c.rhs);
      for (let k = 0; k < c.names.length; k++) {
        const value = x[c.names[k]];
        if (typeof value !== 'number') return false;
        const term = c.coefficients[k] * value;
        v += term;
        scale += Math.abs(term);
      }
      if (!Number.isFinite(v)) return false;
      const tol = exact ? 0 : 1e-9 * Math.max(1, scale);
      if (c.upper ? !(v <= c.rhs + tol) : !(v >= c.rhs - tol)) return false;
    }
    return true;
  };
}

/**
 * One line per violated constraint, with the values: `constraint 1 (x1 + x2
 * <= 10): x1 + x2 = 12.5 > 10`. Constraints over a missing or non-numeric
 * value are skipped (the point's own check reports that value).
 */
export function constraintViolations(constraints: readonly LinearConstraint[], x: Readonly<Params>): string[] {
  const out: string[] = [];
  constraints.forEach((c, i) => {
    const v = linearForm(c, x);
    if (!Number.isFinite(v) || feasibilityCheck([c])(x)) return;
    const form = formatLinearForm(c.coefficients);
    out.push(`constraint ${i + 1} (${formatConstraint(c)}): ${form} = ${v} ${c.op === '<=' ? '>' : '<'} ${c.rhs}`);
  });
  return out;
}

/** Smallest and largest value of a linear form over the box of its (continuous or integer) parameters. */
export function linearFormRange(c: LinearConstraint, byName: ReadonlyMap<string, Parameter>): { min: number; max: number } {
  let min = 0;
  let max = 0;
  for (const [name, a] of Object.entries(c.coefficients)) {
    const p = byName.get(name);
    if (!p || (p.type !== 'continuous' && p.type !== 'integer')) continue;
    min += Math.min(a * p.low, a * p.high);
    max += Math.max(a * p.low, a * p.high);
  }
  return { min, max };
}

/**
 * Problems of each constraint on its own, given the space's parameters:
 * no coefficients, an unknown parameter, a parameter that is not continuous
 * or integer, a zero or non-finite coefficient, a non-finite rhs, and a
 * constraint that no point of the parameters' box satisfies (from the range
 * of its linear form over the box).
 */
export function constraintProblems(parameters: readonly Parameter[], constraints: readonly LinearConstraint[]): ConstraintProblem[] {
  const byName = new Map(parameters.map((p) => [p.name, p]));
  const out: ConstraintProblem[] = [];
  constraints.forEach((c, index) => {
    const error = (message: string) => out.push({ index, message, severity: 'error' });
    const entries = Object.entries(c.coefficients ?? {});
    let wellFormed = true;
    if (entries.length === 0) {
      error('a constraint needs at least one coefficient (parameter name -> number)');
      wellFormed = false;
    }
    for (const [name, a] of entries) {
      const p = byName.get(name);
      if (!p) {
        error(`unknown parameter "${name}"`);
        wellFormed = false;
      } else if (p.type !== 'continuous' && p.type !== 'integer') {
        error(`parameter "${name}" is ${p.type}: only continuous and integer parameters can be constrained`);
        wellFormed = false;
      }
      if (typeof a !== 'number' || !Number.isFinite(a)) {
        error(`the coefficient of "${name}" must be a finite number, got ${String(a)}`);
        wellFormed = false;
      } else if (a === 0) {
        error(`the coefficient of "${name}" is zero: leave the parameter out instead`);
        wellFormed = false;
      }
    }
    if (typeof c.rhs !== 'number' || !Number.isFinite(c.rhs)) {
      error(`rhs must be a finite number, got ${String(c.rhs)}`);
      wellFormed = false;
    }
    if (c.op !== '<=' && c.op !== '>=') {
      error(`op must be "<=" or ">=", got ${JSON.stringify(c.op)}`);
      wellFormed = false;
    }
    if (!wellFormed) return;
    const { min, max } = linearFormRange(c, byName);
    const form = formatLinearForm(c.coefficients);
    const slack = 1e-9 * Math.max(1, Math.abs(c.rhs), Math.abs(min), Math.abs(max));
    if (c.op === '<=' && min > c.rhs + slack) {
      error(`${formatConstraint(c)} cannot hold: over the parameters' ranges ${form} is at least ${min}`);
    } else if (c.op === '>=' && max < c.rhs - slack) {
      error(`${formatConstraint(c)} cannot hold: over the parameters' ranges ${form} is at most ${max}`);
    }
  });
  return out;
}
