import { logEI } from '../acquisition/analytic.js';
import { Rng } from '#random';
import { GaussianProcess } from '../surrogates/gp.js';
import { fantasyLogEI } from './fantasy.js';

describe('fantasyLogEI', () => {
  const gp = new GaussianProcess({ fixed: { lengthscales: [0.1], outputscale: 1, noise: 1e-6, mean: 0 } });
  gp.fit([[0.1], [0.5], [0.9]], [-1, 1, 0]);
  const best = 1;

  it('lowers EI at and near a pending point and leaves it alone far away', () => {
    // x = 0.3 lies between the data; its fantasies seldom beat the best (1),
    // so a point 4.5 lengthscales away keeps about its plain EI.
    const pending = [[0.3]];
    const fantasy = fantasyLogEI(gp, pending, best, 16, new Rng(5));
    const plain = logEI(gp, best);
    const [atPending, far] = fantasy.evaluate([[0.3], [0.75]]);
    const [plainAt, plainFar] = plain.evaluate([[0.3], [0.75]]);
    expect(atPending).toBeLessThan(plainAt - 2);
    // (a fantasy above the best raises that model's incumbent, so not exactly)
    expect(Math.abs(far - plainFar)).toBeLessThan(0.2);
  });

  it('is reproducible by seed', () => {
    const a = fantasyLogEI(gp, [[0.3], [0.7]], best, 4, new Rng(9)).evaluate([[0.2], [0.6]]);
    const b = fantasyLogEI(gp, [[0.3], [0.7]], best, 4, new Rng(9)).evaluate([[0.2], [0.6]]);
    expect(Array.from(a)).toEqual(Array.from(b));
  });
});
