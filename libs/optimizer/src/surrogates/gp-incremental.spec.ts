import { Rng } from '#random';
import { GaussianProcess } from './gp.js';

/** n points in [0, 1]^4 of a smooth function with a little noise. */
function data(n: number, seed = 1): { X: number[][]; y: number[] } {
  const rng = new Rng(seed);
  const X = Array.from({ length: n }, () => Array.from({ length: 4 }, () => rng.next()));
  const y = X.map((x) => Math.sin(3 * x[0]) + (x[1] - 0.4) ** 2 * 2 + 0.5 * x[2] * x[3] + 0.01 * rng.normal());
  return { X, y };
}

describe('GaussianProcess above 100 points: warm refits and factor extension', () => {
  const { X, y } = data(170);

  it('keeps the hyperparameters and extends the factor when a few points are added', () => {
    const gp = new GaussianProcess();
    gp.fit(X.slice(0, 150), y.slice(0, 150));
    const before = gp.hyperparameters;
    gp.fit(X.slice(0, 153), y.slice(0, 153));
    expect(gp.hyperparameters).toEqual(before);
    expect(gp.trainingSize).toBe(153);
    expect(Number.isFinite(gp.logEvidence)).toBe(true);
    // The extended model is the GP with those hyperparameters on all 153 points: the same posterior as one fitted with them fixed.
    const fixed = new GaussianProcess({ fixed: before });
    fixed.fit(X.slice(0, 153), y.slice(0, 153));
    const probe = [...X.slice(150, 153), [0.5, 0.5, 0.5, 0.5]];
    const a = gp.posterior(probe);
    const b = fixed.posterior(probe);
    for (let i = 0; i < probe.length; i++) {
      // Same model up to the outcome standardisation, which the extension keeps from the last fit.
      expect(a.mean[i]).toBeCloseTo(b.mean[i], 2);
      expect(Math.sqrt(a.variance[i])).toBeCloseTo(Math.sqrt(b.variance[i]), 2);
    }
  });

  it('a warm refit reaches a log evidence within tolerance of a cold fit on all the data', () => {
    const gp = new GaussianProcess();
    gp.fit(X.slice(0, 150), y.slice(0, 150));
    gp.fit(X.slice(0, 165), y.slice(0, 165)); // 10 % more: a warm refit
    const cold = new GaussianProcess({ incremental: false });
    cold.fit(X.slice(0, 165), y.slice(0, 165));
    expect(gp.hyperparameters).not.toEqual(cold.hyperparameters);
    expect(gp.logEvidence).toBeGreaterThan(cold.logEvidence - 0.02 * 165);
  });

  it('a cold fit (on a subsample, then all the data) is within tolerance of the fit on all the data', () => {
    const sub = new GaussianProcess();
    sub.fit(X, y);
    const full = new GaussianProcess({ incremental: false });
    full.fit(X, y);
    expect(sub.logEvidence).toBeGreaterThan(full.logEvidence - 0.02 * X.length);
  });

  it('fits afresh when the data are not the earlier data plus new points', () => {
    const gp = new GaussianProcess();
    gp.fit(X.slice(0, 150), y.slice(0, 150));
    const before = gp.hyperparameters;
    const other = data(152, 2);
    gp.fit(other.X, other.y);
    expect(gp.hyperparameters).not.toEqual(before);
    const again = new GaussianProcess();
    again.fit(other.X, other.y);
    expect(gp.logEvidence).toBeGreaterThan(again.logEvidence - 0.02 * 152);
  });
});
