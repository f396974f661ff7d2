import { describe, expect, it } from '@jest/globals';
import { Rng } from '#random';
import { ExtraTrees } from './extra-trees.js';

describe('ExtraTrees', () => {
  it('gives the leaf mean and the law-of-total-variance variance computed by hand', () => {
    // Two groups that any split separates; with leaves of at least 3, every tree has the same two leaves.
    const X = [[0], [0], [0], [1], [1], [1]];
    const y = [1, 2, 3, 10, 11, 12];
    const model = new ExtraTrees({ trees: 8, minSamplesLeaf: 3, seed: 1 });
    model.fit(X, y);
    const { mean, variance } = model.posterior([[0], [1]]);
    expect(mean[0]).toBeCloseTo(2, 10);
    expect(mean[1]).toBeCloseTo(11, 10);
    // Within-leaf sample variance of {1,2,3} is 1; the trees agree, so the between-tree part is 0.
    expect(variance[0]).toBeCloseTo(1, 10);
    expect(variance[1]).toBeCloseTo(1, 10);
  });

  it('adds the disagreement between trees to the variance', () => {
    // Points spread on a line: trees cut at different places, so between-tree variance appears away from the data.
    const X = Array.from({ length: 40 }, (_, i) => [i / 39]);
    const y = X.map(([x]) => (x < 0.5 ? 0 : 1));
    const model = new ExtraTrees({ trees: 64, minSamplesLeaf: 2, seed: 3 });
    model.fit(X, y);
    const { variance } = model.posterior([[0.05], [0.5]]);
    expect(variance[1]).toBeGreaterThan(variance[0]);
  });

  it('learns a smooth function well enough to rank points', () => {
    const rng = new Rng(7);
    const f = (x: number[]) => Math.sin(3 * x[0]) + (x[1] - 0.5) ** 2;
    const X = Array.from({ length: 400 }, () => [rng.next(), rng.next()]);
    const model = new ExtraTrees({ seed: 1 });
    model.fit(X, X.map(f));
    const test = Array.from({ length: 200 }, () => [rng.next(), rng.next()]);
    const { mean } = model.posterior(test);
    let se = 0;
    let sv = 0;
    const truth = test.map(f);
    const avg = truth.reduce((a, b) => a + b, 0) / truth.length;
    truth.forEach((t, i) => {
      se += (mean[i] - t) ** 2;
      sv += (t - avg) ** 2;
    });
    expect(1 - se / sv).toBeGreaterThan(0.9);
  });

  it('refuses mismatched inputs with a clear error', () => {
    const model = new ExtraTrees();
    expect(() => model.fit([[0], [1]], [1])).toThrow(/as many outcomes as points/);
    expect(() => model.posterior([[0]])).toThrow(/fit before/);
  });
});
