import { DesignError } from './errors.js';

/**
 * Squared centered L2 discrepancy of points in [0,1]^d (F. J. Hickernell,
 * A generalized discrepancy and quadrature error bound, Math. Comp. 67, 1998),
 * the usual space-filling measure of a design: lower is more uniform.
 *
 *   CD^2 = (13/12)^d
 *        - 2/N   sum_i     prod_k (1 + |x_ik - 1/2| / 2 - |x_ik - 1/2|^2 / 2)
 *        + 1/N^2 sum_i,j   prod_k (1 + |x_ik - 1/2| / 2 + |x_jk - 1/2| / 2 - |x_ik - x_jk| / 2)
 *
 * O(N^2 d): meant for designs of up to a few thousand points.
 */
export function centeredL2Discrepancy(points: readonly (readonly number[])[]): number {
  const n = points.length;
  if (n === 0) throw new DesignError('invalid-argument', 'the discrepancy of an empty design is undefined');
  const d = points[0].length;
  for (const p of points) {
    if (p.length !== d) throw new DesignError('invalid-argument', `points of different dimensions (${d} and ${p.length})`);
  }
  // |x_ik - 1/2| once per coordinate; no Math calls in the O(N^2) loop (they are slow in sandboxed contexts).
  const centred = points.map((p) => p.map((x) => (x < 0.5 ? 0.5 - x : x - 0.5)));
  let single = 0;
  let pairs = 0;
  for (let i = 0; i < n; i++) {
    const x = points[i];
    const cx = centred[i];
    let prod = 1;
    for (let k = 0; k < d; k++) prod *= 1 + cx[k] / 2 - (cx[k] * cx[k]) / 2;
    single += prod;
    for (let j = 0; j < n; j++) {
      const y = points[j];
      const cy = centred[j];
      let q = 1;
      for (let k = 0; k < d; k++) {
        const diff = x[k] < y[k] ? y[k] - x[k] : x[k] - y[k];
        q *= 1 + (cx[k] + cy[k] - diff) / 2;
      }
      pairs += q;
    }
  }
  return (13 / 12) ** d - (2 / n) * single + pairs / (n * n);
}

/** The smallest Euclidean distance between two of the points (Infinity for fewer than two). */
export function minPairwiseDistance(points: readonly (readonly number[])[]): number {
  let best = Infinity;
  for (let i = 0; i < points.length; i++) {
    for (let j = i + 1; j < points.length; j++) {
      let s = 0;
      for (let k = 0; k < points[i].length; k++) {
        const t = points[i][k] - points[j][k];
        s += t * t;
      }
      if (s < best) best = s;
    }
  }
  return Math.sqrt(best);
}
