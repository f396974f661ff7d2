/**
 * Extremely randomised trees (Geurts, Ernst & Wehenkel, "Extremely randomized
 * trees", Machine Learning 63, 2006) as a surrogate: each tree is grown on all
 * the data; at each node K features are drawn, each with a cut drawn
 * uniformly between the node's minimum and maximum, and the cut that reduces
 * the squared error most is kept. The posterior at a point combines the
 * trees' leaves by the law of total variance:
 *   mean = E_t[μ_t(x)],  variance = E_t[σ²_t(x)] + Var_t[μ_t(x)],
 * where μ_t, σ²_t are the mean and variance of the training outcomes in the
 * leaf of tree t that holds x. Piecewise constant, so it never extrapolates
 * wildly; fitting is O(T · N log N · K) and prediction O(T · depth) per point,
 * which carries it to tens of thousands of observations and large pools.
 *
 * Written here rather than taken from a package: the registry has no
 * maintained TypeScript implementation that reports per-leaf variances, and
 * the acquisition needs them.
 */
import { Rng } from '#random';
import type { Posterior, Surrogate } from './surrogate.js';

export interface ExtraTreesOptions {
  /** Number of trees. Default 32. */
  trees?: number;
  /** Features drawn at each node; default all (the regression default of the paper). */
  featuresPerSplit?: number;
  /** A node with fewer samples than this is a leaf. Default 6. */
  minSamplesSplit?: number;
  /** Smallest leaf. Default 3. */
  minSamplesLeaf?: number;
  /** Deepest tree. Default 40. */
  maxDepth?: number;
  seed?: number;
}

/** One tree in flat arrays: internal nodes hold feature ≥ 0, leaves feature = -1. */
interface Tree {
  feature: Int32Array;
  threshold: Float64Array;
  left: Int32Array;
  right: Int32Array;
  /** Leaf mean and variance of the standardised outcomes. */
  mean: Float64Array;
  variance: Float64Array;
}

export class ExtraTrees implements Surrogate {
  private readonly options: Required<Omit<ExtraTreesOptions, 'featuresPerSplit'>> & { featuresPerSplit?: number };
  private forest: Tree[] = [];
  private dim = 0;
  private yMean = 0;
  private yScale = 1;

  constructor(options: ExtraTreesOptions = {}) {
    this.options = {
      trees: options.trees ?? 32,
      minSamplesSplit: options.minSamplesSplit ?? 6,
      minSamplesLeaf: options.minSamplesLeaf ?? 3,
      maxDepth: options.maxDepth ?? 40,
      seed: options.seed ?? 0,
      featuresPerSplit: options.featuresPerSplit,
    };
  }

  get size(): number {
    return this.forest.length;
  }

  fit(X: number[][], y: number[]): void {
    const n = X.length;
    if (n === 0 || n !== y.length) throw new Error(`extra trees: need as many outcomes as points (got ${n} points, ${y.length} outcomes)`);
    const d = X[0].length;
    this.dim = d;
    const flat = new Float64Array(n * d);
    for (let i = 0; i < n; i++) {
      if (X[i].length !== d) throw new Error(`extra trees: point ${i} has ${X[i].length} coordinates, expected ${d}`);
      flat.set(X[i], i * d);
    }
    let mean = 0;
    for (const v of y) mean += v;
    mean /= n;
    let ss = 0;
    for (const v of y) ss += (v - mean) ** 2;
    this.yMean = mean;
    this.yScale = n > 1 && ss > 0 ? Math.sqrt(ss / (n - 1)) : 1;
    const ys = Float64Array.from(y, (v) => (v - mean) / this.yScale);
    const rng = new Rng(this.options.seed);
    const k = Math.max(1, Math.min(d, this.options.featuresPerSplit ?? d));
    this.forest = Array.from({ length: this.options.trees }, () => this.grow(flat, ys, n, d, k, rng.fork()));
  }

  posterior(X: number[][]): Posterior {
    if (this.forest.length === 0) throw new Error('extra trees: fit before asking for a posterior');
    const m = X.length;
    const mean = new Float64Array(m);
    const variance = new Float64Array(m);
    const T = this.forest.length;
    for (let i = 0; i < m; i++) {
      const x = X[i];
      if (x.length !== this.dim)
        throw new Error(`extra trees: point ${i} has ${x.length} coordinates, the model was fitted on ${this.dim}`);
      let s = 0;
      let s2 = 0;
      let within = 0;
      for (let t = 0; t < T; t++) {
        const tree = this.forest[t];
        let node = 0;
        while (tree.feature[node] >= 0) node = x[tree.feature[node]] < tree.threshold[node] ? tree.left[node] : tree.right[node];
        const mu = tree.mean[node];
        s += mu;
        s2 += mu * mu;
        within += tree.variance[node];
      }
      const mu = s / T;
      const between = Math.max(s2 / T - mu * mu, 0);
      mean[i] = this.yMean + this.yScale * mu;
      variance[i] = this.yScale * this.yScale * (within / T + between);
    }
    return { mean, variance };
  }

  private grow(X: Float64Array, y: Float64Array, n: number, d: number, k: number, rng: Rng): Tree {
    const cap = 2 * n + 1;
    const feature = new Int32Array(cap).fill(-1);
    const threshold = new Float64Array(cap);
    const left = new Int32Array(cap);
    const right = new Int32Array(cap);
    const leafMean = new Float64Array(cap);
    const leafVar = new Float64Array(cap);
    const idx = new Int32Array(n);
    for (let i = 0; i < n; i++) idx[i] = i;
    const features = new Int32Array(d);
    for (let j = 0; j < d; j++) features[j] = j;
    let nodes = 1;
    // Explicit stack of [node, start, end, depth] over idx.
    const stack: number[] = [0, 0, n, 0];
    while (stack.length > 0) {
      const depth = stack.pop()!;
      const end = stack.pop()!;
      const start = stack.pop()!;
      const node = stack.pop()!;
      const count = end - start;
      let sum = 0;
      let sumSq = 0;
      for (let p = start; p < end; p++) {
        const v = y[idx[p]];
        sum += v;
        sumSq += v * v;
      }
      const mu = sum / count;
      leafMean[node] = mu;
      leafVar[node] = count > 1 ? Math.max(sumSq / count - mu * mu, 0) * (count / (count - 1)) : 0;
      if (count < this.options.minSamplesSplit || depth >= this.options.maxDepth || leafVar[node] <= 1e-12) continue;

      // Draw k distinct features (partial Fisher-Yates) and a random cut for each.
      let bestScore = -Infinity;
      let bestFeature = -1;
      let bestCut = 0;
      for (let j = 0; j < k; j++) {
        const r = j + rng.int(d - j);
        const f = features[r];
        features[r] = features[j];
        features[j] = f;
        let lo = Infinity;
        let hi = -Infinity;
        for (let p = start; p < end; p++) {
          const v = X[idx[p] * d + f];
          if (v < lo) lo = v;
          if (v > hi) hi = v;
        }
        if (!(hi > lo)) continue;
        const cut = lo + (hi - lo) * (0.02 + 0.96 * rng.next());
        let nl = 0;
        let sl = 0;
        for (let p = start; p < end; p++) {
          const i = idx[p];
          if (X[i * d + f] < cut) {
            nl++;
            sl += y[i];
          }
        }
        const nr = count - nl;
        if (nl < this.options.minSamplesLeaf || nr < this.options.minSamplesLeaf) continue;
        const sr = sum - sl;
        // Reduction of the squared error, up to a constant: Σ_children n_c μ_c².
        const score = (sl * sl) / nl + (sr * sr) / nr;
        if (score > bestScore) {
          bestScore = score;
          bestFeature = f;
          bestCut = cut;
        }
      }
      if (bestFeature < 0) continue;
      // Partition idx[start, end) around the cut.
      let a = start;
      let b = end - 1;
      while (a <= b) {
        if (X[idx[a] * d + bestFeature] < bestCut) a++;
        else {
          const t = idx[a];
          idx[a] = idx[b];
          idx[b] = t;
          b--;
        }
      }
      const l = nodes++;
      const r = nodes++;
      feature[node] = bestFeature;
      threshold[node] = bestCut;
      left[node] = l;
      right[node] = r;
      stack.push(l, start, a, depth + 1, r, a, end, depth + 1);
    }
    return {
      feature: feature.slice(0, nodes),
      threshold: threshold.slice(0, nodes),
      left: left.slice(0, nodes),
      right: right.slice(0, nodes),
      mean: leafMean.slice(0, nodes),
      variance: leafVar.slice(0, nodes),
    };
  }
}
