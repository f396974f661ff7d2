import { Rng } from '#random';

/**
 * The numbers behind the console's pictures, on plain arrays: a 2-D PCA,
 * k-fold cross-validation of a regressor, and permutation importance on the
 * cross-validated model. No Nest, no database: unit-tested with closed forms.
 */

export interface Pca {
  /** Mean of the points (the projection's origin). */
  mean: number[];
  /** Up to two unit-length principal axes, the first explaining the most variance. */
  axes: number[][];
  /** Fraction of the total variance each axis explains. */
  explained: number[];
  /** Each point's coordinates on the axes (two per point; 0 where an axis is missing). */
  scores: [number, number][];
}

/** Principal components of a few points in a few dimensions: power iteration with deflation on the covariance. */
export function pca2(points: readonly (readonly number[])[]): Pca {
  const n = points.length;
  const d = n > 0 ? points[0].length : 0;
  const mean = new Array<number>(d).fill(0);
  for (const p of points) for (let j = 0; j < d; j++) mean[j] += p[j] / n;
  const cov: number[][] = Array.from({ length: d }, () => new Array<number>(d).fill(0));
  for (const p of points) {
    for (let a = 0; a < d; a++) for (let b = a; b < d; b++) cov[a][b] += ((p[a] - mean[a]) * (p[b] - mean[b])) / Math.max(1, n - 1);
  }
  for (let a = 0; a < d; a++) for (let b = 0; b < a; b++) cov[a][b] = cov[b][a];
  const total = cov.reduce((s, row, i) => s + row[i], 0);
  const axes: number[][] = [];
  const explained: number[] = [];
  for (let k = 0; k < Math.min(2, d); k++) {
    const { vector, value } = dominantEigen(cov);
    if (!(value > 1e-12 * Math.max(total, 1e-300))) break;
    axes.push(vector);
    explained.push(total > 0 ? value / total : 0);
    for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) cov[a][b] -= value * vector[a] * vector[b];
  }
  const scores = points.map((p): [number, number] => {
    const s = axes.map((axis) => axis.reduce((acc, v, j) => acc + v * (p[j] - mean[j]), 0));
    return [s[0] ?? 0, s[1] ?? 0];
  });
  return { mean, axes, explained, scores };
}

/** Largest eigenpair of a symmetric positive semi-definite matrix; the sign makes the largest entry positive. */
function dominantEigen(m: number[][]): { vector: number[]; value: number } {
  const d = m.length;
  // Start from the direction of the largest diagonal entry, nudged so it is never orthogonal by accident.
  let v = m.map((row, i) => row[i] + 1e-3 * (i + 1));
  let norm = Math.hypot(...v);
  v = v.map((x) => x / (norm || 1));
  let value = 0;
  for (let it = 0; it < 1000; it++) {
    const w = m.map((row) => row.reduce((s, x, j) => s + x * v[j], 0));
    norm = Math.hypot(...w);
    if (norm === 0) return { vector: v, value: 0 };
    const next = w.map((x) => x / norm);
    const change = next.reduce((s, x, j) => s + Math.abs(x - v[j]), 0);
    v = next;
    value = norm;
    if (change < 1e-12 * d) break;
  }
  const big = v.reduce((best, x, j) => (Math.abs(x) > Math.abs(v[best]) ? j : best), 0);
  if (v[big] < 0) v = v.map((x) => -x);
  return { vector: v, value };
}

/** A fitted regressor: predictive mean and standard deviation at points. */
export interface Regressor {
  predict(X: readonly (readonly number[])[]): { mean: number[]; sd: number[] };
}
export type FitRegressor = (X: number[][], y: number[]) => Regressor;

export interface CrossValidation {
  /** Fold of each point. */
  fold: number[];
  models: Regressor[];
  /** Out-of-fold prediction of each point. */
  mean: number[];
  sd: number[];
  rmse: number;
  /** 1 - SSE / SST: the fraction of the variance the out-of-fold predictions explain. */
  r2: number;
}

/** k-fold cross-validation (leave-one-out when k >= n); folds are interleaved by position. */
export function crossValidate(X: number[][], y: number[], fit: FitRegressor, k: number): CrossValidation {
  const n = y.length;
  const folds = Math.max(2, Math.min(k, n));
  const fold = y.map((_, i) => i % folds);
  const mean = new Array<number>(n).fill(0);
  const sd = new Array<number>(n).fill(0);
  const models: Regressor[] = [];
  for (let f = 0; f < folds; f++) {
    const train = fold.flatMap((g, i) => (g === f ? [] : [i]));
    const test = fold.flatMap((g, i) => (g === f ? [i] : []));
    const model = fit(
      train.map((i) => X[i]),
      train.map((i) => y[i]),
    );
    models.push(model);
    const p = model.predict(test.map((i) => X[i]));
    test.forEach((i, t) => {
      mean[i] = p.mean[t];
      sd[i] = p.sd[t];
    });
  }
  const sse = y.reduce((s, v, i) => s + (v - mean[i]) ** 2, 0);
  const mu = y.reduce((s, v) => s + v, 0) / n;
  const sst = y.reduce((s, v) => s + (v - mu) ** 2, 0);
  return { fold, models, mean, sd, rmse: Math.sqrt(sse / n), r2: sst > 0 ? 1 - sse / sst : 0 };
}

export interface Importance {
  /** Column index. */
  index: number;
  /** Mean increase of the out-of-fold squared error when the column is shuffled, as a fraction of var(y). */
  importance: number;
  /** Standard deviation of that increase over the repeats. */
  sd: number;
}

/**
 * Permutation importance on the cross-validated model: shuffle one column over
 * all points, predict each point with the model that did not see it, and
 * measure how much the squared error grows. Sorted, most important first.
 */
export function permutationImportance(
  X: number[][],
  y: number[],
  cv: CrossValidation,
  options: { repeats?: number; seed?: number } = {},
): Importance[] {
  const n = y.length;
  const d = n > 0 ? X[0].length : 0;
  const repeats = options.repeats ?? 5;
  const rng = new Rng(options.seed ?? 1);
  const mu = y.reduce((s, v) => s + v, 0) / n;
  const variance = y.reduce((s, v) => s + (v - mu) ** 2, 0) / n || 1;
  const baseline = y.reduce((s, v, i) => s + (v - cv.mean[i]) ** 2, 0) / n;
  const out: Importance[] = [];
  for (let j = 0; j < d; j++) {
    const increases: number[] = [];
    for (let r = 0; r < repeats; r++) {
      const perm = shuffled(n, rng);
      const Xp = X.map((row, i) => row.map((v, c) => (c === j ? X[perm[i]][j] : v)));
      const predicted = new Array<number>(n);
      cv.models.forEach((model, f) => {
        const rows = cv.fold.flatMap((g, i) => (g === f ? [i] : []));
        const p = model.predict(rows.map((i) => Xp[i]));
        rows.forEach((i, t) => (predicted[i] = p.mean[t]));
      });
      const mse = y.reduce((s, v, i) => s + (v - predicted[i]) ** 2, 0) / n;
      increases.push((mse - baseline) / variance);
    }
    const m = increases.reduce((s, v) => s + v, 0) / repeats;
    const sd = Math.sqrt(increases.reduce((s, v) => s + (v - m) ** 2, 0) / Math.max(1, repeats - 1));
    out.push({ index: j, importance: m, sd });
  }
  return out.sort((a, b) => b.importance - a.importance || a.index - b.index);
}

/** Fisher-Yates with a seeded generator. */
function shuffled(n: number, rng: Rng): number[] {
  const p = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const k = rng.int(i + 1);
    [p[i], p[k]] = [p[k], p[i]];
  }
  return p;
}

/** Best value so far after each experiment, in experiment order. */
export function bestSoFar(values: readonly number[], direction: 'minimize' | 'maximize'): number[] {
  const out: number[] = [];
  for (const v of values) {
    const prev = out.at(-1);
    out.push(prev === undefined ? v : direction === 'minimize' ? Math.min(prev, v) : Math.max(prev, v));
  }
  return out;
}
