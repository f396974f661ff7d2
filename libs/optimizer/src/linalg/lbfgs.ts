/**
 * A small limited-memory BFGS minimiser with optional box bounds (projected
 * search direction, Armijo backtracking along the projected path). Used for
 * GP hyperparameters and for the acquisition's continuous coordinates.
 */

/** Objective value and gradient at x (the gradient is written into `grad`). */
export type ValueAndGradient = (x: Float64Array, grad: Float64Array) => number;

export interface LbfgsOptions {
  lower?: ArrayLike<number>;
  upper?: ArrayLike<number>;
  /** Number of correction pairs kept. Default 8. */
  memory?: number;
  /** Iteration cap. Default 100. */
  maxIterations?: number;
  /** Stop when the projected gradient's max norm falls below this. Default 1e-6. */
  gradientTolerance?: number;
  /** Stop when the relative decrease of f falls below this. Default 1e-10. */
  functionTolerance?: number;
}

export interface LbfgsResult {
  x: Float64Array;
  value: number;
  iterations: number;
  evaluations: number;
}

const ARMIJO = 1e-4;

export function minimizeLbfgs(fg: ValueAndGradient, x0: ArrayLike<number>, options: LbfgsOptions = {}): LbfgsResult {
  const n = x0.length;
  const lo = options.lower;
  const hi = options.upper;
  const m = options.memory ?? 8;
  const maxIter = options.maxIterations ?? 100;
  const gtol = options.gradientTolerance ?? 1e-6;
  const ftol = options.functionTolerance ?? 1e-10;
  const clamp = (v: number, i: number) => Math.min(hi ? hi[i] : Infinity, Math.max(lo ? lo[i] : -Infinity, v));

  let x = Float64Array.from(x0, clamp);
  let g = new Float64Array(n);
  let f = fg(x, g);
  let evaluations = 1;
  if (!Number.isFinite(f)) return { x, value: f, iterations: 0, evaluations };

  const S: Float64Array[] = [];
  const Y: Float64Array[] = [];
  const rho: number[] = [];
  const alpha = new Float64Array(m);
  const d = new Float64Array(n);
  const free = new Uint8Array(n);
  let xNew = new Float64Array(n);
  let gNew = new Float64Array(n);
  let iter = 0;

  for (; iter < maxIter; iter++) {
    // Variables held at a bound by the gradient are fixed for this step.
    let pgMax = 0;
    for (let i = 0; i < n; i++) {
      const atLo = lo !== undefined && x[i] <= lo[i] && g[i] > 0;
      const atHi = hi !== undefined && x[i] >= hi[i] && g[i] < 0;
      free[i] = atLo || atHi ? 0 : 1;
      if (free[i]) pgMax = Math.max(pgMax, Math.abs(g[i]));
    }
    if (pgMax < gtol) break;

    // Two-loop recursion on the free variables.
    for (let i = 0; i < n; i++) d[i] = free[i] ? -g[i] : 0;
    for (let k = S.length - 1; k >= 0; k--) {
      let s = 0;
      for (let i = 0; i < n; i++) if (free[i]) s += S[k][i] * d[i];
      alpha[k] = rho[k] * s;
      for (let i = 0; i < n; i++) if (free[i]) d[i] -= alpha[k] * Y[k][i];
    }
    if (S.length > 0) {
      const last = S.length - 1;
      let sy = 0;
      let yy = 0;
      for (let i = 0; i < n; i++) {
        sy += S[last][i] * Y[last][i];
        yy += Y[last][i] * Y[last][i];
      }
      const gamma = yy > 0 ? sy / yy : 1;
      for (let i = 0; i < n; i++) d[i] *= gamma;
    }
    for (let k = 0; k < S.length; k++) {
      let s = 0;
      for (let i = 0; i < n; i++) if (free[i]) s += Y[k][i] * d[i];
      const beta = rho[k] * s;
      for (let i = 0; i < n; i++) if (free[i]) d[i] += (alpha[k] - beta) * S[k][i];
    }
    let slope = 0;
    for (let i = 0; i < n; i++) slope += g[i] * d[i];
    if (!(slope < 0)) {
      // Not a descent direction: fall back to steepest descent and forget the curvature pairs.
      S.length = 0;
      Y.length = 0;
      rho.length = 0;
      for (let i = 0; i < n; i++) d[i] = free[i] ? -g[i] : 0;
    }

    // Backtracking along the projected path x(t) = P(x + t d).
    let t = S.length === 0 ? Math.min(1, 1 / pgMax) : 1;
    let fNew = Infinity;
    let accepted = false;
    for (let ls = 0; ls < 30; ls++) {
      let decrease = 0;
      for (let i = 0; i < n; i++) {
        xNew[i] = clamp(x[i] + t * d[i], i);
        decrease += g[i] * (xNew[i] - x[i]);
      }
      fNew = fg(xNew, gNew);
      evaluations++;
      if (Number.isFinite(fNew) && fNew <= f + ARMIJO * decrease) {
        accepted = true;
        break;
      }
      t *= 0.5;
    }
    if (!accepted) break;

    const s = new Float64Array(n);
    const y = new Float64Array(n);
    let sy = 0;
    for (let i = 0; i < n; i++) {
      s[i] = xNew[i] - x[i];
      y[i] = gNew[i] - g[i];
      sy += s[i] * y[i];
    }
    if (sy > 1e-12) {
      if (S.length === m) {
        S.shift();
        Y.shift();
        rho.shift();
      }
      S.push(s);
      Y.push(y);
      rho.push(1 / sy);
    }
    const fOld = f;
    [x, xNew] = [xNew, x];
    [g, gNew] = [gNew, g];
    f = fNew;
    if (Math.abs(fOld - f) <= ftol * Math.max(1, Math.abs(fOld), Math.abs(f))) {
      iter++;
      break;
    }
  }
  return { x, value: f, iterations: iter, evaluations };
}
