import { describe, expect, it } from '@jest/globals';
import { Rng } from '#random';
import { Space } from '../space.js';
import type { Observation } from '../strategy-interface.js';
import { ExtraTrees } from '../surrogates/extra-trees.js';
import type { Posterior, Surrogate } from '../surrogates/surrogate.js';
import { CandidateStrategy } from './tree-ensemble-strategy.js';
import { Encoder } from './encoding.js';

/** A model that, like TensorFlow.js on WebGPU, can only read its posterior asynchronously. */
class AsyncOnly implements Surrogate {
  readonly inner = new ExtraTrees({ seed: 1 });
  asyncReads = 0;
  fit(X: number[][], y: number[]): void {
    this.inner.fit(X, y);
  }
  posterior(): Posterior {
    throw new Error('this model reads its posterior asynchronously only');
  }
  async posteriorAsync(X: number[][]): Promise<Posterior> {
    this.asyncReads++;
    await new Promise((resolve) => setImmediate(resolve));
    return this.inner.posterior(X);
  }
}

describe('CandidateStrategy', () => {
  it('scores its candidates through posteriorAsync where the model has it, in one read, and reports that posterior', async () => {
    const space = Space.parse([
      { name: 'x', type: 'continuous', low: 0, high: 1 },
      { name: 'y', type: 'continuous', low: 0, high: 1 },
    ]);
    const rng = new Rng(4);
    const observations: Observation[] = Array.from({ length: 30 }, () => {
      const params = { x: rng.next(), y: rng.next() };
      return { params, value: (params.x - 0.3) ** 2 + (params.y - 0.7) ** 2 };
    });
    const model = new AsyncOnly();
    const strategy = new CandidateStrategy({}, { name: 'test/async-only', settings: {}, create: () => model });
    const proposals = await strategy.ask({ space, direction: 'minimize', observations, pending: [], n: 3, seed: 2 });

    expect(proposals).toHaveLength(3);
    expect(model.asyncReads).toBe(1);
    const enc = new Encoder(space, {});
    for (const p of proposals) {
      // The model was fitted on -y (the strategy maximises): the prediction is back in the objective's units.
      const post = model.inner.posterior([enc.encode(p.params)]);
      expect(p.prediction?.mean).toBeCloseTo(-post.mean[0], 12);
      expect(p.prediction?.sd).toBeCloseTo(Math.sqrt(post.variance[0]), 12);
    }
    // The search still heads for the minimum at (0.3, 0.7).
    const best = proposals[0].params as { x: number; y: number };
    expect(Math.hypot(best.x - 0.3, best.y - 0.7)).toBeLessThan(0.3);
  });
});
