/**
 * Outcome warping for maximisation: w = -log(best - y + δ), a monotone map
 * that spreads out the values near the incumbent and compresses the far
 * worse ones (a heavy tail of bad values otherwise dominates the
 * standardisation). δ is a fraction of the median gap below the best, so the
 * map is scale-free. The identity warp leaves values alone.
 */
export interface OutcomeWarp {
  readonly kind: 'none' | 'log';
  /** Names the warp and its setting, e.g. "log(0.1)". */
  readonly label: string;
  forward(y: number): number;
  inverse(w: number): number;
  /** log |dw/dy|, the Jacobian term that makes likelihoods of warped data comparable. */
  logDerivative(y: number): number;
}

export const IDENTITY_WARP: OutcomeWarp = { kind: 'none', label: 'none', forward: (y) => y, inverse: (w) => w, logDerivative: () => 0 };

export function logWarp(y: readonly number[], fraction = 0.1): OutcomeWarp {
  const best = Math.max(...y);
  const gaps = y.map((v) => best - v).sort((a, b) => a - b);
  const median = gaps[Math.floor(gaps.length / 2)];
  const scale = median > 0 ? median : Math.max(...gaps) > 0 ? Math.max(...gaps) : 1;
  const delta = fraction * scale;
  return {
    kind: 'log',
    label: `log(${fraction})`,
    forward: (v) => -Math.log(Math.max(best - v, 0) + delta),
    inverse: (w) => best + delta - Math.exp(-w),
    logDerivative: (v) => -Math.log(Math.max(best - v, 0) + delta),
  };
}
