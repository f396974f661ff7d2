/**
 * Encodes points of a Space as model inputs in the unit cube: continuous
 * parameters by Space.toUnit (linear or log), integers as one coordinate
 * (v - low) / (high - low) that the acquisition search keeps on the integer
 * grid, categorical parameters one-hot (one coordinate per choice; the search
 * only ever visits exact one-hot vectors), or, when their choices carry
 * numeric descriptors, as the chosen choice's descriptor vector (each
 * descriptor min-max scaled over the choices, categorical-features.ts; the
 * search only ever visits the choices' exact vectors, and decode maps a
 * vector to the nearest choice); with option categorical 'one-hot', one-hot
 * whatever the descriptors. A composition takes one coordinate
 * per component, its fraction of the total (the coordinates the acquisition
 * search moves, always kept a valid composition by snap), followed by the
 * sorted weighted descriptor features computed from them
 * (composition-features.ts); with option composition 'fractions', the
 * fractions alone.
 *
 * With linear constraints on the space, snap and fromUnit also move an
 * infeasible point's constrained coordinates inside (Space.pullInside), so
 * that candidates built from them (Sobol points, perturbations, moves of the
 * acquisition search) decode to feasible points; feasible() tells a point that
 * could not be moved (a space with no known feasible point).
 */
import { compositionKeys, compositionValues, maxComponentsOf, validFractions } from '../composition.js';
import type { CompositionParameter, Params, Space } from '../space.js';
import { choiceDescriptors, nearestChoice } from './categorical-features.js';
import { componentDescriptors, type ComponentDescriptors, sortedFeatureSize, writeSortedFeatures } from './composition-features.js';

export interface IntegerCoordinate {
  index: number;
  /** Number of integer values, high - low + 1. */
  levels: number;
}

export interface CategoricalBlock {
  /** First coordinate of the one-hot block. */
  offset: number;
  size: number;
}

/** A categorical parameter encoded by its choices' descriptor vectors. */
export interface DescriptorCategoricalBlock {
  /** First coordinate of the block. */
  offset: number;
  /** Number of coordinates (descriptors kept), not of choices. */
  size: number;
  /** Each choice's vector (in choice order), the only values the block takes. */
  vectors: readonly (readonly number[])[];
}

export interface CompositionBlock {
  parameter: CompositionParameter;
  /** First coordinate of the fractions (one per component, fraction of the total). */
  offset: number;
  size: number;
  /** First coordinate and length of the features derived from the fractions (0 long with composition 'fractions'). */
  featureOffset: number;
  featureSize: number;
}

export interface EncoderOptions {
  /**
   * How compositions reach the model: 'descriptors' (default) the fractions
   * plus sorted weighted elemental descriptors; 'fractions' the fractions only.
   */
  composition?: 'descriptors' | 'fractions';
  /**
   * How categorical parameters whose choices carry `descriptors` reach the
   * model: 'descriptors' (default) the choice's scaled descriptor vector;
   * 'one-hot' one coordinate per choice, as those without descriptors.
   * Descriptors that tell no choices apart (all constant, or two choices
   * with equal vectors) leave the parameter one-hot either way.
   */
  categorical?: 'descriptors' | 'one-hot';
}

/** The options with their defaults filled in (descriptors for both), as strategies record them. */
export function encoderDefaults(options: EncoderOptions = {}): Required<EncoderOptions> {
  return { categorical: options.categorical ?? 'descriptors', composition: options.composition ?? 'descriptors' };
}

/** `unit`: the parameter's first coordinate in Space.fromUnit / toUnit. */
type Slot =
  | { kind: 'continuous'; unit: number; name: string; index: number }
  | { kind: 'integer'; unit: number; name: string; index: number; low: number; high: number }
  | { kind: 'categorical'; unit: number; name: string; offset: number; choices: readonly string[] }
  | { kind: 'described'; unit: number; name: string; block: DescriptorCategoricalBlock; choices: readonly string[] }
  | { kind: 'composition'; unit: number; block: CompositionBlock; descriptors: ComponentDescriptors | undefined };

export class Encoder {
  /** Length of an encoded vector. */
  readonly dim: number;
  /** Coordinates that vary continuously (searched by gradient steps). */
  readonly continuous: readonly number[];
  readonly integers: readonly IntegerCoordinate[];
  /**
   * One-hot categorical blocks only; categorical parameters encoded by
   * descriptors are in descriptorCategoricals, and categoricalCombinations
   * counts the one-hot ones only.
   */
  readonly categoricals: readonly CategoricalBlock[];
  /** Categorical parameters encoded by descriptor vectors: searched by moves to each other choice's vector. */
  readonly descriptorCategoricals: readonly DescriptorCategoricalBlock[];
  /** Compositions: searched by moves between components, then snapped (never relaxed). */
  readonly compositions: readonly CompositionBlock[];
  private readonly slots: readonly Slot[];

  constructor(
    readonly space: Space,
    options: EncoderOptions = {},
  ) {
    const slots: Slot[] = [];
    const continuous: number[] = [];
    const integers: IntegerCoordinate[] = [];
    const categoricals: CategoricalBlock[] = [];
    const compositions: CompositionBlock[] = [];
    const described: DescriptorCategoricalBlock[] = [];
    const resolved = encoderDefaults(options);
    const categoricalDescriptors = resolved.categorical === 'descriptors';
    const withDescriptors = resolved.composition === 'descriptors';
    let k = 0;
    let unit = 0;
    for (const p of space.parameters) {
      switch (p.type) {
        case 'continuous':
          slots.push({ kind: 'continuous', unit: unit++, name: p.name, index: k });
          continuous.push(k++);
          break;
        case 'integer':
          slots.push({ kind: 'integer', unit: unit++, name: p.name, index: k, low: p.low, high: p.high });
          integers.push({ index: k++, levels: p.high - p.low + 1 });
          break;
        case 'categorical': {
          const d = categoricalDescriptors ? choiceDescriptors(p) : undefined;
          if (d) {
            const block: DescriptorCategoricalBlock = { offset: k, size: d.names.length, vectors: d.vectors };
            slots.push({ kind: 'described', unit: unit++, name: p.name, block, choices: p.choices });
            described.push(block);
            k += block.size;
          } else {
            slots.push({ kind: 'categorical', unit: unit++, name: p.name, offset: k, choices: p.choices });
            categoricals.push({ offset: k, size: p.choices.length });
            k += p.choices.length;
          }
          break;
        }
        case 'composition': {
          const n = p.components.length;
          const descriptors = withDescriptors ? componentDescriptors(p) : undefined;
          const featureSize = descriptors ? sortedFeatureSize(maxComponentsOf(p), descriptors) : 0;
          const block: CompositionBlock = { parameter: p, offset: k, size: n, featureOffset: k + n, featureSize };
          slots.push({ kind: 'composition', unit, block, descriptors });
          compositions.push(block);
          k += n + featureSize;
          unit += n;
          break;
        }
      }
    }
    this.dim = k;
    this.slots = slots;
    this.continuous = continuous;
    this.integers = integers;
    this.categoricals = categoricals;
    this.descriptorCategoricals = described;
    this.compositions = compositions;
  }

  /** Number of combinations of the one-hot categorical parameters. */
  get categoricalCombinations(): number {
    return this.categoricals.reduce((a, c) => a * c.size, 1);
  }

  encode(params: Params): number[] {
    const x = new Array<number>(this.dim).fill(0);
    const unit = this.space.toUnit(params);
    for (const s of this.slots) {
      switch (s.kind) {
        case 'continuous':
          x[s.index] = Math.min(1, Math.max(0, unit[s.unit]));
          break;
        case 'integer':
          x[s.index] = s.high > s.low ? ((params[s.name] as number) - s.low) / (s.high - s.low) : 0.5;
          break;
        case 'categorical':
          x[s.offset + Math.max(0, s.choices.indexOf(params[s.name] as string))] = 1;
          break;
        case 'described':
          writeChoice(s.block, Math.max(0, s.choices.indexOf(params[s.name] as string)), x);
          break;
        case 'composition': {
          const p = s.block.parameter;
          const fractions = compositionKeys(p).map((key) => Math.max(0, Number(params[key]) || 0) / p.total);
          this.writeComposition(s, fractions, x);
          break;
        }
      }
    }
    return x;
  }

  /**
   * Parameters of an encoded vector (integers rounded, categories by the
   * largest one-hot entry or the nearest choice's descriptor vector,
   * compositions snapped).
   */
  decode(x: ArrayLike<number>): Params {
    const unit = new Array<number>(this.space.dimension).fill(0);
    for (const s of this.slots) {
      switch (s.kind) {
        case 'continuous':
          unit[s.unit] = Math.min(1, Math.max(0, x[s.index]));
          break;
        case 'integer': {
          const n = s.high - s.low + 1;
          unit[s.unit] = (this.integerStep(x[s.index], s.low, s.high) + 0.5) / n;
          break;
        }
        case 'categorical':
          unit[s.unit] = (argmax(x, s.offset, s.choices.length) + 0.5) / s.choices.length;
          break;
        case 'described':
          unit[s.unit] = (nearestChoice(x, s.block.offset, s.block.vectors) + 0.5) / s.choices.length;
          break;
        case 'composition':
          break;
      }
    }
    const out = this.space.fromUnit(unit);
    for (const s of this.slots) {
      if (s.kind !== 'composition') continue;
      const p = s.block.parameter;
      const values = compositionValues(
        p,
        validFractions(
          p,
          Array.from({ length: s.block.size }, (_, j) => x[s.block.offset + j]),
          'project',
        ),
      );
      compositionKeys(p).forEach((key, j) => (out[key] = values[j]));
    }
    return out;
  }

  /**
   * Puts integers on their grid, categorical blocks on an exact one-hot
   * vertex or their nearest choice's descriptor vector, and compositions on the nearest valid composition (with their
   * descriptor features recomputed), in place.
   */
  snap(x: number[]): number[] {
    for (const s of this.slots) {
      if (s.kind === 'integer') {
        x[s.index] = s.high > s.low ? this.integerStep(x[s.index], s.low, s.high) / (s.high - s.low) : 0.5;
      } else if (s.kind === 'categorical') {
        const j = argmax(x, s.offset, s.choices.length);
        for (let c = 0; c < s.choices.length; c++) x[s.offset + c] = c === j ? 1 : 0;
      } else if (s.kind === 'described') {
        writeChoice(s.block, nearestChoice(x, s.block.offset, s.block.vectors), x);
      } else if (s.kind === 'composition') {
        const p = s.block.parameter;
        const fractions = validFractions(p, x.slice(s.block.offset, s.block.offset + s.block.size), 'project');
        this.writeComposition(
          s,
          compositionValues(p, fractions).map((v) => v / p.total),
          x,
        );
      } else {
        x[s.index] = Math.min(1, Math.max(0, x[s.index]));
      }
    }
    return this.inside(x);
  }

  /** Encoded point of a point u of the unit cube Space.fromUnit reads (moved inside the constraints, see the class comment). */
  fromUnit(u: ArrayLike<number>): number[] {
    const params = this.space.fromUnit(u);
    const x = this.encode(params);
    // Keep continuous coordinates exactly as drawn (encode(fromUnit) can round a log scale).
    for (const s of this.slots) {
      if (s.kind === 'continuous') x[s.index] = Math.min(1, Math.max(0, u[s.unit]));
    }
    return this.inside(x);
  }

  /** Whether an encoded point decodes to a point that satisfies the space's constraints (always, without constraints). */
  feasible(x: ArrayLike<number>): boolean {
    return this.space.constraints.length === 0 || this.space.satisfies(this.decode(x));
  }

  /** x with its constrained numeric coordinates moved inside the constraints when it violates one, in place. */
  private inside(x: number[]): number[] {
    if (this.space.constraints.length === 0) return x;
    const params = this.decode(x);
    if (this.space.satisfies(params)) return x;
    const moved = this.space.pullInside(params);
    if (!moved) return x;
    const y = this.encode(moved);
    for (const s of this.slots) if (s.kind === 'continuous' || s.kind === 'integer') x[s.index] = y[s.index];
    return x;
  }

  /** Writes a composition's fractions and the features derived from them. */
  private writeComposition(s: Extract<Slot, { kind: 'composition' }>, fractions: readonly number[], x: number[]): void {
    for (let j = 0; j < s.block.size; j++) x[s.block.offset + j] = fractions[j];
    if (s.descriptors) writeSortedFeatures(fractions, maxComponentsOf(s.block.parameter), s.descriptors, x, s.block.featureOffset);
  }

  /**
   * Distance between two encoded points per parameter, root-mean-square over
   * parameters: unit distance for continuous and integer coordinates, 0 or 1
   * for a one-hot categorical parameter, the root-mean-square difference of
   * the descriptor vectors (in [0, 1], 0 for the same choice only) for one
   * encoded by descriptors, so that a choice of similar descriptors counts
   * as near as the model sees it, the total variation distance (half the L1
   * distance of the fractions, in [0, 1]) for a composition.
   */
  distance(a: ArrayLike<number>, b: ArrayLike<number>): number {
    let s = 0;
    for (const slot of this.slots) {
      if (slot.kind === 'categorical') {
        s += argmax(a, slot.offset, slot.choices.length) === argmax(b, slot.offset, slot.choices.length) ? 0 : 1;
      } else if (slot.kind === 'described') {
        const va = slot.block.vectors[nearestChoice(a, slot.block.offset, slot.block.vectors)];
        const vb = slot.block.vectors[nearestChoice(b, slot.block.offset, slot.block.vectors)];
        let d2 = 0;
        for (let k = 0; k < va.length; k++) d2 += (va[k] - vb[k]) ** 2;
        s += d2 / va.length;
      } else if (slot.kind === 'composition') {
        let l1 = 0;
        for (let j = 0; j < slot.block.size; j++) l1 += Math.abs(a[slot.block.offset + j] - b[slot.block.offset + j]);
        s += (l1 / 2) ** 2;
      } else {
        const d = a[slot.index] - b[slot.index];
        s += d * d;
      }
    }
    return Math.sqrt(s / Math.max(1, this.slots.length));
  }

  /** Index of the choice of a descriptor-encoded categorical block in x (the nearest choice's vector). */
  choiceOf(x: ArrayLike<number>, block: DescriptorCategoricalBlock): number {
    return nearestChoice(x, block.offset, block.vectors);
  }

  private integerStep(u: number, low: number, high: number): number {
    return Math.min(high - low, Math.max(0, Math.round(u * (high - low))));
  }
}

/** Writes choice c's descriptor vector into its block of x. */
export function writeChoice(block: DescriptorCategoricalBlock, c: number, x: number[]): void {
  const v = block.vectors[c];
  for (let k = 0; k < block.size; k++) x[block.offset + k] = v[k];
}

function argmax(x: ArrayLike<number>, offset: number, size: number): number {
  let best = 0;
  for (let c = 1; c < size; c++) if (x[offset + c] > x[offset + best]) best = c;
  return best;
}
