/**
 * Dense symmetric positive-definite helpers on row-major Float64Array
 * matrices (n x n, element (i, j) at i * n + j), allocation-light. The
 * loops are register-blocked (several independent sums share their loads)
 * but keep each element's order of summation, so they give the same bits as
 * the plain loops of linalg/reference.ts.
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
 *
 * Left-looking, two columns at a time and four rows at a time: each element
 * is still one dot product summed in increasing k (the same bits as one dot
 * product at a time, linalg/reference.ts), but eight independent sums share
 * their loads, so the loop is no longer bound by the latency of one chain of
 * additions (about 3x faster at n = 1,000).
 */
export function choleskyInPlace(a: Float64Array, n: number): boolean {
  let j = 0;
  for (; j + 1 < n; j += 2) {
    const rj = j * n;
    const rj1 = rj + n;
    let d = a[rj + j];
    for (let k = 0; k < j; k++) d -= a[rj + k] * a[rj + k];
    if (!(d > 0) || !Number.isFinite(d)) return false;
    const ljj = Math.sqrt(d);
    a[rj + j] = ljj;
    let s = a[rj1 + j];
    for (let k = 0; k < j; k++) s -= a[rj1 + k] * a[rj + k];
    const l10 = s / ljj;
    a[rj1 + j] = l10;
    let d1 = a[rj1 + j + 1];
    for (let k = 0; k <= j; k++) d1 -= a[rj1 + k] * a[rj1 + k];
    if (!(d1 > 0) || !Number.isFinite(d1)) return false;
    const l11 = Math.sqrt(d1);
    a[rj1 + j + 1] = l11;
    let i = j + 2;
    for (; i + 3 < n; i += 4) {
      const r0 = i * n;
      const r1 = r0 + n;
      const r2 = r1 + n;
      const r3 = r2 + n;
      let s0 = a[r0 + j];
      let s1 = a[r1 + j];
      let s2 = a[r2 + j];
      let s3 = a[r3 + j];
      let t0 = a[r0 + j + 1];
      let t1 = a[r1 + j + 1];
      let t2 = a[r2 + j + 1];
      let t3 = a[r3 + j + 1];
      for (let k = 0; k < j; k++) {
        const p = a[rj + k];
        const q = a[rj1 + k];
        const x0 = a[r0 + k];
        const x1 = a[r1 + k];
        const x2 = a[r2 + k];
        const x3 = a[r3 + k];
        s0 -= x0 * p;
        t0 -= x0 * q;
        s1 -= x1 * p;
        t1 -= x1 * q;
        s2 -= x2 * p;
        t2 -= x2 * q;
        s3 -= x3 * p;
        t3 -= x3 * q;
      }
      s0 /= ljj;
      s1 /= ljj;
      s2 /= ljj;
      s3 /= ljj;
      a[r0 + j] = s0;
      a[r1 + j] = s1;
      a[r2 + j] = s2;
      a[r3 + j] = s3;
      a[r0 + j + 1] = (t0 - s0 * l10) / l11;
      a[r1 + j + 1] = (t1 - s1 * l10) / l11;
      a[r2 + j + 1] = (t2 - s2 * l10) / l11;
      a[r3 + j + 1] = (t3 - s3 * l10) / l11;
    }
    for (; i < n; i++) {
      const ri = i * n;
      let si = a[ri + j];
      let ti = a[ri + j + 1];
      for (let k = 0; k < j; k++) {
        const x = a[ri + k];
        si -= x * a[rj + k];
        ti -= x * a[rj1 + k];
      }
      si /= ljj;
      a[ri + j] = si;
      a[ri + j + 1] = (ti - si * l10) / l11;
    }
    for (let k = j + 1; k < n; k++) a[rj + k] = 0;
    for (let k = j + 2; k < n; k++) a[rj1 + k] = 0;
  }
  if (j < n) {
    // The last column of an odd n: only its diagonal is left.
    const rj = j * n;
    let d = a[rj + j];
    for (let k = 0; k < j; k++) d -= a[rj + k] * a[rj + k];
    if (!(d > 0) || !Number.isFinite(d)) return false;
    a[rj + j] = Math.sqrt(d);
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

/**
 * Solves L x = b for lower-triangular L (forward substitution); returns x.
 * Each x_i is the same sum in increasing k as one row at a time (the terms
 * of the rows above the group first, then those within it); four rows share
 * the loads of x.
 */
export function solveLower(L: Float64Array, n: number, b: ArrayLike<number>, out = new Float64Array(n)): Float64Array {
  let i = 0;
  for (; i + 3 < n; i += 4) {
    const r0 = i * n;
    const r1 = r0 + n;
    const r2 = r1 + n;
    const r3 = r2 + n;
    let s0 = b[i];
    let s1 = b[i + 1];
    let s2 = b[i + 2];
    let s3 = b[i + 3];
    for (let k = 0; k < i; k++) {
      const x = out[k];
      s0 -= L[r0 + k] * x;
      s1 -= L[r1 + k] * x;
      s2 -= L[r2 + k] * x;
      s3 -= L[r3 + k] * x;
    }
    const x0 = s0 / L[r0 + i];
    out[i] = x0;
    s1 -= L[r1 + i] * x0;
    const x1 = s1 / L[r1 + i + 1];
    out[i + 1] = x1;
    s2 -= L[r2 + i] * x0;
    s2 -= L[r2 + i + 1] * x1;
    const x2 = s2 / L[r2 + i + 2];
    out[i + 2] = x2;
    s3 -= L[r3 + i] * x0;
    s3 -= L[r3 + i + 1] * x1;
    s3 -= L[r3 + i + 2] * x2;
    out[i + 3] = s3 / L[r3 + i + 3];
  }
  for (; i < n; i++) {
    const ri = i * n;
    let s = b[i];
    for (let k = 0; k < i; k++) s -= L[ri + k] * out[k];
    out[i] = s / L[ri + i];
  }
  return out;
}

/**
 * Solves L x = b for each of m right-hand sides at once: `B` holds them as
 * the rows of an m x n row-major matrix, and row p of the result is the
 * solution for row p of B (the same bits as solveLower on each). Four
 * right-hand sides share each pair of rows of L, read once per four instead
 * of once per solve.
 */
export function solveLowerRows(L: Float64Array, n: number, B: Float64Array, m: number, out = new Float64Array(m * n)): Float64Array {
  let p = 0;
  for (; p + 3 < m; p += 4) {
    const o0 = p * n;
    const o1 = o0 + n;
    const o2 = o1 + n;
    const o3 = o2 + n;
    let i = 0;
    // Two rows of L at a time: eight sums share each load of x.
    for (; i + 1 < n; i += 2) {
      const ri = i * n;
      const rj = ri + n;
      let s0 = B[o0 + i];
      let s1 = B[o1 + i];
      let s2 = B[o2 + i];
      let s3 = B[o3 + i];
      let t0 = B[o0 + i + 1];
      let t1 = B[o1 + i + 1];
      let t2 = B[o2 + i + 1];
      let t3 = B[o3 + i + 1];
      for (let k = 0; k < i; k++) {
        const l = L[ri + k];
        const h = L[rj + k];
        const x0 = out[o0 + k];
        const x1 = out[o1 + k];
        const x2 = out[o2 + k];
        const x3 = out[o3 + k];
        s0 -= l * x0;
        t0 -= h * x0;
        s1 -= l * x1;
        t1 -= h * x1;
        s2 -= l * x2;
        t2 -= h * x2;
        s3 -= l * x3;
        t3 -= h * x3;
      }
      const d = L[ri + i];
      const c = L[rj + i];
      const e = L[rj + i + 1];
      s0 /= d;
      s1 /= d;
      s2 /= d;
      s3 /= d;
      out[o0 + i] = s0;
      out[o1 + i] = s1;
      out[o2 + i] = s2;
      out[o3 + i] = s3;
      out[o0 + i + 1] = (t0 - c * s0) / e;
      out[o1 + i + 1] = (t1 - c * s1) / e;
      out[o2 + i + 1] = (t2 - c * s2) / e;
      out[o3 + i + 1] = (t3 - c * s3) / e;
    }
    for (; i < n; i++) {
      const ri = i * n;
      let s0 = B[o0 + i];
      let s1 = B[o1 + i];
      let s2 = B[o2 + i];
      let s3 = B[o3 + i];
      for (let k = 0; k < i; k++) {
        const l = L[ri + k];
        s0 -= l * out[o0 + k];
        s1 -= l * out[o1 + k];
        s2 -= l * out[o2 + k];
        s3 -= l * out[o3 + k];
      }
      const d = L[ri + i];
      out[o0 + i] = s0 / d;
      out[o1 + i] = s1 / d;
      out[o2 + i] = s2 / d;
      out[o3 + i] = s3 / d;
    }
  }
  if (p + 1 < m) {
    // Two left over: they share each row of L.
    const o0 = p * n;
    const o1 = o0 + n;
    for (let i = 0; i < n; i++) {
      const ri = i * n;
      let s0 = B[o0 + i];
      let s1 = B[o1 + i];
      for (let k = 0; k < i; k++) {
        const l = L[ri + k];
        s0 -= l * out[o0 + k];
        s1 -= l * out[o1 + k];
      }
      const d = L[ri + i];
      out[o0 + i] = s0 / d;
      out[o1 + i] = s1 / d;
    }
    p += 2;
  }
  for (; p < m; p++) solveLower(L, n, B.subarray(p * n, (p + 1) * n), out.subarray(p * n, (p + 1) * n));
  return out;
}

/**
 * The Cholesky factor of [[A, Bᵀ], [B, C]] from the factor L of A (n x n):
 * `B` is m x n (row p: the covariances of new point p with the old ones),
 * `C` m x m, and `jitter` the one that was added to A's diagonal (added to
 * C's as well). O(n² m) instead of O((n + m)³); every element is the same sum
 * in the same order as factorising the whole matrix, so the result has the
 * same bits. Undefined when the new block is not positive definite.
 */
export function extendCholesky(
  L: Float64Array,
  n: number,
  B: Float64Array,
  C: Float64Array,
  m: number,
  jitter = 0,
): Float64Array | undefined {
  const N = n + m;
  const out = new Float64Array(N * N);
  for (let i = 0; i < n; i++) out.set(L.subarray(i * n, i * n + i + 1), i * N);
  const L21 = solveLowerRows(L, n, B, m);
  const S = new Float64Array(m * m);
  for (let p = 0; p < m; p++) {
    const rp = p * n;
    out.set(L21.subarray(rp, rp + n), (n + p) * N);
    for (let q = 0; q <= p; q++) {
      const rq = q * n;
      let s = C[p * m + q] + (p === q ? jitter : 0);
      for (let k = 0; k < n; k++) s -= L21[rp + k] * L21[rq + k];
      S[p * m + q] = s;
    }
  }
  // Continue each sum over the new columns: the Cholesky factor of the Schur complement.
  if (!choleskyInPlace(S, m)) return undefined;
  for (let p = 0; p < m; p++) out.set(S.subarray(p * m, p * m + p + 1), (n + p) * N + n);
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

/**
 * Solves L^T x = b as solveLowerTransposed does, but reading L by rows:
 * going up four rows at a time, the four x_j of a group are solved, then
 * those four rows of L times their x_j are subtracted from what is left of
 * b in one pass (contiguous loads instead of a stride of n, and one load and
 * store of b per four rows; about twice as fast as one row at a time at
 * n = 3,000, and several times faster than the strided loop). The sums run
 * in another order, so the bits may differ from solveLowerTransposed in the
 * last places: for gradients only (GaussianProcess.posteriorGradient).
 */
export function solveLowerTransposedByRows(
  L: Float64Array,
  n: number,
  b: ArrayLike<number>,
  out: Float64Array = new Float64Array(n),
): Float64Array {
  for (let i = 0; i < n; i++) out[i] = b[i];
  let j = n - 1;
  for (; j >= 3; j -= 4) {
    const r0 = j * n;
    const r1 = r0 - n;
    const r2 = r1 - n;
    const r3 = r2 - n;
    const x0 = out[j] / L[r0 + j];
    const x1 = (out[j - 1] - L[r0 + j - 1] * x0) / L[r1 + j - 1];
    const x2 = (out[j - 2] - L[r0 + j - 2] * x0 - L[r1 + j - 2] * x1) / L[r2 + j - 2];
    const x3 = (out[j - 3] - L[r0 + j - 3] * x0 - L[r1 + j - 3] * x1 - L[r2 + j - 3] * x2) / L[r3 + j - 3];
    out[j] = x0;
    out[j - 1] = x1;
    out[j - 2] = x2;
    out[j - 3] = x3;
    for (let k = 0; k < j - 3; k++) out[k] -= L[r0 + k] * x0 + L[r1 + k] * x1 + L[r2 + k] * x2 + L[r3 + k] * x3;
  }
  for (; j >= 0; j--) {
    const rj = j * n;
    const x = out[j] / L[rj + j];
    out[j] = x;
    for (let k = 0; k < j; k++) out[k] -= L[rj + k] * x;
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

/**
 * (L L^T)^{-1} as a full symmetric row-major matrix, through L⁻¹ (kept
 * transposed, so that each of its columns is contiguous) and then
 * A⁻¹ = L⁻ᵀ L⁻¹. Every element is the same sum in the same order as the
 * column-by-column reference (linalg/reference.ts); four columns and two
 * rows at a time share the loads (eight sums per pass, about 1.3x faster
 * than four at n = 1,000).
 */
export function inverseFromCholesky(L: Float64Array, n: number): Float64Array {
  // T[j * n + i] = (L⁻¹)_ij for i >= j: row j of T is column j of L⁻¹.
  const T = new Float64Array(n * n);
  let j0 = 0;
  for (; j0 + 3 < n; j0 += 4) {
    const t0 = j0 * n,
      t1 = t0 + n,
      t2 = t1 + n,
      t3 = t2 + n;
    // The small triangle i < j0 + 4, one element at a time.
    for (let j = j0; j < j0 + 4; j++) {
      const tj = j * n;
      T[tj + j] = 1 / L[j * n + j];
      for (let i = j + 1; i < j0 + 4; i++) {
        let s = 0;
        for (let k = j; k < i; k++) s -= L[i * n + k] * T[tj + k];
        T[tj + i] = s / L[i * n + i];
      }
    }
    // Rows i and i + 1 together: each sum starts at its own column (k = j), the terms below j0 + 4 first, then the
    // shared run; row i + 1's sum ends with the term k = i, from row i's result.
    let i = j0 + 4;
    for (; i + 1 < n; i += 2) {
      const ri = i * n;
      const rh = ri + n;
      let s0 = 0,
        s1 = 0,
        s2 = 0,
        s3 = 0,
        u0 = 0,
        u1 = 0,
        u2 = 0,
        u3 = 0;
      s0 -= L[ri + j0] * T[t0 + j0];
      s0 -= L[ri + j0 + 1] * T[t0 + j0 + 1];
      s1 -= L[ri + j0 + 1] * T[t1 + j0 + 1];
      s0 -= L[ri + j0 + 2] * T[t0 + j0 + 2];
      s1 -= L[ri + j0 + 2] * T[t1 + j0 + 2];
      s2 -= L[ri + j0 + 2] * T[t2 + j0 + 2];
      s0 -= L[ri + j0 + 3] * T[t0 + j0 + 3];
      s1 -= L[ri + j0 + 3] * T[t1 + j0 + 3];
      s2 -= L[ri + j0 + 3] * T[t2 + j0 + 3];
      s3 -= L[ri + j0 + 3] * T[t3 + j0 + 3];
      u0 -= L[rh + j0] * T[t0 + j0];
      u0 -= L[rh + j0 + 1] * T[t0 + j0 + 1];
      u1 -= L[rh + j0 + 1] * T[t1 + j0 + 1];
      u0 -= L[rh + j0 + 2] * T[t0 + j0 + 2];
      u1 -= L[rh + j0 + 2] * T[t1 + j0 + 2];
      u2 -= L[rh + j0 + 2] * T[t2 + j0 + 2];
      u0 -= L[rh + j0 + 3] * T[t0 + j0 + 3];
      u1 -= L[rh + j0 + 3] * T[t1 + j0 + 3];
      u2 -= L[rh + j0 + 3] * T[t2 + j0 + 3];
      u3 -= L[rh + j0 + 3] * T[t3 + j0 + 3];
      for (let k = j0 + 4; k < i; k++) {
        const l = L[ri + k],
          h = L[rh + k];
        const a0 = T[t0 + k],
          a1 = T[t1 + k],
          a2 = T[t2 + k],
          a3 = T[t3 + k];
        s0 -= l * a0;
        u0 -= h * a0;
        s1 -= l * a1;
        u1 -= h * a1;
        s2 -= l * a2;
        u2 -= h * a2;
        s3 -= l * a3;
        u3 -= h * a3;
      }
      const d = L[ri + i];
      const x0 = s0 / d,
        x1 = s1 / d,
        x2 = s2 / d,
        x3 = s3 / d;
      T[t0 + i] = x0;
      T[t1 + i] = x1;
      T[t2 + i] = x2;
      T[t3 + i] = x3;
      const h = L[rh + i];
      u0 -= h * x0;
      u1 -= h * x1;
      u2 -= h * x2;
      u3 -= h * x3;
      const e = L[rh + i + 1];
      T[t0 + i + 1] = u0 / e;
      T[t1 + i + 1] = u1 / e;
      T[t2 + i + 1] = u2 / e;
      T[t3 + i + 1] = u3 / e;
    }
    for (; i < n; i++) {
      const ri = i * n;
      let s0 = 0,
        s1 = 0,
        s2 = 0,
        s3 = 0;
      s0 -= L[ri + j0] * T[t0 + j0];
      s0 -= L[ri + j0 + 1] * T[t0 + j0 + 1];
      s1 -= L[ri + j0 + 1] * T[t1 + j0 + 1];
      s0 -= L[ri + j0 + 2] * T[t0 + j0 + 2];
      s1 -= L[ri + j0 + 2] * T[t1 + j0 + 2];
      s2 -= L[ri + j0 + 2] * T[t2 + j0 + 2];
      s0 -= L[ri + j0 + 3] * T[t0 + j0 + 3];
      s1 -= L[ri + j0 + 3] * T[t1 + j0 + 3];
      s2 -= L[ri + j0 + 3] * T[t2 + j0 + 3];
      s3 -= L[ri + j0 + 3] * T[t3 + j0 + 3];
      for (let k = j0 + 4; k < i; k++) {
        const l = L[ri + k];
        s0 -= l * T[t0 + k];
        s1 -= l * T[t1 + k];
        s2 -= l * T[t2 + k];
        s3 -= l * T[t3 + k];
      }
      const d = L[ri + i];
      T[t0 + i] = s0 / d;
      T[t1 + i] = s1 / d;
      T[t2 + i] = s2 / d;
      T[t3 + i] = s3 / d;
    }
  }
  for (let j = j0; j < n; j++) {
    const tj = j * n;
    T[tj + j] = 1 / L[j * n + j];
    for (let i = j + 1; i < n; i++) {
      let s = 0;
      for (let k = j; k < i; k++) s -= L[i * n + k] * T[tj + k];
      T[tj + i] = s / L[i * n + i];
    }
  }
  // inv_ij = Σ_{k >= i} (L⁻¹)_ki (L⁻¹)_kj for j <= i: rows i and j of T from k = i on; rows i and i + 1 against four
  // rows j at a time (row i's sums take their term k = i first, then both run from k = i + 1).
  const inv = new Float64Array(n * n);
  let i = 0;
  for (; i + 1 < n; i += 2) {
    const ti = i * n;
    const th = ti + n;
    let j = 0;
    for (; j + 3 <= i; j += 4) {
      const u0 = j * n,
        u1 = u0 + n,
        u2 = u1 + n,
        u3 = u2 + n;
      let s0 = 0,
        s1 = 0,
        s2 = 0,
        s3 = 0,
        r0 = 0,
        r1 = 0,
        r2 = 0,
        r3 = 0;
      const t = T[ti + i];
      s0 += t * T[u0 + i];
      s1 += t * T[u1 + i];
      s2 += t * T[u2 + i];
      s3 += t * T[u3 + i];
      for (let k = i + 1; k < n; k++) {
        const a = T[ti + k],
          b = T[th + k];
        const c0 = T[u0 + k],
          c1 = T[u1 + k],
          c2 = T[u2 + k],
          c3 = T[u3 + k];
        s0 += a * c0;
        r0 += b * c0;
        s1 += a * c1;
        r1 += b * c1;
        s2 += a * c2;
        r2 += b * c2;
        s3 += a * c3;
        r3 += b * c3;
      }
      inv[ti + j] = s0;
      inv[u0 + i] = s0;
      inv[ti + j + 1] = s1;
      inv[u1 + i] = s1;
      inv[ti + j + 2] = s2;
      inv[u2 + i] = s2;
      inv[ti + j + 3] = s3;
      inv[u3 + i] = s3;
      inv[th + j] = r0;
      inv[u0 + i + 1] = r0;
      inv[th + j + 1] = r1;
      inv[u1 + i + 1] = r1;
      inv[th + j + 2] = r2;
      inv[u2 + i + 1] = r2;
      inv[th + j + 3] = r3;
      inv[u3 + i + 1] = r3;
    }
    for (let jj = j; jj <= i; jj++) {
      const tj = jj * n;
      let s = 0;
      for (let k = i; k < n; k++) s += T[ti + k] * T[tj + k];
      inv[ti + jj] = s;
      inv[tj + i] = s;
    }
    for (let jj = j; jj <= i + 1; jj++) {
      const tj = jj * n;
      let s = 0;
      for (let k = i + 1; k < n; k++) s += T[th + k] * T[tj + k];
      inv[th + jj] = s;
      inv[tj + i + 1] = s;
    }
  }
  for (; i < n; i++) {
    const ti = i * n;
    for (let j = 0; j <= i; j++) {
      const tj = j * n;
      let s = 0;
      for (let k = i; k < n; k++) s += T[ti + k] * T[tj + k];
      inv[ti + j] = s;
      inv[tj + i] = s;
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
