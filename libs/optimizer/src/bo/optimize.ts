/**
 * Maximises an acquisition over an encoded mixed space: many scrambled Sobol
 * candidates (plus caller-supplied ones, e.g. perturbations of the best
 * observations), then from the best few a local search that alternates
 * L-BFGS-B with finite-difference gradients on the continuous coordinates,
 * exhaustive or neighbour moves on each integer, and every choice of each
 * categorical parameter (never a relaxed one-hot; for one encoded by
 * descriptors, each other choice's exact descriptor vector), and moves of material
 * between the components of each composition (one grid step, or a share of
 * the total without a step, or all of a component onto another), each move
 * snapped to a valid composition. With few categorical combinations, every
 * combination gets its own starts. With linear constraints on the space, only
 * feasible points are candidates, starts or accepted moves: the acquisition
 * counts as -∞ outside (L-BFGS-B's line search then backtracks), and
 * candidates come inside through Encoder.fromUnit and snap.
 */
import type { Acquisition } from '../acquisition/analytic.js';
import { sobolPoints } from '../design/sobol.js';
import { minimizeLbfgs } from '../linalg/lbfgs.js';
import { writeChoice, type CompositionBlock, type DescriptorCategoricalBlock, type Encoder } from './encoding.js';

export interface AcquisitionSearchOptions {
  /** Sobol candidates scored before the local search. Default 1024. */
  rawSamples?: number;
  /** Local searches started from the best candidates. Default 8; 0: none, the best candidate is the answer. */
  starts?: number;
  /** L-BFGS iterations per continuous phase. Default 60. */
  maxIterations?: number;
  seed: number;
  /** Extra candidates (encoded, snapped). */
  extra?: number[][];
  /** True for points that must not be returned (observed, pending, already chosen). */
  excluded?: (x: number[]) => boolean;
  /**
   * Gradients of the continuous phase: 'differences' (forward differences,
   * d + 1 evaluations per step; the default) or 'analytic' (the
   * acquisition's own gradient where it has one, else differences).
   */
  gradient?: 'differences' | 'analytic';
  /**
   * Evaluate only the candidates whose upper bound (Acquisition.bound, where
   * the acquisition has one) could place them among the best few: the same
   * starts and result as evaluating all. Default false.
   */
  screen?: boolean;
}

export interface AcquisitionOptimum {
  x: number[];
  value: number;
}

const FD_STEP = 1e-6;
/** Candidates evaluated at once by a screened search (one pass of the posterior's blocked solve). */
const SCREEN_CHUNK = 64;
const FULL_INTEGER_SCAN = 33;
const PER_COMBINATION_LIMIT = 16;
/** Shares of the total moved between two components of a composition without a step. */
const COMPOSITION_MOVES = [0.2, 0.05, 0.01];
/** Most improving moves per composition phase. */
const COMPOSITION_CLIMB = 32;

export function maximizeAcquisition(
  objective: Acquisition,
  enc: Encoder,
  options: AcquisitionSearchOptions,
): AcquisitionOptimum | undefined {
  const excluded = options.excluded ?? (() => false);
  const acq = enc.space.constraints.length > 0 ? feasibleOnly(objective, enc) : objective;
  const raw = sobolPoints(enc.space.dimension, options.rawSamples ?? 1024, options.seed).map((u) => enc.fromUnit(u));
  for (const e of options.extra ?? []) raw.push(enc.snap([...e]));
  const nStarts = options.starts ?? 8;
  const combos = enc.descriptorCategoricals.reduce((a, b) => a * b.vectors.length, enc.categoricalCombinations);
  const perCombination = enc.categoricals.length + enc.descriptorCategoricals.length > 0 && combos <= PER_COMBINATION_LIMIT;
  // Only the best few candidates are needed unless every combination of choices gets starts of its own.
  const { values, order } =
    options.screen && !perCombination ? screened(acq, raw, excluded, Math.max(1, nStarts)) : scoredAll(acq, raw, excluded);
  if (order.length === 0) return undefined;

  const starts = new Set<number>(order.slice(0, nStarts));
  if (perCombination) {
    // The best candidates of every categorical combination get a start too.
    const perCombo = Math.max(1, Math.ceil(nStarts / combos));
    const counts = new Map<string, number>();
    for (const i of order) {
      const key = comboKey(enc, raw[i]);
      const c = counts.get(key) ?? 0;
      if (c < perCombo) {
        starts.add(i);
        counts.set(key, c + 1);
      }
    }
  }

  let best: AcquisitionOptimum = { x: raw[order[0]], value: values[order[0]] };
  // No starts: the best candidate (an acquisition known on the candidates only, such as a Thompson sample).
  if (nStarts === 0) return best;
  for (const i of starts) {
    const local = localSearch(acq, objective, enc, raw[i], values[i], options.maxIterations ?? 60, options.gradient === 'analytic');
    if (local.value > best.value && !excluded(local.x) && enc.feasible(local.x)) best = local;
  }
  return best;
}

interface Scored {
  /** The acquisition at each candidate (NaN where a screened search did not need it). */
  values: Float64Array;
  /** The candidates with a finite value that may be returned, best first (ties by position). */
  order: number[];
}

function scoredAll(acq: Acquisition, raw: number[][], excluded: (x: number[]) => boolean): Scored {
  const values = acq.evaluate(raw);
  const order = Array.from(raw.keys())
    .filter((i) => Number.isFinite(values[i]) && !excluded(raw[i]))
    .sort((a, b) => values[b] - values[a]);
  return { values, order };
}

/**
 * The same first `keep` entries of the order as scoredAll, with their values,
 * evaluating the candidates in decreasing order of the acquisition's upper
 * bound and stopping once the keep-th best value found exceeds the bound of
 * every candidate left (those cannot enter the first `keep`). Without a
 * bound, scoredAll.
 */
function screened(acq: Acquisition, raw: number[][], excluded: (x: number[]) => boolean, keep: number): Scored {
  const bound = acq.bound?.(raw);
  if (!bound) return scoredAll(acq, raw, excluded);
  // A bound that came out NaN bounds nothing: such a candidate is evaluated first.
  const upper = bound.map((u) => (Number.isNaN(u) ? Infinity : u));
  const values = new Float64Array(raw.length).fill(NaN);
  const queue = Array.from(raw.keys())
    .filter((i) => !(upper[i] === -Infinity) && !excluded(raw[i]))
    .sort((a, b) => upper[b] - upper[a] || a - b);
  const found: number[] = [];
  let kth = -Infinity;
  for (let q = 0; q < queue.length; q += SCREEN_CHUNK) {
    if (found.length >= keep && kth > upper[queue[q]]) break;
    const chunk = queue.slice(q, q + SCREEN_CHUNK);
    const v = acq.evaluate(chunk.map((i) => raw[i]));
    chunk.forEach((i, j) => {
      values[i] = v[j];
      if (Number.isFinite(v[j])) found.push(i);
    });
    if (found.length >= keep) kth = found.map((i) => values[i]).sort((a, b) => b - a)[keep - 1];
  }
  // The evaluated candidates in the order scoredAll gives them (a stable sort of the positions).
  const order = found.sort((a, b) => values[b] - values[a] || a - b);
  return { values, order };
}

/** The acquisition, -∞ at points that violate a constraint of the space. */
function feasibleOnly(acq: Acquisition, enc: Encoder): Acquisition {
  return {
    name: acq.name,
    evaluate(X: number[][]): Float64Array {
      const out = acq.evaluate(X);
      for (let i = 0; i < X.length; i++) if (!enc.feasible(X[i])) out[i] = -Infinity;
      return out;
    },
  };
}

function comboKey(enc: Encoder, x: number[]): string {
  return [
    ...enc.categoricals.map((b) => x.slice(b.offset, b.offset + b.size).indexOf(1)),
    ...enc.descriptorCategoricals.map((b) => enc.choiceOf(x, b)),
  ].join(',');
}

/**
 * Coordinate-block ascent from x0: continuous (L-BFGS-B), then integers, then
 * categories, until no gain. `acq` is -∞ at infeasible points; `smooth` is the
 * same acquisition without that mask, for finite-difference gradients at the
 * boundary.
 */
function localSearch(
  acq: Acquisition,
  smooth: Acquisition,
  enc: Encoder,
  x0: number[],
  v0: number,
  maxIterations: number,
  analytic: boolean,
): AcquisitionOptimum {
  let x = [...x0];
  let value = v0;
  for (let round = 0; round < 4; round++) {
    const before = value;
    if (enc.continuous.length > 0) {
      const r = continuousPhase(smooth, enc, x, maxIterations, analytic);
      if (r.value > value) ({ x, value } = r);
    }
    for (const { index, levels } of enc.integers) {
      const r = integerPhase(acq, x, index, levels);
      if (r.value > value) ({ x, value } = r);
    }
    for (const block of enc.categoricals) {
      const r = categoricalPhase(acq, x, block.offset, block.size);
      if (r.value > value) ({ x, value } = r);
    }
    for (const block of enc.descriptorCategoricals) {
      const r = describedPhase(acq, enc, x, block);
      if (r.value > value) ({ x, value } = r);
    }
    for (const block of enc.compositions) ({ x, value } = compositionPhase(acq, enc, block, x, value));
    const discrete = enc.integers.length + enc.categoricals.length + enc.descriptorCategoricals.length + enc.compositions.length;
    if (discrete === 0 || !(value > before + 1e-12 * Math.abs(before))) break;
  }
  return { x, value };
}

function continuousPhase(smooth: Acquisition, enc: Encoder, x: number[], maxIterations: number, analytic: boolean): AcquisitionOptimum {
  const idx = enc.continuous;
  const m = idx.length;
  const point = (z: ArrayLike<number>) => {
    const p = [...x];
    for (let j = 0; j < m; j++) p[idx[j]] = z[j];
    return p;
  };
  const gradient = analytic ? smooth.gradient : undefined;
  const full = new Float64Array(x.length);
  // Minimise -acq, with the acquisition's own gradient on the continuous coordinates.
  const exact = (z: Float64Array, g: Float64Array): number => {
    const p = point(z);
    const v = (gradient as NonNullable<Acquisition['gradient']>)(p, full);
    for (let j = 0; j < m; j++) g[j] = -full[idx[j]];
    return Number.isFinite(v) && enc.feasible(p) ? -v : Infinity;
  };
  // Minimise -acq; forward differences evaluated in one batch (m + 1 points).
  const differences = (z: Float64Array, g: Float64Array): number => {
    const batch = [point(z)];
    for (let j = 0; j < m; j++) {
      const zj = Float64Array.from(z);
      zj[j] += z[j] + FD_STEP <= 1 ? FD_STEP : -FD_STEP;
      batch.push(point(zj));
    }
    const v = smooth.evaluate(batch);
    for (let j = 0; j < m; j++) {
      const step = z[j] + FD_STEP <= 1 ? FD_STEP : -FD_STEP;
      g[j] = -(v[j + 1] - v[0]) / step;
    }
    // Infeasible: +∞ to the minimiser, whose line search then steps back.
    return Number.isFinite(v[0]) && enc.feasible(batch[0]) ? -v[0] : Infinity;
  };
  const z0 = idx.map((k) => x[k]);
  const res = minimizeLbfgs(gradient ? exact : differences, z0, {
    lower: new Float64Array(m),
    upper: new Float64Array(m).fill(1),
    maxIterations,
    gradientTolerance: 1e-9,
    functionTolerance: 1e-12,
  });
  const found = point(res.x);
  // The minimiser returns its best finite point; a start it could not improve stays as it was.
  return enc.feasible(found) ? { x: found, value: -res.value } : { x, value: -Infinity };
}

function integerPhase(acq: Acquisition, x: number[], index: number, levels: number): AcquisitionOptimum {
  const span = levels - 1;
  const current = Math.round(x[index] * span);
  const steps = new Set<number>();
  if (levels <= FULL_INTEGER_SCAN) for (let s = 0; s <= span; s++) steps.add(s);
  else for (let d = 1; d <= span; d *= 2) for (const s of [current - d, current + d]) if (s >= 0 && s <= span) steps.add(s);
  steps.delete(current);
  return bestOf(
    acq,
    x,
    [...steps].map((s) => {
      const p = [...x];
      p[index] = span > 0 ? s / span : 0.5;
      return p;
    }),
  );
}

function categoricalPhase(acq: Acquisition, x: number[], offset: number, size: number): AcquisitionOptimum {
  const moves: number[][] = [];
  for (let c = 0; c < size; c++) {
    if (x[offset + c] === 1) continue;
    const p = [...x];
    for (let k = 0; k < size; k++) p[offset + k] = k === c ? 1 : 0;
    moves.push(p);
  }
  return bestOf(acq, x, moves);
}

/** Every other choice of a categorical parameter encoded by descriptors: the block set to that choice's vector. */
function describedPhase(acq: Acquisition, enc: Encoder, x: number[], block: DescriptorCategoricalBlock): AcquisitionOptimum {
  const current = enc.choiceOf(x, block);
  const moves: number[][] = [];
  for (let c = 0; c < block.vectors.length; c++) {
    if (c === current) continue;
    const p = [...x];
    writeChoice(block, c, p);
    moves.push(p);
  }
  return bestOf(acq, x, moves);
}

/** Steepest ascent over moves of material between two components, every move snapped to a valid composition. */
function compositionPhase(acq: Acquisition, enc: Encoder, block: CompositionBlock, x0: number[], v0: number): AcquisitionOptimum {
  const p = block.parameter;
  const amounts = p.step !== undefined ? [p.step / p.total] : COMPOSITION_MOVES;
  let x = x0;
  let value = v0;
  for (let climb = 0; climb < COMPOSITION_CLIMB; climb++) {
    const seen = new Set<string>([fractionKey(x, block)]);
    const moves: number[][] = [];
    for (let from = 0; from < block.size; from++) {
      const have = x[block.offset + from];
      if (!(have > 0)) continue;
      for (let to = 0; to < block.size; to++) {
        if (to === from) continue;
        for (const amount of [...amounts.filter((a) => a < have), have]) {
          const q = [...x];
          q[block.offset + from] -= amount;
          q[block.offset + to] += amount;
          enc.snap(q);
          const key = fractionKey(q, block);
          if (!seen.has(key)) {
            seen.add(key);
            moves.push(q);
          }
        }
      }
    }
    const r = bestOf(acq, x, moves);
    if (!(r.value > value)) break;
    ({ x, value } = r);
  }
  return { x, value };
}

function fractionKey(x: readonly number[], block: CompositionBlock): string {
  return x
    .slice(block.offset, block.offset + block.size)
    .map((f) => f.toPrecision(12))
    .join(',');
}

function bestOf(acq: Acquisition, x: number[], moves: number[][]): AcquisitionOptimum {
  if (moves.length === 0) return { x, value: -Infinity };
  const v = acq.evaluate(moves);
  let b = 0;
  for (let i = 1; i < moves.length; i++) if (v[i] > v[b]) b = i;
  return { x: moves[b], value: v[b] };
}
