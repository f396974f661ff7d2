import type { Acquisition } from '../acquisition/analytic.js';
import { Space } from '../space.js';
import type { Posterior, Surrogate } from '../surrogates/surrogate.js';
import { Encoder } from './encoding.js';
import { lipschitzEstimate, locallyPenalised } from './penalisation.js';

const flat: Acquisition = { name: 'zero', evaluate: (X) => new Float64Array(X.length) };

describe('local penalisation', () => {
  it('halves the acquisition at a centre whose mean is the best value', () => {
    const acq = locallyPenalised(flat, [{ x: [0.5, 0.5], mean: 1, sd: 0.2 }], 4, 1);
    const v = acq.evaluate([[0.5, 0.5], [0.5, 0.6], [0.9, 0.9]]);
    expect(v[0]).toBeCloseTo(Math.log(0.5), 12);
    // z = (L d - M + μ) / σ = (4 · 0.1) / 0.2 = 2: log Φ(2) = log 0.9772498680518208
    expect(v[1]).toBeCloseTo(Math.log(0.9772498680518208), 12);
    expect(v[2]).toBeGreaterThan(v[1]);
  });

  it('estimates the Lipschitz constant of a linear mean as its slope', () => {
    const enc = new Encoder(Space.parse([
      { name: 'a', type: 'continuous', low: 0, high: 1 },
      { name: 'b', type: 'continuous', low: 0, high: 1 },
    ]));
    const linear: Surrogate = {
      fit() {},
      posterior(X: number[][]): Posterior {
        return { mean: Float64Array.from(X, (x) => 3 * x[0] + 4 * x[1]), variance: new Float64Array(X.length) };
      },
    };
    expect(lipschitzEstimate(linear, enc, [], 1, 16)).toBeCloseTo(5, 5);
  });
});
