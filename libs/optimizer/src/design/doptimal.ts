import { choleskyInPlace, choleskyJitter, inverseFromCholesky, logDetFromCholesky } from '../linalg/dense.js';
import { Rng } from '#random';
import type { ParamValue, Params, Space } from '../space.js';
import { DesignError, requireInteger } from './errors.js';
import { parameterLevels } from './factorial.js';
import { LinearModel, type DesignModel } from './model.js';
import { mixSeed } from './seed.js';

export interface DOptimalOptions {
  model: DesignModel;
  /** Runs of the design (distinct points or not: an exact D-optimal design may repeat a point). */
  runs: number;
  seed: number;
  /**
   * Random starts of the exchange algorithm; the best design is kept. Default
   * 8, fewer (down to 2) for large problems so that a design takes about a
   * second.
   */
  starts?: number;
  /** Largest candidate set; a larger level grid is subsampled at random (seeded). Default 1024. */
  maxCandidates?: number;
  /**
   * Runs per block (a plate, a day: runs that share an offset), in run order:
   * runs 0 to blockSize - 1 are block 0, and so on (the last may be smaller).
   * The model then holds a term per block beyond the first, so the design
   * estimates the factors' effects free of the blocks' offsets. Default: one
   * block.
   */
  blockSize?: number;
}

export interface DOptimalDesign {
  /** The runs, in candidate (standard) order: repeated points are adjacent. */
  points: Params[];
  /** log det(XᵀX) of the design's model matrix X. */
  logDet: number;
  /** Number of model terms p. */
  terms: number;
  /** Size of the candidate set searched. */
  candidates: number;
  /** Random starts of the exchange algorithm. */
  starts: number;
  /** With blockSize: the block of each point (0, 1, ...), non-decreasing. */
  blocks?: number[];
}

const DEFAULT_STARTS = 8;
const DEFAULT_MAX_CANDIDATES = 1024;
/** Work (runs x candidates x terms x passes) of the default starts together; about a second in Node. */
const DEFAULT_WORK = 1e8;
const TYPICAL_PASSES = 10;
const MIN_DEFAULT_STARTS = 2;
/** Exchange passes over the design per start; a pass without an improving swap ends the start earlier. */
const MAX_PASSES = 50;
/** A swap must raise the determinant by this relative amount: stops cycling between equivalent designs. */
const MIN_GAIN = 1e-9;
/** Ridge on the information matrix while exchanging, so that a singular random start can still be improved. */
const RIDGE = 1e-6;

/**
 * An exact D-optimal design: the `runs` points of a candidate set that
 * maximise det(XᵀX) for the stated linear model, found by the modified
 * Fedorov exchange (Cook and Nachtsheim, Technometrics 22, 1980): for each run
 * in turn, the candidate that raises the determinant most replaces it, until a
 * full pass changes nothing; from several seeded random starts.
 *
 * Candidates are the level grid of the model: every choice of a categorical
 * parameter, low and high of a numeric one (plus the middle for the quadratic
 * model, which needs three levels to see curvature). A first-order model on a
 * box is D-optimal on its corners and a quadratic one on the 3-level grid's
 * points, so nothing is lost by not searching the interior. Grids larger than
 * `maxCandidates` are subsampled. With linear constraints, the candidates are
 * feasible points only (see candidateSet). Deterministic for a given seed.
 */
export function dOptimalDesign(space: Space, options: DOptimalOptions): DOptimalDesign {
  const model = new LinearModel(space, options.model);
  const maxCandidates = options.maxCandidates ?? DEFAULT_MAX_CANDIDATES;
  requireInteger('design runs', options.runs, 1);
  requireInteger('maxCandidates', maxCandidates, 1);
  if (!Number.isFinite(options.seed)) throw new DesignError('invalid-argument', `seed must be a finite number, got ${options.seed}`);
  const runs = options.runs;
  const blockSize = options.blockSize ?? runs;
  requireInteger('runs per block', blockSize, 1);
  const k = Math.ceil(runs / Math.min(blockSize, runs));
  const blockOf = (run: number) => Math.floor(run / blockSize);
  // Terms: the model's, and one per block beyond the first (an offset against block 0).
  const pm = model.size;
  const p = pm + k - 1;
  if (runs < p) throw k > 1 ? tooFewBlockedRuns(options.model, pm, k, runs) : tooFewRuns(options.model, pm, runs);

  const candidates = candidateSet(space, options.model, maxCandidates, new Rng(mixSeed(options.seed, 1)));
  const nc = candidates.length;
  const starts =
    options.starts ??
    Math.min(DEFAULT_STARTS, Math.max(MIN_DEFAULT_STARTS, Math.floor(DEFAULT_WORK / (runs * nc * k * p * TYPICAL_PASSES))));
  requireInteger('exchange starts', starts, 1);
  // One row per candidate and block (b * nc + j): the model's row, then the block's indicator.
  const F = new Float64Array(k * nc * p);
  candidates.forEach((c, j) => {
    const row = model.row(c);
    for (let b = 0; b < k; b++) {
      F.set(row, (b * nc + j) * p);
      if (b > 0) F[(b * nc + j) * p + pm + b - 1] = 1;
    }
  });
  // A run exchanges only within its own block's rows.
  const rowsOf = (run: number): [number, number] => [blockOf(run) * nc, (blockOf(run) + 1) * nc];

  let best: { design: number[]; logDet: number } | undefined;
  for (let s = 0; s < starts; s++) {
    const rng = new Rng(mixSeed(options.seed, 2, s));
    const design = Array.from({ length: runs }, (_, i) => blockOf(i) * nc + rng.int(nc));
    exchange(F, p, design, rowsOf);
    const logDet = informationLogDet(F, p, design);
    if (!best || logDet > best.logDet) best = { design, logDet };
  }
  if (!best || best.logDet === -Infinity) {
    throw new DesignError(
      'invalid-argument',
      `no design of ${runs} runs over ${nc} candidate points estimates all ${p} terms of the ${options.model} model` +
        (space.constraints.length > 0
          ? ' (the constraints may leave a parameter a single value, or too few distinct feasible points)'
          : ''),
    );
  }
  // Block by block, each in candidate order (repeated points adjacent); the rows are ordered so already.
  const order = [...best.design].sort((a, b) => a - b);
  return {
    points: order.map((j) => ({ ...candidates[j % nc] })),
    logDet: best.logDet,
    terms: p,
    candidates: nc,
    starts,
    ...(k > 1 ? { blocks: order.map((j) => Math.floor(j / nc)) } : {}),
  };
}

/** The error for a blocked design with fewer runs than the model's terms plus one per extra block. */
function tooFewBlockedRuns(model: DesignModel, terms: number, blocks: number, runs: number): DesignError {
  return new DesignError(
    'invalid-argument',
    `the ${model} model has ${terms} terms and ${blocks} blocks add ${blocks - 1} more, but the design has only ${runs} runs: a blocked D-optimal design needs at least ${terms + blocks - 1}`,
  );
}

/** The error for a design with fewer runs than model terms, naming both numbers. */
export function tooFewRuns(model: DesignModel, terms: number, runs: number): DesignError {
  return new DesignError(
    'invalid-argument',
    `the ${model} model has ${terms} terms but the design has only ${runs} runs: a D-optimal design needs at least as many runs as terms`,
  );
}

/**
 * log det(XᵀX) of a design (any points of the space) for a model; -Infinity
 * when the model is not estimable from it.
 */
export function designLogDet(space: Space, model: DesignModel, points: readonly Params[]): number {
  const m = new LinearModel(space, model);
  const p = m.size;
  const F = new Float64Array(points.length * p);
  points.forEach((x, i) => F.set(m.row(x), i * p));
  return informationLogDet(
    F,
    p,
    points.map((_, i) => i),
  );
}

/**
 * Relative D-efficiency of design A against design B for a model:
 * (det(X_AᵀX_A / n_A) / det(X_BᵀX_B / n_B))^(1/p). Above 1 when A estimates
 * the model's coefficients more precisely per run than B does.
 */
export function relativeDEfficiency(space: Space, model: DesignModel, a: readonly Params[], b: readonly Params[]): number {
  const p = new LinearModel(space, model).size;
  const perRun = (points: readonly Params[]) => designLogDet(space, model, points) - p * Math.log(points.length);
  return Math.exp((perRun(a) - perRun(b)) / p);
}

/**
 * The candidate points of a model: the level grid (see dOptimalDesign),
 * enumerated when it has at most `maxCandidates` points, otherwise that many
 * distinct grid points drawn at random; with constraints, only feasible
 * points (grid points outside moved onto the boundary).
 */
export function candidateSet(space: Space, model: DesignModel, maxCandidates: number, rng: Rng): Params[] {
  const grid = levelGrid(space, model, maxCandidates, rng);
  if (space.constraints.length === 0) return grid;
  // With constraints, a grid point outside is moved to the boundary towards
  // the interior (Space.pullInside): the corners the constraints cut off
  // become points on the cut, near the region's own vertices.
  const out = new Map<string, Params>();
  for (const x of grid) {
    const inside = space.satisfies(x) ? x : space.pullInside(x);
    if (inside && space.satisfies(inside)) out.set(space.key(inside), inside);
  }
  if (out.size === 0) {
    throw new DesignError('infeasible', 'no candidate point of the D-optimal design satisfies the constraints of the space');
  }
  return [...out.values()];
}

function levelGrid(space: Space, model: DesignModel, maxCandidates: number, rng: Rng): Params[] {
  const levels = model === 'quadratic' ? 3 : 2;
  const values: ParamValue[][] = space.parameters.map((p) => parameterLevels(p, levels, levels));
  const size = values.reduce((product, v) => product * v.length, 1);
  const point = (digits: readonly number[]): Params => {
    const out: Params = {};
    values.forEach((v, i) => (out[space.parameters[i].name] = v[digits[i]]));
    return out;
  };
  if (size <= maxCandidates) {
    const out: Params[] = [];
    const digits = new Array<number>(values.length).fill(0);
    for (let k = 0; k < size; k++) {
      out.push(point(digits));
      for (let i = values.length - 1; i >= 0; i--) {
        digits[i] += 1;
        if (digits[i] < values[i].length) break;
        digits[i] = 0;
      }
    }
    return out;
  }
  // Digits drawn per parameter: the grid's size may exceed what an index can count exactly.
  const seen = new Map<string, number[]>();
  for (let tries = 0; seen.size < maxCandidates && tries < 8 * maxCandidates; tries++) {
    const digits = values.map((v) => rng.int(v.length));
    seen.set(digits.join(','), digits);
  }
  return [...seen.values()].map(point);
}

/**
 * Modified Fedorov exchange in place on `design` (candidate indices into the
 * rows of F, nc x p row-major; run i swaps only for rows in rowsOf(i)). Each swap of run i (candidate xᵢ) for
 * candidate xⱼ multiplies det(M) by (1 + d(xⱼ))(1 − d(xᵢ)) + d(xᵢ, xⱼ)², where
 * d(x, y) = xᵀM⁻¹y; the best swap is taken when it gains.
 */
function exchange(F: Float64Array, p: number, design: number[], rowsOf: (run: number) => [number, number]): void {
  const nc = F.length / p;
  const M = new Float64Array(p * p);
  for (let k = 0; k < p; k++) M[k * p + k] = RIDGE * design.length;
  for (const j of design) addOuter(M, F, p, j, 1);

  const G = new Float64Array(nc * p);
  const d = new Float64Array(nc);
  const w = new Float64Array(p);
  /** G = F M⁻¹ (row j: M⁻¹xⱼ) and d(xⱼ) from scratch. */
  const refresh = () => {
    const Minv = inverseFromCholesky(choleskyJitter(M, p).L, p);
    for (let j = 0; j < nc; j++) {
      const fj = j * p;
      let dj = 0;
      for (let a = 0; a < p; a++) {
        let s = 0;
        for (let b = 0; b < p; b++) s += Minv[a * p + b] * F[fj + b];
        G[fj + a] = s;
        dj += s * F[fj + a];
      }
      d[j] = dj;
    }
  };
  /**
   * M ± vvᵀ for v = row `row` of F, with G and d updated by Sherman-Morrison
   * in O(nc p) instead of O(nc p²): with w = M⁻¹v and s = 1 ± vᵀw, M⁻¹
   * becomes M⁻¹ ∓ wwᵀ/s, so each gⱼ becomes gⱼ ∓ w (w·xⱼ)/s and each d(xⱼ)
   * becomes d(xⱼ) ∓ (w·xⱼ)²/s.
   */
  const update = (row: number, sign: 1 | -1) => {
    addOuter(M, F, p, row, sign);
    const r = row * p;
    for (let a = 0; a < p; a++) w[a] = G[r + a];
    const s = 1 + sign * d[row];
    const c = sign / s;
    for (let j = 0; j < nc; j++) {
      const fj = j * p;
      let t = 0;
      for (let a = 0; a < p; a++) t += w[a] * F[fj + a];
      const ct = c * t;
      for (let a = 0; a < p; a++) G[fj + a] -= w[a] * ct;
      d[j] -= ct * t;
    }
  };
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    // From scratch once a pass, so that rounding in the updates does not accumulate.
    refresh();
    let swapped = false;
    for (let i = 0; i < design.length; i++) {
      const ci = design[i];
      const fi = ci * p;
      const di = d[ci];
      let bestGain = 1 + MIN_GAIN;
      let bestJ = -1;
      const [from, to] = rowsOf(i);
      for (let j = from; j < to; j++) {
        if (j === ci) continue;
        const gj = j * p;
        let dij = 0;
        for (let a = 0; a < p; a++) dij += G[gj + a] * F[fi + a];
        const gain = (1 + d[j]) * (1 - di) + dij * dij;
        if (gain > bestGain) {
          bestGain = gain;
          bestJ = j;
        }
      }
      if (bestJ >= 0) {
        // Add first: M + xⱼxⱼᵀ - xᵢxᵢᵀ stays positive definite at each step.
        update(bestJ, 1);
        update(ci, -1);
        design[i] = bestJ;
        swapped = true;
      }
    }
    if (!swapped) break;
  }
}

function addOuter(M: Float64Array, F: Float64Array, p: number, row: number, sign: number): void {
  const r = row * p;
  for (let a = 0; a < p; a++) {
    const fa = sign * F[r + a];
    for (let b = 0; b < p; b++) M[a * p + b] += fa * F[r + b];
  }
}

/** log det(XᵀX) for the rows of F listed in `design`, without ridge; -Infinity when singular. */
function informationLogDet(F: Float64Array, p: number, design: readonly number[]): number {
  const M = new Float64Array(p * p);
  for (const j of design) addOuter(M, F, p, j, 1);
  let trace = 0;
  for (let k = 0; k < p; k++) trace += M[k * p + k];
  if (!choleskyInPlace(M, p)) return -Infinity;
  // A pivot at rounding level means a rank-deficient design that Cholesky happened to accept.
  for (let k = 0; k < p; k++) if (M[k * p + k] ** 2 < 1e-10 * (trace / p)) return -Infinity;
  return logDetFromCholesky(M, p);
}
