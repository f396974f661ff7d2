import { Rng } from '#random';
import { Space } from '../space.js';
import type { Posterior, Surrogate } from '../surrogates/surrogate.js';
import { Encoder } from './encoding.js';
import { paretoExploration } from './explore.js';

describe('paretoExploration', () => {
  it('only returns points that no other candidate beats in both mean and sd', () => {
    const enc = new Encoder(Space.parse([{ name: 'a', type: 'continuous', low: 0, high: 1 }]));
    // Mean and sd both rise with a: the largest a dominates every other candidate.
    const both: Surrogate = {
      fit() {},
      posterior(X: number[][]): Posterior {
        return { mean: Float64Array.from(X, (x) => x[0]), variance: Float64Array.from(X, (x) => x[0] + 1) };
      },
    };
    const x = paretoExploration(both, enc, new Rng(1), () => false, 64);
    expect(x).toBeDefined();
    expect(x?.[0]).toBeGreaterThan(0.98);
    expect(paretoExploration(both, enc, new Rng(1), () => true, 64)).toBeUndefined();
  });
});
