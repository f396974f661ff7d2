import { Rng } from '#random';
import {
  choleskyInPlace,
  choleskyJitter,
  extendCholesky,
  inverseFromCholesky,
  solveLower,
  solveLowerRows,
  solveLowerTransposed,
  solveLowerTransposedByRows,
} from './dense.js';
import { referenceCholeskyInPlace, referenceInverseFromCholesky, referenceSolveLower, referenceSolveLowerTransposed } from './reference.js';

/** A Matérn-like SPD matrix of n random points in 3 dimensions with lengthscale `ls` and `nugget` on the diagonal. */
function spd(n: number, seed: number, ls = 0.3, nugget = 1e-6, duplicate = false): Float64Array {
  const rng = new Rng(seed);
  const X = Array.from({ length: n }, () => [rng.next(), rng.next(), rng.next()]);
  if (duplicate) X[n - 1] = X[n - 2];
  const A = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const r = Math.sqrt(X[i].reduce((s, v, k) => s + (v - X[j][k]) ** 2, 0)) / ls;
      A[i * n + j] = (1 + Math.sqrt(5) * r + (5 * r * r) / 3) * Math.exp(-Math.sqrt(5) * r) + (i === j ? nugget : 0);
    }
  }
  return A;
}

const sameBits = (a: Float64Array, b: Float64Array) => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
const SIZES = [1, 2, 3, 4, 5, 6, 7, 8, 9, 13, 32, 67, 130];

describe('blocked dense linear algebra against the plain loops', () => {
  it.each(SIZES)('the Cholesky factor, solves and inverse have the same bits at n = %i', (n) => {
    const A = spd(n, n);
    const ref = Float64Array.from(A);
    const blocked = Float64Array.from(A);
    expect(choleskyInPlace(blocked, n)).toBe(referenceCholeskyInPlace(ref, n));
    expect(sameBits(blocked, ref)).toBe(true);
    const rng = new Rng(100 + n);
    // 7 right-hand sides: a group of four, a pair and a single one.
    const B = Float64Array.from({ length: 7 * n }, () => rng.normal());
    const rows = solveLowerRows(blocked, n, B, 7);
    for (let p = 0; p < 7; p++) {
      const b = B.subarray(p * n, (p + 1) * n);
      const one = referenceSolveLower(ref, n, b);
      expect(sameBits(solveLower(blocked, n, b), one)).toBe(true);
      expect(sameBits(rows.subarray(p * n, (p + 1) * n), one)).toBe(true);
    }
    expect(sameBits(inverseFromCholesky(blocked, n), referenceInverseFromCholesky(ref, n))).toBe(true);
  });

  it('inverts an ill-conditioned matrix as well as the reference (long lengthscale, tiny nugget)', () => {
    const n = 60;
    const A = spd(n, 9, 3, 1e-9);
    const { L, jitter } = choleskyJitter(A, n, { initial: 1e-9, max: 1e-2 });
    const ref = Float64Array.from(A);
    for (let i = 0; i < n; i++) ref[i * n + i] += jitter;
    expect(referenceCholeskyInPlace(ref, n)).toBe(true);
    expect(sameBits(L, ref)).toBe(true);
    expect(sameBits(inverseFromCholesky(L, n), referenceInverseFromCholesky(ref, n))).toBe(true);
  });

  it('fails on the same indefinite matrices, and jitter rescues duplicated points as the reference does', () => {
    const A = spd(20, 4);
    A[5 * 20 + 5] = -1;
    expect(choleskyInPlace(Float64Array.from(A), 20)).toBe(false);
    const dup = spd(10, 5, 0.3, 0, true);
    const a = Float64Array.from(dup);
    const b = Float64Array.from(dup);
    expect(choleskyInPlace(a, 10)).toBe(referenceCholeskyInPlace(b, 10));
    const singular = Float64Array.from([1, 1, 1, 1, 1, 1, 1, 1, 1]);
    expect(choleskyInPlace(Float64Array.from(singular), 3)).toBe(false);
    const { L, jitter } = choleskyJitter(singular, 3);
    expect(jitter).toBeGreaterThan(0);
    for (let i = 0; i < 3; i++) singular[i * 3 + i] += jitter;
    expect(referenceCholeskyInPlace(singular, 3)).toBe(true);
    expect(sameBits(L, singular)).toBe(true);
  });

  it.each([
    [40, 1],
    [41, 7],
    [97, 12],
  ])('extends a factor of n = %i by %i rows to the factor of the whole matrix, bit for bit', (n, m) => {
    const N = n + m;
    const A = spd(N, 3 * N);
    const whole = Float64Array.from(A);
    expect(choleskyInPlace(whole, N)).toBe(true);
    const L = new Float64Array(n * n);
    for (let i = 0; i < n; i++) L.set(A.subarray(i * N, i * N + n), i * n);
    expect(choleskyInPlace(L, n)).toBe(true);
    const B = new Float64Array(m * n);
    const C = new Float64Array(m * m);
    for (let p = 0; p < m; p++) {
      B.set(A.subarray((n + p) * N, (n + p) * N + n), p * n);
      C.set(A.subarray((n + p) * N + n, (n + p + 1) * N), p * m);
    }
    const extended = extendCholesky(L, n, B, C, m);
    expect(extended).toBeDefined();
    expect(sameBits(extended as Float64Array, whole)).toBe(true);
  });

  it('refuses an extension whose new block is not positive definite', () => {
    const n = 10;
    const L = Float64Array.from(spd(n, 2));
    choleskyInPlace(L, n);
    // A new point with covariance 1 to every old point but variance 0: no SPD completion.
    expect(extendCholesky(L, n, new Float64Array(n).fill(1), Float64Array.of(0), 1)).toBeUndefined();
  });

  it.each(SIZES)('the back substitution by rows agrees with the reference to rounding at n = %i', (n) => {
    const L = spd(n, 50 + n);
    expect(choleskyInPlace(L, n)).toBe(true);
    const rng = new Rng(200 + n);
    const b = Float64Array.from({ length: n }, () => rng.normal());
    const ref = referenceSolveLowerTransposed(L, n, b);
    const byRows = solveLowerTransposedByRows(L, n, b);
    // The same solution; its sums run in the other order, so only to rounding (relative to the solution's size).
    const scale = ref.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    for (let i = 0; i < n; i++) expect(Math.abs(byRows[i] - ref[i])).toBeLessThanOrEqual(1e-9 * scale);
    expect(sameBits(solveLowerTransposed(L, n, b), ref)).toBe(true);
    // Lᵀ x reproduces b.
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let k = i; k < n; k++) s += L[k * n + i] * byRows[k];
      expect(Math.abs(s - b[i])).toBeLessThanOrEqual(1e-9 * (1 + Math.abs(b[i])));
    }
    // `b` is left as it was when a separate output is given.
    const copy = Float64Array.from(b);
    solveLowerTransposedByRows(L, n, b, new Float64Array(n));
    expect(sameBits(b, copy)).toBe(true);
  });
});
