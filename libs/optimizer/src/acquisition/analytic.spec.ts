import { Rng } from '#random';
import type { Posterior, Surrogate } from '../surrogates/surrogate.js';
import {
  EI,
  expectedImprovement,
  expectedImprovementPartials,
  logEI,
  logExpectedImprovement,
  logExpectedImprovementPartials,
  logProbabilityOfImprovement,
  probabilityOfImprovement,
  sumOf,
  UCB,
  upperConfidenceBound,
} from './analytic.js';
import { dLogH, erfcx, logH, logNormalCdf, normalCdf } from '../stats/normal.js';
import { thompsonSelect } from './thompson.js';

describe('normal helpers', () => {
  it('match tabulated values', () => {
    expect(normalCdf(0)).toBe(0.5);
    expect(normalCdf(1.959963984540054)).toBeCloseTo(0.975, 14);
    expect(erfcx(0)).toBe(1);
    expect(erfcx(1)).toBeCloseTo(0.427583576155807, 14);
    expect(erfcx(2)).toBeCloseTo(0.25539567631050575, 14);
    expect(erfcx(10)).toBeCloseTo(0.05614099274382259, 14);
    // Φ(-10) = 7.6198530241604696e-24
    expect(logNormalCdf(-10)).toBeCloseTo(Math.log(7.6198530241604696e-24), 10);
  });
});

describe('expected improvement', () => {
  it('is 1/√(2π) at the incumbent with sd 1', () => {
    expect(expectedImprovement(0, 1, 0)).toBeCloseTo(1 / Math.sqrt(2 * Math.PI), 15);
    expect(expectedImprovement(3, 2, 3)).toBeCloseTo(2 / Math.sqrt(2 * Math.PI), 15);
  });

  it('matches the closed form away from the incumbent', () => {
    // z = 1: φ(1) + Φ(1) = 0.24197072451914337 + 0.8413447460685429
    expect(expectedImprovement(1, 1, 0)).toBeCloseTo(0.24197072451914337 + 0.8413447460685429, 14);
    // no uncertainty: the improvement itself
    expect(expectedImprovement(2, 0, 0.5)).toBe(1.5);
    expect(expectedImprovement(0, 0, 0.5)).toBe(0);
  });

  it('has a log that matches log(EI) where EI is representable', () => {
    for (const z of [3, 1, 0, -0.5, -1, -2, -5, -10, -20]) {
      const ei = expectedImprovement(z * 0.7, 0.7, 0);
      expect(logExpectedImprovement(z * 0.7, 0.7, 0)).toBeCloseTo(Math.log(ei), 9);
    }
  });

  it('stays finite and monotone where EI underflows', () => {
    expect(expectedImprovement(-40, 1, 0)).toBe(0);
    let prev = Infinity;
    for (const z of [-30, -40, -100, -1e4, -1e9]) {
      const v = logExpectedImprovement(z, 1, 0);
      expect(Number.isFinite(v)).toBe(true);
      expect(v).toBeLessThan(prev);
      prev = v;
    }
    // h(z) ~ φ(z)/z² far in the tail
    const z = -1e4;
    expect(logH(z)).toBeCloseTo(-0.5 * z * z - 0.5 * Math.log(2 * Math.PI) - 2 * Math.log(-z), 6);
  });
});

describe('derivatives of EI and log EI', () => {
  it('d log h / dz matches central differences of log h across the tails and its asymptote far below', () => {
    for (const z of [3, 0.5, 0, -0.99, -1, -1.01, -3, -10, -40, -300, -999, -1001, -5e3]) {
      const e = 1e-6 * Math.max(1, Math.abs(z));
      const fd = (logH(z + e) - logH(z - e)) / (2 * e);
      expect(Math.abs(dLogH(z) - fd)).toBeLessThan(1e-6 * Math.max(1, Math.abs(fd)));
    }
    // Continuous where the formulas change.
    expect(dLogH(-1 - 1e-12)).toBeCloseTo(dLogH(-1 + 1e-12), 9);
    expect(Math.abs(dLogH(-1e3 - 1e-9) / dLogH(-1e3 + 1e-9) - 1)).toBeLessThan(1e-9);
  });

  it.each([
    [0.3, 0.7, 0],
    [-2, 0.1, 0],
    [1, 2, 0.5],
    [-30, 0.5, 0],
  ])('∂/∂mean and ∂/∂sd of EI and log EI at mean %d, sd %d, best %d match central differences', (m, sd, best) => {
    const out = new Float64Array(2);
    const e = 1e-6;
    for (const [f, partials] of [
      [logExpectedImprovement, logExpectedImprovementPartials],
      [expectedImprovement, expectedImprovementPartials],
    ] as const) {
      partials(m, sd, best, out);
      const dm = (f(m + e, sd, best) - f(m - e, sd, best)) / (2 * e);
      const ds = (f(m, sd + e, best) - f(m, sd - e, best)) / (2 * e);
      expect(Math.abs(out[0] - dm)).toBeLessThan(1e-6 * Math.max(1, Math.abs(dm)));
      expect(Math.abs(out[1] - ds)).toBeLessThan(1e-6 * Math.max(1, Math.abs(ds)));
    }
  });
});

describe('UCB and PI', () => {
  it('match their closed forms', () => {
    expect(upperConfidenceBound(1, 2, 1.5)).toBe(4);
    expect(probabilityOfImprovement(0, 1, 0)).toBe(0.5);
    expect(probabilityOfImprovement(1, 1, 0)).toBeCloseTo(0.8413447460685429, 14);
    expect(logProbabilityOfImprovement(-10, 1, 0)).toBeCloseTo(Math.log(7.6198530241604696e-24), 10);
  });
});

/** A model with a fixed posterior, to test acquisitions through the Surrogate interface. */
class TableModel implements Surrogate {
  constructor(
    private readonly m: (x: number[]) => number,
    private readonly v: (x: number[]) => number,
  ) {}
  fit(): void {}
  posterior(X: number[][]): Posterior {
    return { mean: Float64Array.from(X, this.m), variance: Float64Array.from(X, this.v) };
  }
}

describe('acquisition objects', () => {
  const model = new TableModel(
    (x) => x[0],
    () => 4,
  );

  it('evaluate through the posterior only', () => {
    const X = [[0], [1], [-3]];
    const ei = EI(model, 0).evaluate(X);
    const lei = logEI(model, 0).evaluate(X);
    X.forEach((x, i) => {
      expect(ei[i]).toBeCloseTo(expectedImprovement(x[0], 2, 0), 15);
      expect(lei[i]).toBeCloseTo(Math.log(ei[i]), 12);
    });
    expect(Array.from(UCB(model, 2).evaluate(X))).toEqual([4, 5, 1]);
    const sum = sumOf('twice', [logEI(model, 0), logEI(model, 0)]).evaluate(X);
    expect(sum[1]).toBeCloseTo(2 * lei[1], 14);
  });

  it('Thompson sampling picks distinct candidates, mostly the clearly best one', () => {
    const sharp = new TableModel(
      (x) => x[0],
      () => 1e-4,
    );
    const picks = thompsonSelect(sharp, [[0], [5], [1]], 2, new Rng(1));
    expect(picks).toEqual([1, 2]);
  });
});
