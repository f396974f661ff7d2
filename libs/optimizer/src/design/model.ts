import type { Parameter, Params, Space } from '../space.js';
import { DesignError } from './errors.js';

/**
 * The linear models a D-optimal design can be built for:
 * - linear: intercept + main effects;
 * - interactions: + every two-factor interaction;
 * - quadratic: + interactions + the square of every numeric parameter.
 */
export const DESIGN_MODELS = ['linear', 'interactions', 'quadratic'] as const;
export type DesignModel = (typeof DESIGN_MODELS)[number];

/**
 * One coded column of a parameter. Continuous and integer parameters give one
 * column, the value coded to [-1, 1] over the range (on the log scale for a
 * log parameter). A categorical parameter with k choices gives k - 1
 * effect-coded columns: column j is 1 for choice j, -1 for the last choice and
 * 0 otherwise, so that every main effect is a contrast with the mean.
 */
interface Column {
  name: string;
  parameter: number;
  code: (params: Params) => number;
}

/** A term of the model: the product of the columns it names (none: the intercept). */
export interface ModelTerm {
  name: string;
  columns: readonly number[];
}

/**
 * A linear model over a space: turns points into rows of the model matrix X,
 * whose information matrix XᵀX a D-optimal design maximises the determinant of.
 */
export class LinearModel {
  readonly terms: readonly ModelTerm[];
  private readonly columns: readonly Column[];

  constructor(
    readonly space: Space,
    readonly kind: DesignModel,
  ) {
    if (!(DESIGN_MODELS as readonly string[]).includes(kind)) {
      throw new DesignError('invalid-argument', `unknown model ${JSON.stringify(kind)}; expected one of ${DESIGN_MODELS.join(', ')}`);
    }
    const columns: Column[] = [];
    const byParameter: number[][] = [];
    space.parameters.forEach((p, i) => {
      const own = columnsOf(p, i);
      byParameter.push(own.map((_, k) => columns.length + k));
      columns.push(...own);
    });
    this.columns = columns;

    const terms: ModelTerm[] = [{ name: '(intercept)', columns: [] }];
    for (const own of byParameter) for (const c of own) terms.push({ name: columns[c].name, columns: [c] });
    if (kind === 'interactions' || kind === 'quadratic') {
      for (let i = 0; i < byParameter.length; i++) {
        for (let j = i + 1; j < byParameter.length; j++) {
          for (const a of byParameter[i])
            for (const b of byParameter[j]) terms.push({ name: `${columns[a].name}*${columns[b].name}`, columns: [a, b] });
        }
      }
    }
    if (kind === 'quadratic') {
      space.parameters.forEach((p, i) => {
        // The square of an effect-coded column is 0 or 1 and carries no curvature: categorical parameters have no square.
        if (p.type === 'categorical') return;
        if (p.type === 'integer' && p.high - p.low < 2) {
          throw new DesignError(
            'invalid-argument',
            `the quadratic model needs 3 levels of "${p.name}" to estimate its square, but it takes only ${p.high - p.low + 1} values`,
          );
        }
        const c = byParameter[i][0];
        terms.push({ name: `${columns[c].name}^2`, columns: [c, c] });
      });
    }
    this.terms = terms;
  }

  /** Number of model terms p: a design needs at least p runs to estimate them. */
  get size(): number {
    return this.terms.length;
  }

  /** The coded values of a point's columns. */
  code(params: Params): number[] {
    return this.columns.map((c) => c.code(params));
  }

  /** The model-matrix row of a point. */
  row(params: Params): Float64Array {
    const coded = this.code(params);
    const out = new Float64Array(this.terms.length);
    this.terms.forEach((t, k) => {
      let v = 1;
      for (const c of t.columns) v *= coded[c];
      out[k] = v;
    });
    return out;
  }
}

function columnsOf(p: Parameter, index: number): Column[] {
  switch (p.type) {
    case 'continuous': {
      const { low, high, name } = p;
      if (p.scale === 'log') {
        const a = Math.log(low);
        const b = Math.log(high);
        return [{ name, parameter: index, code: (x) => (2 * (Math.log(x[name] as number) - a)) / (b - a) - 1 }];
      }
      return [{ name, parameter: index, code: (x) => (2 * ((x[name] as number) - low)) / (high - low) - 1 }];
    }
    case 'integer': {
      const { low, high, name } = p;
      if (high === low) throw notEstimable(name, `takes the single value ${low}`);
      return [{ name, parameter: index, code: (x) => (2 * ((x[name] as number) - low)) / (high - low) - 1 }];
    }
    case 'categorical': {
      const { choices, name } = p;
      if (choices.length < 2) throw notEstimable(name, `has the single choice ${JSON.stringify(choices[0])}`);
      const last = choices.length - 1;
      return choices.slice(0, last).map((choice, j) => ({
        name: `${name}[${choice}]`,
        parameter: index,
        code: (x: Params) => {
          const c = choices.indexOf(x[name] as string);
          return c === j ? 1 : c === last ? -1 : 0;
        },
      }));
    }
    default: {
      // A parameter type added to the space later (a mixture composition, say) has no coding here.
      const { name, type } = p as { name: string; type: string };
      throw new DesignError(
        'invalid-argument',
        `parameter "${name}" has type "${type}": D-optimal designs code continuous, integer and categorical parameters only (${type} parameters are out of scope)`,
      );
    }
  }
}

function notEstimable(name: string, why: string): DesignError {
  return new DesignError(
    'invalid-argument',
    `parameter "${name}" ${why}: its effect cannot be estimated; remove it from the model's space or widen it`,
  );
}
