import type { Parameter, ParamValue, Params, Space } from '../space.js';
import { DesignError, requireInteger } from './errors.js';

export interface FullFactorialOptions {
  /** Levels of each continuous parameter, evenly spaced from low to high (geometrically on a log scale). Default 3. */
  levels?: number;
  /**
   * Integer parameters with at most this many values contribute all of them;
   * wider ones contribute this many evenly spaced values, ends included.
   * Default 10; Infinity keeps every value.
   */
  maxIntegerLevels?: number;
  /** The most runs the design may have; a larger one is refused with a 'too-many-runs' DesignError. Default 10,000. */
  maxRuns?: number;
}

/**
 * Full factorial design over a space: every combination of the levels of
 * every parameter (all choices of a categorical one). Runs are in odometer
 * order, the last parameter varying fastest.
 */
export function fullFactorial(space: Space, options: FullFactorialOptions = {}): Params[] {
  const levels = options.levels ?? 3;
  const maxIntegerLevels = options.maxIntegerLevels ?? 10;
  const maxRuns = options.maxRuns ?? 10_000;
  requireInteger('factorial levels', levels, 1);
  if (maxIntegerLevels !== Infinity) requireInteger('factorial maxIntegerLevels', maxIntegerLevels, 1);
  requireInteger('factorial maxRuns', maxRuns, 0);

  const values = space.parameters.map((p) => parameterLevels(p, levels, maxIntegerLevels));
  const runs = values.reduce((product, v) => product * v.length, 1);
  if (runs > maxRuns) {
    const sizes = values.map((v, i) => `${space.parameters[i].name}: ${v.length}`).join(', ');
    throw new DesignError('too-many-runs', `a full factorial over this space has ${runs} runs (${sizes}), more than maxRuns = ${maxRuns}`);
  }

  const design: Params[] = [];
  const digit = new Array<number>(values.length).fill(0);
  for (let run = 0; run < runs; run++) {
    const params: Params = {};
    values.forEach((v, i) => (params[space.parameters[i].name] = v[digit[i]]));
    design.push(params);
    for (let i = values.length - 1; i >= 0; i--) {
      digit[i] += 1;
      if (digit[i] < values[i].length) break;
      digit[i] = 0;
    }
  }
  return design;
}

/** The values a parameter takes in a full factorial design. */
export function parameterLevels(p: Parameter, levels: number, maxIntegerLevels: number): ParamValue[] {
  switch (p.type) {
    case 'continuous': {
      if (levels === 1) return [p.scale === 'log' ? Math.sqrt(p.low * p.high) : (p.low + p.high) / 2];
      const out: number[] = [];
      for (let i = 0; i < levels; i++) {
        const t = i / (levels - 1);
        const v = p.scale === 'log' ? Math.exp(Math.log(p.low) + t * (Math.log(p.high) - Math.log(p.low))) : p.low + t * (p.high - p.low);
        // Exact ends, and no rounding past them.
        out.push(i === 0 ? p.low : i === levels - 1 ? p.high : Math.min(p.high, Math.max(p.low, v)));
      }
      return out;
    }
    case 'integer': {
      const count = p.high - p.low + 1;
      if (count <= maxIntegerLevels) return Array.from({ length: count }, (_, i) => p.low + i);
      if (maxIntegerLevels === 1) return [p.low + Math.floor((count - 1) / 2)];
      // Spacing above 1, so the rounded values are distinct.
      return Array.from({ length: maxIntegerLevels }, (_, i) => p.low + Math.round((i * (count - 1)) / (maxIntegerLevels - 1)));
    }
    case 'categorical':
      return [...p.choices];
    case 'composition':
      // Its value is a point of a simplex, several keys at once: it has no levels to cross.
      throw new DesignError(
        'invalid-argument',
        `composition "${p.name}" has no factorial levels: factorial and D-optimal designs take continuous, integer and categorical parameters only`,
      );
  }
}

/**
 * How many distinct points a space has: Infinity when a parameter is
 * continuous, or a composition (not enumerated here even on a step grid).
 */
export function spaceCardinality(space: Space): number {
  return space.parameters.reduce((product, p) => {
    switch (p.type) {
      case 'integer':
        return product * (p.high - p.low + 1);
      case 'categorical':
        return product * p.choices.length;
      default:
        return Infinity;
    }
  }, 1);
}
