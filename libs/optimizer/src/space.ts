import { z } from 'zod';
import { compositionKeys, compositionProblems, compositionValues, validFractions } from './composition.js';
import {
  type ConstraintProblem,
  constraintProblems,
  constraintsSchema,
  constraintViolations,
  FEASIBILITY_SAMPLES,
  feasibilityCheck,
  type LinearConstraint,
  linearForm,
  linearFormRange,
} from './constraints.js';
import { sobolPoints } from './design/sobol.js';
import { elementProperties } from './elements/elements.js';

/**
 * A search space: the parameters a campaign varies. The same shape is used by
 * campaign definitions, the optimizer and the ask/tell benchmark protocol.
 */

const name = z
  .string()
  .min(1, 'a parameter needs a name')
  .max(64)
  .regex(/^[A-Za-z_][A-Za-z0-9_.-]*$/, 'a parameter name starts with a letter or _ and holds letters, digits, _ . -');

const finite = z.number().finite();

export const continuousParameterSchema = z
  .object({
    name,
    type: z.literal('continuous'),
    low: finite,
    high: finite,
    scale: z.enum(['linear', 'log']).default('linear'),
    unit: z.string().max(32).optional(),
  })
  .strict();

export const integerParameterSchema = z
  .object({
    name,
    type: z.literal('integer'),
    low: z.number().int(),
    high: z.number().int(),
    unit: z.string().max(32).optional(),
  })
  .strict();

export const categoricalParameterSchema = z
  .object({
    name,
    type: z.literal('categorical'),
    choices: z.array(z.string().min(1).max(128)).min(1).max(10_000),
    /** Optional numeric descriptors per choice (e.g. DFT descriptors of a ligand). */
    descriptors: z.record(z.string(), z.record(z.string(), finite)).optional(),
  })
  .strict();

/**
 * Fractions of named components (e.g. elements of a catalyst) that sum to
 * `total`, at most `maxComponents` of them non-zero, on a grid of `step` when
 * given. Its value in a point is one number per component, under the key
 * `<name>.<component>`. Components are element symbols (described by the
 * built-in elemental properties) unless `descriptors` gives every component's
 * own numeric descriptors.
 */
export const compositionParameterSchema = z
  .object({
    name,
    type: z.literal('composition'),
    components: z
      .array(
        z
          .string()
          .min(1)
          .max(32)
          .regex(/^[A-Za-z0-9_-]+$/, 'a component name holds letters, digits, _ and - only'),
      )
      .min(2, 'a composition needs at least two components')
      .max(200),
    total: finite.default(1),
    maxComponents: z.number().int().optional(),
    step: finite.optional(),
    descriptors: z.record(z.string(), z.record(z.string(), finite)).optional(),
  })
  .strict();

export const parameterSchema = z.discriminatedUnion('type', [
  continuousParameterSchema,
  integerParameterSchema,
  categoricalParameterSchema,
  compositionParameterSchema,
]);

export type ContinuousParameter = z.infer<typeof continuousParameterSchema>;
export type IntegerParameter = z.infer<typeof integerParameterSchema>;
export type CategoricalParameter = z.infer<typeof categoricalParameterSchema>;
export type CompositionParameter = z.infer<typeof compositionParameterSchema>;
export type Parameter = z.infer<typeof parameterSchema>;
export type ParameterInput = z.input<typeof parameterSchema>;

/**
 * A point in a space: key -> value (numbers for continuous/integer, strings for
 * categorical; a composition has one number per component, keyed
 * `<name>.<component>`).
 */
export type ParamValue = number | string;
export type Params = Record<string, ParamValue>;

/** Semantic checks zod cannot express per field; every problem is reported, not only the first. */
function checkParameter(p: Parameter): string[] {
  const out: string[] = [];
  switch (p.type) {
    case 'continuous':
      if (!(p.low < p.high)) out.push(`parameter "${p.name}": empty range, low (${p.low}) must be below high (${p.high})`);
      if (p.scale === 'log' && p.low <= 0) out.push(`parameter "${p.name}": a log scale needs low > 0 (got ${p.low})`);
      break;
    case 'integer':
      if (!(p.low <= p.high)) out.push(`parameter "${p.name}": empty range, low (${p.low}) must not exceed high (${p.high})`);
      break;
    case 'categorical': {
      const seen = new Set<string>();
      for (const c of p.choices) {
        if (seen.has(c)) out.push(`parameter "${p.name}": duplicate choice "${c}"`);
        seen.add(c);
      }
      if (p.descriptors) {
        const keys = Object.keys(p.descriptors[p.choices[0]] ?? {})
          .sort()
          .join(',');
        for (const c of p.choices) {
          const d = p.descriptors[c];
          if (!d) out.push(`parameter "${p.name}": choice "${c}" has no descriptors`);
          else if (Object.keys(d).sort().join(',') !== keys)
            out.push(`parameter "${p.name}": choice "${c}" has different descriptor names than "${p.choices[0]}"`);
        }
      }
      break;
    }
    case 'composition':
      out.push(...compositionParameterProblems(p));
      break;
  }
  return out;
}

function compositionParameterProblems(p: CompositionParameter): string[] {
  const out: string[] = [];
  const at = `composition "${p.name}"`;
  const seen = new Set<string>();
  for (const c of p.components) {
    if (seen.has(c)) out.push(`${at}: duplicate component "${c}"`);
    seen.add(c);
  }
  const n = p.components.length;
  if (p.maxComponents !== undefined && (p.maxComponents < 1 || p.maxComponents > n))
    out.push(`${at}: maxComponents must be between 1 and the number of components (${n}), got ${p.maxComponents}`);
  if (!(p.total > 0)) out.push(`${at}: total must be positive, got ${p.total}`);
  if (p.step !== undefined) {
    if (!(p.step > 0)) out.push(`${at}: step must be positive, got ${p.step}`);
    else if (p.total > 0) {
      const units = p.total / p.step;
      if (units < 1 - 1e-9 || Math.abs(units - Math.round(units)) > 1e-9 * Math.max(1, units))
        out.push(`${at}: step ${p.step} does not divide the total ${p.total} into a whole number of steps`);
    }
  }
  if (p.descriptors) {
    const keys = Object.keys(p.descriptors[p.components[0]] ?? {})
      .sort()
      .join(',');
    for (const c of p.components) {
      const d = p.descriptors[c];
      if (!d) out.push(`${at}: component "${c}" has no descriptors`);
      else if (Object.keys(d).sort().join(',') !== keys)
        out.push(`${at}: component "${c}" has different descriptor names than "${p.components[0]}"`);
    }
    for (const c of Object.keys(p.descriptors)) if (!seen.has(c)) out.push(`${at}: descriptors given for "${c}", which is not a component`);
  } else {
    const unknown = p.components.filter((c) => !elementProperties(c));
    if (unknown.length > 0)
      out.push(
        `${at}: ${unknown.map((c) => `"${c}"`).join(', ')} ${unknown.length === 1 ? 'is not an element' : 'are not elements'} of the built-in table (H to Bi, case-sensitive symbols); give "descriptors" for every component to use other components`,
      );
  }
  return out;
}

/** The keys a parameter's values take in a point: its name, or `<name>.<component>` for a composition. */
export function parameterKeys(p: Parameter): string[] {
  return p.type === 'composition' ? compositionKeys(p) : [p.name];
}

/** Problems of a list of individually valid parameters: empty ranges, duplicate names and choices. */
export function parameterProblems(params: readonly { index: number; parameter: Parameter }[]): { index: number; message: string }[] {
  const seen = new Set<string>();
  const out: { index: number; message: string }[] = [];
  for (const { index, parameter } of params) {
    if (seen.has(parameter.name)) out.push({ index, message: `duplicate parameter name "${parameter.name}"` });
    seen.add(parameter.name);
    for (const message of checkParameter(parameter)) out.push({ index, message });
  }
  // A composition's keys (`cat.Ni`) share the namespace of parameter names.
  const owner = new Map<string, string>();
  for (const { index, parameter } of params) {
    for (const key of parameterKeys(parameter)) {
      const other = owner.get(key);
      if (other !== undefined && other !== parameter.name) {
        const what = (name: string) => (name === key ? `parameter "${name}"` : `composition "${name}"`);
        out.push({ index, message: `key "${key}" of ${what(parameter.name)} collides with ${what(other)}` });
      } else owner.set(key, parameter.name);
    }
  }
  return out;
}

export const parametersSchema = z
  .array(parameterSchema)
  .min(1, 'a space needs at least one parameter')
  .max(1000)
  .superRefine((params, ctx) => {
    for (const { index, message } of parameterProblems(params.map((parameter, index) => ({ index, parameter })))) {
      ctx.addIssue({ code: 'custom', path: [index], message });
    }
  });

/**
 * An immutable, validated search space: parameters and, optionally, linear
 * constraints on its numeric parameters (see constraints.ts). Every strategy
 * proposes only points that satisfy the constraints; check() reports a
 * violated one with its values.
 */
export class Space {
  /**
   * The keys of a point, one per unit coordinate (see fromUnit): a
   * parameter's name, or `<name>.<component>` for each component of a
   * composition. Without compositions, the parameter names.
   */
  readonly names: readonly string[];
  private readonly byName: ReadonlyMap<string, Parameter>;
  private readonly keys: ReadonlySet<string>;
  /** Names of the parameters that some constraint involves. */
  private readonly constrained: readonly string[];
  private readonly feasible: (x: Readonly<Params>, exact?: boolean) => boolean;
  private sample?: { feasible: number; interior: Params | undefined };

  /** Trusts its input (see parse for untrusted input). */
  constructor(
    readonly parameters: readonly Parameter[],
    readonly constraints: readonly LinearConstraint[] = [],
  ) {
    this.names = parameters.flatMap(parameterKeys);
    this.byName = new Map(parameters.map((p) => [p.name, p]));
    this.keys = new Set(this.names);
    this.feasible = feasibilityCheck(constraints);
    this.constrained = parameters.filter((p) => constraints.some((c) => p.name in c.coefficients)).map((p) => p.name);
  }

  /**
   * Parses untrusted parameters and constraints; throws a SpaceError naming
   * every problem. Constraint sets that no sampled point satisfies together
   * are a warning only (see constraintProblems), not thrown.
   */
  static parse(input: unknown, constraints: unknown = []): Space {
    const r = parametersSchema.safeParse(input);
    const c = constraintsSchema.safeParse(constraints);
    const problems = [
      ...(r.success ? [] : formatIssues(r.error.issues)),
      ...(c.success ? [] : formatIssues(c.error.issues, 'constraints')),
    ];
    if (r.success && c.success) {
      for (const p of constraintProblems(r.data, c.data))
        if (p.severity === 'error') problems.push(`constraints[${p.index}]: ${p.message}`);
    }
    if (problems.length > 0 || !r.success || !c.success) throw new SpaceError(problems);
    return new Space(r.data, c.data);
  }

  /**
   * Every problem of the constraints: each one's own (constraints.ts), and,
   * when each is satisfiable alone, a warning if none of FEASIBILITY_SAMPLES
   * scrambled Sobol points of the space satisfies all of them together.
   */
  constraintProblems(): ConstraintProblem[] {
    const own = constraintProblems(this.parameters, this.constraints);
    if (own.length > 0 || this.constraints.length < 2 || this.sampled().feasible > 0) return own;
    return [
      {
        message: `no point of ${FEASIBILITY_SAMPLES} sampled over the parameters' ranges satisfies all ${this.constraints.length} constraints together: the feasible region is empty or too small to sample (widen the ranges or loosen the constraints)`,
        severity: 'warning',
      },
    ];
  }

  /** Whether x satisfies every constraint (its values are not checked otherwise; see check). */
  satisfies(x: Readonly<Params>): boolean {
    return this.constraints.length === 0 || this.feasible(x);
  }

  /**
   * A feasible point deep inside the constraints (the sampled point whose
   * smallest slack, relative to the range of each linear form over the box,
   * is largest); undefined when no sampled point is feasible. Without
   * constraints, the point of the unit cube's centre.
   */
  interiorPoint(): Params | undefined {
    return this.sampled().interior;
  }

  /**
   * x with its constrained parameters moved along the segment towards
   * interiorPoint() until every constraint holds: the feasible point of that
   * segment farthest from the interior point (on the boundary when x was
   * outside; found by bisection, integers rounded). x itself when feasible;
   * undefined when the space has no known feasible point.
   */
  pullInside(x: Readonly<Params>): Params | undefined {
    if (this.feasible(x, true)) return { ...x };
    const anchor = this.interiorPoint();
    if (!anchor) return undefined;
    const at = (t: number): Params => {
      const out: Params = { ...x };
      for (const name of this.constrained) {
        const a = anchor[name] as number;
        const b = typeof x[name] === 'number' ? x[name] : a;
        const v = a + t * (b - a);
        out[name] = this.byName.get(name)?.type === 'integer' ? Math.round(v) : v;
      }
      return out;
    };
    let lo = 0;
    let hi = 1;
    for (let k = 0; k < 50 && hi - lo > 1e-15; k++) {
      const mid = (lo + hi) / 2;
      if (this.feasible(at(mid), true)) lo = mid;
      else hi = mid;
    }
    return at(lo);
  }

  private sampled(): { feasible: number; interior: Params | undefined } {
    if (this.sample) return this.sample;
    const centre = this.fromUnit(new Array<number>(this.dimension).fill(0.5));
    if (this.constraints.length === 0) return (this.sample = { feasible: FEASIBILITY_SAMPLES, interior: centre });
    const ranges = this.constraints.map((c) => {
      const { min, max } = linearFormRange(c, this.byName);
      return max - min > 0 ? max - min : 1;
    });
    // Smallest relative slack over the constraints: positive inside, negative outside.
    const depth = (x: Params) =>
      Math.min(...this.constraints.map((c, k) => (c.op === '<=' ? c.rhs - linearForm(c, x) : linearForm(c, x) - c.rhs) / ranges[k]));
    let feasible = 0;
    let interior: { x: Params; depth: number } | undefined;
    for (const x of [centre, ...sobolPoints(this.dimension, FEASIBILITY_SAMPLES, 0x5eed).map((u) => this.fromUnit(u))]) {
      if (!this.feasible(x, true)) continue;
      feasible += 1;
      const d = depth(x);
      if (!interior || d > interior.depth) interior = { x, depth: d };
    }
    return (this.sample = { feasible, interior: interior?.x });
  }

  /** Coordinates of the unit cube fromUnit reads: one per parameter, one per component of a composition. */
  get dimension(): number {
    return this.names.length;
  }

  parameter(name: string): Parameter | undefined {
    return this.byName.get(name);
  }

  /**
   * Maps a point of the unit cube [0,1)^d to parameters (one coordinate per
   * parameter, one per component of a composition): continuous linearly or
   * logarithmically, integers and categorical choices by equal-width bins.
   * A composition's coordinates become weights -log(1 - u), i.i.d.
   * exponential for uniform u, so that normalised they are uniform on the
   * simplex (a flat Dirichlet); the maxComponents largest are kept,
   * normalised to the total and put on the step grid (exact sum kept).
   */
  fromUnit(u: ArrayLike<number>): Params {
    if (u.length !== this.dimension) throw new SpaceError([`expected ${this.dimension} coordinates, got ${u.length}`]);
    const out: Params = {};
    let i = 0;
    for (const p of this.parameters) {
      if (p.type === 'composition') {
        const weights = p.components.map((_, j) => -Math.log1p(-Math.min(Math.max(u[i + j], 0), 1 - 1e-16)));
        const values = compositionValues(p, validFractions(p, weights, 'normalise'));
        compositionKeys(p).forEach((key, j) => (out[key] = values[j]));
        i += p.components.length;
        continue;
      }
      const t = Math.min(Math.max(u[i++], 0), 1);
      switch (p.type) {
        case 'continuous':
          out[p.name] =
            p.scale === 'log'
              ? Math.min(p.high, Math.max(p.low, Math.exp(Math.log(p.low) + t * (Math.log(p.high) - Math.log(p.low)))))
              : Math.min(p.high, Math.max(p.low, p.low + t * (p.high - p.low)));
          break;
        case 'integer': {
          const n = p.high - p.low + 1;
          out[p.name] = p.low + Math.min(n - 1, Math.floor(t * n));
          break;
        }
        case 'categorical':
          out[p.name] = p.choices[Math.min(p.choices.length - 1, Math.floor(t * p.choices.length))];
          break;
      }
    }
    return out;
  }

  /**
   * Inverse of fromUnit: the centre of a bin for integers and categories;
   * 1 - exp(-f) for a composition's fraction f of the total (fromUnit maps
   * these back to the same composition).
   */
  toUnit(x: Params): number[] {
    return this.parameters.flatMap((p) => {
      if (p.type === 'composition') return compositionKeys(p).map((key) => -Math.expm1(-Math.max(0, Number(x[key]) || 0) / p.total));
      const v = x[p.name];
      switch (p.type) {
        case 'continuous': {
          const n = v as number;
          return p.scale === 'log'
            ? (Math.log(n) - Math.log(p.low)) / (Math.log(p.high) - Math.log(p.low))
            : (n - p.low) / (p.high - p.low);
        }
        case 'integer':
          return ((v as number) - p.low + 0.5) / (p.high - p.low + 1);
        case 'categorical':
          return (p.choices.indexOf(v as string) + 0.5) / p.choices.length;
      }
    });
  }

  /**
   * Every problem with a point: missing, extra, wrong type or out of range
   * values, violated constraints (with their values). Empty when valid.
   */
  check(x: unknown): string[] {
    if (typeof x !== 'object' || x === null || Array.isArray(x)) return ['parameters must be an object of name -> value'];
    const rec = x as Record<string, unknown>;
    const problems: string[] = [];
    for (const key of Object.keys(rec)) if (!this.keys.has(key)) problems.push(`unknown parameter "${key}"`);
    for (const p of this.parameters) {
      if (p.type === 'composition') {
        problems.push(...compositionProblems(p, rec));
        continue;
      }
      const v = rec[p.name];
      if (v === undefined) {
        problems.push(`missing parameter "${p.name}"`);
        continue;
      }
      switch (p.type) {
        case 'continuous':
          if (typeof v !== 'number' || !Number.isFinite(v)) problems.push(`"${p.name}" must be a finite number`);
          else if (v < p.low || v > p.high) problems.push(`"${p.name}" = ${v} is outside [${p.low}, ${p.high}]`);
          break;
        case 'integer':
          if (typeof v !== 'number' || !Number.isInteger(v)) problems.push(`"${p.name}" must be an integer`);
          else if (v < p.low || v > p.high) problems.push(`"${p.name}" = ${v} is outside [${p.low}, ${p.high}]`);
          break;
        case 'categorical':
          if (typeof v !== 'string' || !p.choices.includes(v))
            problems.push(`"${p.name}" must be one of ${p.choices.map((c) => JSON.stringify(c)).join(', ')}`);
          break;
      }
    }
    problems.push(...constraintViolations(this.constraints, rec as Params));
    return problems;
  }

  /** A stable key for de-duplicating points (rounded continuous values and fractions). */
  key(x: Params): string {
    return this.parameters
      .flatMap((p) => {
        if (p.type === 'composition')
          return compositionKeys(p).map((key) => (typeof x[key] === 'number' ? x[key].toPrecision(12) : String(x[key])));
        const v = x[p.name];
        return typeof v === 'number' && p.type === 'continuous' ? v.toPrecision(12) : String(v);
      })
      .join('|');
  }
}

export class SpaceError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('; '));
    this.name = 'SpaceError';
  }
}

/** Turns zod issues into readable lines like `parameters[2].low: expected number`. */
export function formatIssues(issues: readonly z.core.$ZodIssue[], prefix = ''): string[] {
  return issues.map((i) => {
    const path = i.path.map((seg, k) => (typeof seg === 'number' ? `[${seg}]` : `${k === 0 && !prefix ? '' : '.'}${String(seg)}`)).join('');
    const where = `${prefix}${path}`;
    return where ? `${where}: ${i.message}` : i.message;
  });
}
