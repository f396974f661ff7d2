import { choleskyJitter, choleskySolve, inverseFromCholesky, logDetFromCholesky, NotPositiveDefiniteError, solveLower, solveLowerTransposed } from './dense.js';
import { minimizeLbfgs } from './lbfgs.js';

describe('dense Cholesky helpers', () => {
  // The textbook example: A = L Lᵀ with L = [[2,0,0],[6,1,0],[-8,5,3]].
  const A = Float64Array.from([4, 12, -16, 12, 37, -43, -16, -43, 98]);

  it('factorises a positive-definite matrix without jitter', () => {
    const { L, jitter } = choleskyJitter(A, 3);
    expect(jitter).toBe(0);
    expect(Array.from(L)).toEqual([2, 0, 0, 6, 1, 0, -8, 5, 3]);
  });

  it('solves triangular systems and A x = b', () => {
    const { L } = choleskyJitter(A, 3);
    expect(Array.from(solveLower(L, 3, [2, 7, 0]))).toEqual([1, 1, 1]); // [2, 6+1, -8+5+3]
    expect(Array.from(solveLowerTransposed(L, 3, [0, 6, 3]))).toEqual([1, 1, 1]); // Lᵀ·1 = [2+6-8, 1+5, 3]
    const x = choleskySolve(L, 3, [0, 6, 39]); // A·[1,1,1] = [0, 6, 39]
    x.forEach((v) => expect(v).toBeCloseTo(1, 10));
  });

  it('computes log det and the inverse', () => {
    const { L } = choleskyJitter(A, 3);
    expect(logDetFromCholesky(L, 3)).toBeCloseTo(2 * Math.log(6), 12);
    const inv = inverseFromCholesky(L, 3);
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) {
        let s = 0;
        for (let k = 0; k < 3; k++) s += A[i * 3 + k] * inv[k * 3 + j];
        expect(s).toBeCloseTo(i === j ? 1 : 0, 9);
      }
    }
  });

  it('adds jitter for duplicated points and gives up on indefinite matrices', () => {
    const dup = Float64Array.from([1, 1, 1, 1]);
    const { jitter } = choleskyJitter(dup, 2);
    expect(jitter).toBeGreaterThan(0);
    expect(jitter).toBeLessThan(1e-6);
    expect(() => choleskyJitter(Float64Array.from([1, 2, 2, 1]), 2)).toThrow(NotPositiveDefiniteError);
  });
});

describe('minimizeLbfgs', () => {
  it('finds the minimum of the Rosenbrock function', () => {
    const res = minimizeLbfgs((x, g) => {
      const a = 1 - x[0];
      const b = x[1] - x[0] * x[0];
      g[0] = -2 * a - 400 * x[0] * b;
      g[1] = 200 * b;
      return a * a + 100 * b * b;
    }, [-1.2, 1], { maxIterations: 500, gradientTolerance: 1e-9, functionTolerance: 0 });
    expect(res.x[0]).toBeCloseTo(1, 5);
    expect(res.x[1]).toBeCloseTo(1, 5);
  });

  it('respects box bounds (minimum of (x-2)² + (y+1)² on [0,1]²is at (1, 0))', () => {
    const res = minimizeLbfgs((x, g) => {
      g[0] = 2 * (x[0] - 2);
      g[1] = 2 * (x[1] + 1);
      return (x[0] - 2) ** 2 + (x[1] + 1) ** 2;
    }, [0.5, 0.5], { lower: [0, 0], upper: [1, 1] });
    expect(Array.from(res.x)).toEqual([1, 0]);
    expect(res.value).toBeCloseTo(2, 12);
  });
});
