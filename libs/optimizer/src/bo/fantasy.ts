/**
 * Pending points by fantasies (the sample-average treatment of pending points
 * in BoTorch's qLogEI): draw K joint posterior samples of f at the pending
 * points, condition the GP on each (hyperparameters fixed), and average the
 * expected improvement over the K fantasy models, each measured against the
 * best of the data and of its own fantasised values. The Kriging believer is
 * the special case of one "sample" at the posterior mean: it claims each
 * pending point will land on its mean, so a pending point that may well
 * improve on the incumbent still leaves the region around it looking good.
 */
import { type Acquisition, logExpectedImprovement } from '../acquisition/analytic.js';
import { choleskyJitter } from '../linalg/dense.js';
import type { Rng } from '#random';
import type { GaussianProcess } from '../surrogates/gp.js';

/** log of the mean over K fantasy models of EI (a log-sum-exp of their logEI). */
export function fantasyLogEI(gp: GaussianProcess, pending: number[][], best: number, samples: number, rng: Rng): Acquisition {
  const m = pending.length;
  const { mean, covariance } = gp.jointPosterior(pending);
  const { L } = choleskyJitter(covariance, m, { initial: 1e-10, max: 1e-1 });
  const models: { gp: GaussianProcess; best: number }[] = [];
  const z = new Float64Array(m);
  for (let k = 0; k < samples; k++) {
    for (let i = 0; i < m; i++) z[i] = rng.normal();
    const f = Array.from(mean, (mu, i) => {
      let v = mu;
      for (let j = 0; j <= i; j++) v += L[i * m + j] * z[j];
      return v;
    });
    models.push({ gp: gp.conditioned(pending, f), best: Math.max(best, ...f) });
  }
  return {
    name: `logEI(${samples} fantasies)`,
    evaluate(X: number[][]): Float64Array {
      const out = new Float64Array(X.length).fill(-Infinity);
      const logs = models.map(({ gp: g, best: b }) => {
        const post = g.posterior(X);
        return Float64Array.from(post.mean, (mu, i) => logExpectedImprovement(mu, Math.sqrt(Math.max(post.variance[i], 0)), b));
      });
      for (let i = 0; i < X.length; i++) {
        let top = -Infinity;
        for (const l of logs) top = Math.max(top, l[i]);
        if (!Number.isFinite(top)) continue;
        let s = 0;
        for (const l of logs) s += Math.exp(l[i] - top);
        out[i] = top + Math.log(s / logs.length);
      }
      return out;
    },
  };
}
