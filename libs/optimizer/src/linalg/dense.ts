/**
 * Dense symmetric positive-definite helpers on row-major Float64Array
 * matrices (n x n, element (i, j) at i * n + j). Small and allocation-light:
 * the GP works with a few hundred points at most.
 */

/** Thrown when a matrix stays indefinite after the largest jitter. */
export class NotPositiveDefiniteError extends Error {
  constructor(readonly jitter: number) {
    super(`matrix is not positive definite even with jitter ${jitter.toExponential(2)}`);
    this.name = 'NotPositiveDefiniteError';
  }
}

/**
 * In-place lower Cholesky factor of `a` (its lower triangle is overwritten
 * with L, the strict upper triangle is zeroed). Returns false if a pivot is
 * not positive (the content of `a` is then unspecified).
 */
export function choleskyInPlace(a: Float64Array, n: number): boolean {
  for (let j = 0; j < n; j++) {
    const rj = j * n;
    let d = a[rj + j];
    for (let k = 0; k < j; k++) d -= a[rj + k] * a[rj + k];
    if (!(d > 0) || !Number.isFinite(d)) return false;
    const ljj = Math.sqrt(d);
    a[rj + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      const ri = i * n;
      let s = a[ri + j];
      for (let k = 0; k < j; k++) s -= a[ri + k] * a[rj + k];
      a[ri + j] = s / ljj;
    }
    for (let k = j + 1; k < n; k++) a[rj + k] = 0;
  }
  return true;
}

export interface CholeskyResult {
  /** Lower-triangular factor, row-major n x n. */
  L: Float64Array;
  /** Jitter that was added to the diagonal (0 when none was needed). */
  jitter: number;
}

export interface JitterOptions {
  /** First jitter tried, relative to the mean of the diagonal. Default 1e-8. */
  initial?: number;
  /** Largest relative jitter before giving up. Default 1e-1. */
  max?: number;
}

/**
 * Cholesky factor of a symmetric matrix, adding diagonal jitter (growing
 * tenfold from `initial` times the mean diagonal) until the factorisation
 * succeeds. Robust with near-duplicate training points. `a` is not modified.
 */
export function choleskyJitter(a: Float64Array, n: number, options: JitterOptions = {}): CholeskyResult {
  const L = new Float64Array(a);
  if (choleskyInPlace(L, n)) return { L, jitter: 0 };
  let meanDiag = 0;
  for (let i = 0; i < n; i++) meanDiag += Math.abs(a[i * n + i]);
  meanDiag = n > 0 ? meanDiag / n : 1;
  if (!(meanDiag > 0)) meanDiag = 1;
  const max = (options.max ?? 1e-1) * meanDiag;
  for (let jitter = (options.initial ?? 1e-8) * meanDiag; jitter <= max * (1 + 1e-12); jitter *= 10) {
    L.set(a);
    for (let i = 0; i < n; i++) L[i * n + i] += jitter;
    if (choleskyInPlace(L, n)) return { L, jitter };
  }
  throw new NotPositiveDefiniteError(max);
}

/** Solves L x = b for lower-triangular L (forward substitution); returns x. */
export function solveLower(L: Float64Array, n: number, b: ArrayLike<number>, out = new Float64Array(n)): Float64Array {
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    let s = b[i];
    for (let k = 0; k < i; k++) s -= L[ri + k] * out[k];
    out[i] = s / L[ri + i];
  }
  return out;
}

/** Solves L^T x = b for lower-triangular L (back substitution); returns x. */
export function solveLowerTransposed(L: Float64Array, n: number, b: ArrayLike<number>, out = new Float64Array(n)): Float64Array {
  for (let i = n - 1; i >= 0; i--) {
    let s = b[i];
    for (let k = i + 1; k < n; k++) s -= L[k * n + i] * out[k];
    out[i] = s / L[i * n + i];
  }
  return out;
}

/** Solves (L L^T) x = b given the Cholesky factor L. */
export function choleskySolve(L: Float64Array, n: number, b: ArrayLike<number>): Float64Array {
  return solveLowerTransposed(L, n, solveLower(L, n, b));
}

/** log det(L L^T) = 2 sum log L_ii. */
export function logDetFromCholesky(L: Float64Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += Math.log(L[i * n + i]);
  return 2 * s;
}

/** (L L^T)^{-1} as a full symmetric row-major matrix. */
export function inverseFromCholesky(L: Float64Array, n: number): Float64Array {
  // Linv = L^{-1} (lower), then A^{-1} = Linv^T Linv.
  const Li = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    Li[j * n + j] = 1 / L[j * n + j];
    for (let i = j + 1; i < n; i++) {
      let s = 0;
      for (let k = j; k < i; k++) s -= L[i * n + k] * Li[k * n + j];
      Li[i * n + j] = s / L[i * n + i];
    }
  }
  const inv = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let k = i; k < n; k++) s += Li[k * n + i] * Li[k * n + j];
      inv[i * n + j] = s;
      inv[j * n + i] = s;
    }
  }
  return inv;
}

/** Dot product of two equal-length vectors. */
export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}
