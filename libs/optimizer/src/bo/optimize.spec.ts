import { describe, expect, it } from '@jest/globals';
import { Rng } from '#random';
import { acquisitionFor } from '../acquisition/choice.js';
import { Space } from '../space.js';
import { GaussianProcess } from '../surrogates/gp.js';
import { Encoder } from './encoding.js';
import { maximizeAcquisition } from './optimize.js';

/** A GP on n points of a bumpy function in d dimensions, with fitted hyperparameters. */
function fitted(n: number, d: number, seed: number): { gp: GaussianProcess; best: number; X: number[][] } {
  const rng = new Rng(seed);
  const X = Array.from({ length: n }, () => Array.from({ length: d }, () => rng.next()));
  const y = X.map((x) => x.reduce((s, v, k) => s + Math.sin(3 * (k + 1) * v) * Math.cos(2 * v * v), 0));
  const gp = new GaussianProcess();
  gp.fit(X, y);
  return { gp, best: Math.max(...y), X };
}

describe('the acquisition search above 100 results', () => {
  const d = 4;
  const space = new Space(
    Array.from({ length: d }, (_, k) => ({ name: `x${k}`, type: 'continuous' as const, low: 0, high: 1, scale: 'linear' as const })),
  );
  const enc = new Encoder(space);
  const { gp, best, X } = fitted(160, d, 3);

  it('bounds the posterior variance from above and gives the same mean', () => {
    const rng = new Rng(9);
    const points = [...Array.from({ length: 200 }, () => Array.from({ length: d }, () => rng.next())), X[0], X[17]];
    const exact = gp.posterior(points);
    const bound = gp.posteriorBound(points);
    expect(bound).toBeDefined();
    for (let i = 0; i < points.length; i++) {
      expect(Object.is(bound?.mean[i], exact.mean[i])).toBe(true);
      expect(bound?.varianceBound[i]).toBeGreaterThanOrEqual(exact.variance[i]);
    }
  });

  it.each(['logEI', 'EI', 'UCB'] as const)(
    '%s: screening the candidates by the bound finds the same optimum as scoring them all',
    (kind) => {
      let scored = 0;
      const counting = {
        fit: () => undefined,
        posterior: (P: number[][]) => {
          scored += P.length;
          return gp.posterior(P);
        },
        posteriorBound: (P: number[][]) => gp.posteriorBound(P),
      };
      const all = maximizeAcquisition(acquisitionFor({ kind }, counting, best, new Rng(1)), enc, { seed: 4, starts: 0 });
      const allScored = scored;
      scored = 0;
      const screened = maximizeAcquisition(acquisitionFor({ kind }, counting, best, new Rng(1)), enc, { seed: 4, starts: 0, screen: true });
      expect(screened?.x).toEqual(all?.x);
      expect(Object.is(screened?.value, all?.value)).toBe(true);
      expect(scored).toBeLessThan(allScored / 4);
      // With local searches from the best candidates: the same starts, so the same result.
      const a = maximizeAcquisition(acquisitionFor({ kind }, gp, best, new Rng(1)), enc, { seed: 5, starts: 3, gradient: 'analytic' });
      const b = maximizeAcquisition(acquisitionFor({ kind }, gp, best, new Rng(1)), enc, {
        seed: 5,
        starts: 3,
        gradient: 'analytic',
        screen: true,
      });
      expect(b?.x).toEqual(a?.x);
      expect(b?.value).toBe(a?.value);
    },
  );

  it('reaches at least the optimum of the finite-difference search with the analytic gradient', () => {
    const acq = acquisitionFor({ kind: 'logEI' }, gp, best, new Rng(1));
    const differences = maximizeAcquisition(acq, enc, { seed: 6 });
    const analytic = maximizeAcquisition(acq, enc, { seed: 6, gradient: 'analytic' });
    expect(analytic?.value).toBeGreaterThanOrEqual((differences?.value as number) - 1e-6 * Math.abs(differences?.value as number));
  });
});
