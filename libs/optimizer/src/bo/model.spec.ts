import { Rng } from '#random';
import { ObjectiveModel } from './model.js';

describe('ObjectiveModel warp selection', () => {
  const rng = new Rng(5);
  const X = Array.from({ length: 24 }, () => [rng.next(), rng.next()]);

  it('keeps the raw outcomes for a plain smooth function', () => {
    const y = X.map((x) => Math.sin(3 * x[0]) + x[1]);
    const fit = new ObjectiveModel().fit(X, y);
    expect(fit.warp.kind).toBe('none');
    expect(Object.keys(fit.evidence).sort()).toEqual(['log(0.1)', 'log(0.3)', 'log(1)', 'none']);
  });

  it('picks the log warp for a bowl with a huge range of bad values (maximising -f)', () => {
    // Rosenbrock-like: f spans four orders of magnitude, the good values are a thin valley.
    const f = (x: number[]) => 100 * (10 * x[1] - (10 * x[0] - 5) ** 2 / 10) ** 2 + (1 - 10 * x[0]) ** 2;
    const fit = new ObjectiveModel().fit(
      X,
      X.map((x) => -f(x)),
    );
    expect(fit.warp.kind).toBe('log');
    expect(fit.evidence[fit.warp.label]).toBeGreaterThan(fit.evidence.none);
  });
});
