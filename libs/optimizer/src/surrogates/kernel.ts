/**
 * Stationary ARD kernels k(x, x') = s2 · κ(r), r² = Σ_k (x_k - x'_k)² / l_k²:
 * Matérn-5/2 κ(r) = (1 + √5 r + 5 r²/3) exp(-√5 r) (the default) and the
 * squared exponential κ(r) = exp(-r²/2).
 */
const SQRT5 = Math.sqrt(5);

export type KernelKind = 'matern52' | 'rbf';

export interface KernelShape {
  readonly kind: KernelKind;
  /** κ(r), the correlation at scaled distance r. */
  value(r: number): number;
  /**
   * -(1/r) dκ/dr; times d_k²/l_k² it is dκ/d(log l_k), the derivative with
   * respect to one log-lengthscale.
   */
  lengthscaleFactor(r: number): number;
}

/** κ(r) of Matérn-5/2. */
export function matern52(r: number): number {
  const a = SQRT5 * r;
  return (1 + a + (a * a) / 3) * Math.exp(-a);
}

export const MATERN52: KernelShape = {
  kind: 'matern52',
  value: matern52,
  // dκ/dr = -(5/3) r (1 + √5 r) exp(-√5 r)
  lengthscaleFactor: (r) => (5 / 3) * (1 + SQRT5 * r) * Math.exp(-SQRT5 * r),
};

export const RBF: KernelShape = {
  kind: 'rbf',
  value: (r) => Math.exp(-0.5 * r * r),
  lengthscaleFactor: (r) => Math.exp(-0.5 * r * r),
};

export function kernelShape(kind: KernelKind): KernelShape {
  return kind === 'rbf' ? RBF : MATERN52;
}

/** Scaled distance r between a and b given inverse squared lengthscales. */
export function scaledDistance(a: ArrayLike<number>, b: ArrayLike<number>, invL2: ArrayLike<number>): number {
  let s = 0;
  for (let k = 0; k < invL2.length; k++) {
    const d = a[k] - b[k];
    s += d * d * invL2[k];
  }
  return Math.sqrt(s);
}

/** Cross-covariance matrix (row-major, rows of A by rows of B). */
export function crossCovariance(
  A: readonly ArrayLike<number>[],
  B: readonly ArrayLike<number>[],
  invL2: ArrayLike<number>,
  outputscale: number,
  shape: KernelShape = MATERN52,
): Float64Array {
  const out = new Float64Array(A.length * B.length);
  for (let i = 0; i < A.length; i++) {
    for (let j = 0; j < B.length; j++) out[i * B.length + j] = outputscale * shape.value(scaledDistance(A[i], B[j], invL2));
  }
  return out;
}
