import { Rng } from '#random';
import { GaussianProcess } from '../surrogates/gp.js';
import { baselinePoints, monteCarloEhvi, quasiNormals } from './ehvi.js';
import { chebyshevScalarise, simplexWeights } from './parego.js';

/** A GP whose posterior is known: fixed hyperparameters, a tiny noise, data far from the query points. */
function fixedGp(X: number[][], y: number[], outputscale = 1): GaussianProcess {
  const gp = new GaussianProcess({ fixed: { lengthscales: [0.2], outputscale, noise: 1e-6, mean: 0 } });
  gp.fit(X, y);
  return gp;
}

describe('quasi-random normal base samples', () => {
  it('have mean 0 and variance 1 and are the same for the same seed', () => {
    const z = quasiNormals(1024, 3, 5);
    for (let k = 0; k < 3; k++) {
      const col = z.map((r) => r[k]);
      const mean = col.reduce((a, b) => a + b, 0) / col.length;
      const variance = col.reduce((a, b) => a + (b - mean) ** 2, 0) / col.length;
      expect(Math.abs(mean)).toBeLessThan(0.02);
      expect(variance).toBeCloseTo(1, 1);
    }
    expect(quasiNormals(8, 3, 5)).toEqual(quasiNormals(8, 3, 5));
  });
});

describe('Monte Carlo expected hypervolume improvement', () => {
  // Two objectives; one training point at 0 for each GP, with values that make the mean there known.
  const X = [[0]];

  it('is the hypervolume improvement of the mean where the posterior is certain', () => {
    // At the training point the posterior is (almost) certain: f = (2, 2); front {(3,1),(1,3)}, ref (0,0) -> improvement 1.
    const models = [fixedGp(X, [2]), fixedGp(X, [2])];
    const acq = monteCarloEhvi({
      models,
      front: [
        [3, 1],
        [1, 3],
      ],
      ref: [0, 0],
      pending: [],
      samples: 64,
      seed: 1,
    });
    expect(Math.exp(acq.evaluate([[0]])[0])).toBeCloseTo(1, 3);
  });

  it('matches the closed form of one objective: E[max(f - best, 0)]', () => {
    // Far from the data the posterior is the prior N(0, 1) in each objective; with the second
    // objective far above its reference and the front at (0.5, ·), the improvement is (f0 - 0.5)+ x (height).
    const models = [fixedGp(X, [0]), fixedGp(X, [0])];
    const acq = monteCarloEhvi({ models, front: [[0.5, 10]], ref: [-50, -10], pending: [], samples: 1024, seed: 3 });
    // f1 stays below 10 (and both above the reference point): the improvement is (f0 - 0.5)+ (f1 + 10),
    // whose expectation is E[(Z - 0.5)+] x 10 = (φ(0.5) - 0.5 (1 - Φ(0.5))) x 10.
    const ei = 0.3520653267642995 - 0.5 * (1 - 0.6914624612740131);
    expect(Math.exp(acq.evaluate([[5]])[0]) / (10 * ei)).toBeCloseTo(1, 1);
  });

  it('multiplies by the weight and gives less where a pending point will likely bring the same', () => {
    const models = [fixedGp(X, [0]), fixedGp(X, [0])];
    const base = { models, front: [[0.5, 0.5]], ref: [-3, -3], samples: 256, seed: 2 };
    const alone = Math.exp(monteCarloEhvi({ ...base, pending: [] }).evaluate([[5]])[0]);
    const halved = Math.exp(
      monteCarloEhvi({ ...base, pending: [], logWeight: (P) => new Float64Array(P.length).fill(Math.log(0.5)) }).evaluate([[5]])[0],
    );
    expect(halved).toBeCloseTo(alone / 2, 10);
    // A pending point at the candidate itself: the joint sample says the candidate brings nothing new.
    const same = Math.exp(monteCarloEhvi({ ...base, pending: [[5]] }).evaluate([[5]])[0]);
    expect(same).toBeLessThan(1e-3 * alone);
    // A pending point far away (independent): the candidate keeps much of its value, less than alone.
    const far = Math.exp(monteCarloEhvi({ ...base, pending: [[9]] }).evaluate([[5]])[0]);
    expect(far).toBeLessThan(alone);
    expect(far).toBeGreaterThan(0.3 * alone);
  });

  it('counts a pending point in the front only in the samples where it meets the limits', () => {
    const models = [fixedGp(X, [0]), fixedGp(X, [0])];
    const base = { models, front: [[0.5, 0.5]], ref: [-3, -3], samples: 256, seed: 2 };
    const alone = Math.exp(monteCarloEhvi({ ...base, pending: [] }).evaluate([[5]])[0]);
    // Without limits, a pending point beside the candidate (correlated with it) lowers EHVI.
    const unlimited = Math.exp(monteCarloEhvi({ ...base, pending: [[5.1]] }).evaluate([[5]])[0]);
    expect(unlimited).toBeLessThan(0.9 * alone);
    // A limited outcome known almost exactly: 20 at the pending point, 0 at the candidate.
    const limited = new GaussianProcess({ fixed: { lengthscales: [0.01], outputscale: 100, noise: 1e-8, mean: 0 } });
    limited.fit([[5.1], [5]], [20, 0]);
    // Certain to meet "<= 30" (both points): the pending point changes EHVI exactly as without limits.
    const feasible = monteCarloEhvi({ ...base, pending: [[5.1]], limits: [{ model: limited, op: '<=', value: 30 }] });
    expect(Math.exp(feasible.evaluate([[5]])[0])).toBeCloseTo(unlimited, 10);
    // Certain to break "<= 10" while the candidate meets it: the pending point leaves EHVI as it is alone
    // (up to the Monte Carlo error of other base samples).
    const infeasible = monteCarloEhvi({ ...base, pending: [[5.1]], limits: [{ model: limited, op: '<=', value: 10 }] });
    expect(Math.abs(Math.exp(infeasible.evaluate([[5]])[0]) / alone - 1)).toBeLessThan(0.02);
    // A candidate certain to break a limit is worth (almost) nothing.
    const hopeless = monteCarloEhvi({ ...base, pending: [], limits: [{ model: limited, op: '>=', value: 10 }] });
    expect(hopeless.evaluate([[5]])[0]).toBeLessThan(Math.log(1e-100));
  });

  it('gives nothing to a candidate that repeats a pending point whatever its probability of meeting the limits', () => {
    const models = [fixedGp(X, [0]), fixedGp(X, [0])];
    const base = { models, front: [[0.5, 0.5]], ref: [-3, -3], samples: 256, seed: 2 };
    // A limited outcome ~N(0, 1) far from the data; the limit <= -0.35 is met with probability ~0.36.
    const limits = [{ model: fixedGp(X, [0]), op: '<=' as const, value: -0.35 }];
    const alone = Math.exp(monteCarloEhvi({ ...base, pending: [], limits }).evaluate([[5]])[0]);
    const repeat = Math.exp(monteCarloEhvi({ ...base, pending: [[5]], limits }).evaluate([[5]])[0]);
    expect(repeat).toBeLessThan(1e-3 * alone);
    // Independent of the pending point (far away), the candidate keeps most of its value.
    const far = Math.exp(monteCarloEhvi({ ...base, pending: [[9]], limits }).evaluate([[5]])[0]);
    expect(far).toBeGreaterThan(0.5 * alone);
  });

  it('counts a pending point that may fail in the share of samples given by its probability of success', () => {
    const models = [fixedGp(X, [0]), fixedGp(X, [0])];
    const base = { models, front: [[0.5, 0.5]], ref: [-3, -3], samples: 256, seed: 2 };
    const alone = Math.exp(monteCarloEhvi({ ...base, pending: [] }).evaluate([[5]])[0]);
    const value = (pendingSuccess?: number[]) => Math.exp(monteCarloEhvi({ ...base, pending: [[5]], pendingSuccess }).evaluate([[5]])[0]);
    expect(value([1])).toBeCloseTo(value(undefined), 12);
    // Certain to fail: the candidate at the same place keeps its value (its own failure is its weight's business).
    expect(Math.abs(value([0]) / alone - 1)).toBeLessThan(0.02);
    // Half the time: about half of it.
    expect(value([0.5]) / alone).toBeGreaterThan(0.35);
    expect(value([0.5]) / alone).toBeLessThan(0.65);
  });

  it('is deterministic for a seed', () => {
    const models = [fixedGp(X, [0]), fixedGp(X, [0])];
    const make = () => monteCarloEhvi({ models, front: [[0.5, 0.5]], ref: [-3, -3], pending: [[2]], samples: 32, seed: 9 });
    expect(make().evaluate([[1], [3]])).toEqual(make().evaluate([[1], [3]]));
  });
});

describe('ParEGO scalarisation', () => {
  it('is the augmented Chebyshev function of the normalised outcomes', () => {
    const Y = [
      [0, 10],
      [1, 0],
      [0.5, 5],
    ];
    // Normalised: (0,1), (1,0), (0.5,0.5); weights (0.25, 0.75), rho 0.05.
    const s = chebyshevScalarise(Y, [0.25, 0.75], 0.05);
    expect(s[0]).toBeCloseTo(0 + 0.05 * 0.75, 14);
    expect(s[1]).toBeCloseTo(0 + 0.05 * 0.25, 14);
    expect(s[2]).toBeCloseTo(0.125 + 0.05 * 0.5, 14);
    // From a reference point (-1, 0) instead: (0.5, 1), (1, 0), (0.75, 0.5).
    const r = chebyshevScalarise(Y, [0.25, 0.75], 0.05, [-1, 0]);
    expect(r[0]).toBeCloseTo(0.125 + 0.05 * (0.125 + 0.75), 14);
    expect(r[2]).toBeCloseTo(0.1875 + 0.05 * (0.1875 + 0.375), 14);
    // Worse than the reference point counts as the reference point: (0, 10) against (0.5, 0) is (0, 1).
    expect(chebyshevScalarise(Y, [0.25, 0.75], 0.05, [0.5, 0])[0]).toBeCloseTo(0 + 0.05 * 0.75, 14);
  });

  it('draws weights on the simplex', () => {
    const rng = new Rng(4);
    for (let k = 0; k < 10; k++) {
      const w = simplexWeights(3, rng);
      expect(w.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 14);
      for (const v of w) expect(v).toBeGreaterThanOrEqual(0);
    }
  });
});

describe('the noisy baseline (observed points that may be on the front)', () => {
  it('keeps the points on the front in some posterior sample, once each, and drops the clearly dominated and those that break a limit', () => {
    // Two objectives at five observed inputs; the posterior there is near-certain (noise 1e-6).
    const X = [[0], [0.25], [0.5], [0.75], [1]];
    const f0 = [3, 1, 2.5, 0, 1.5];
    const f1 = [1, 3, 0.5, 0, 3.5];
    const models = [fixedGp(X, f0), fixedGp(X, f1)];
    // The limit's outcome: the last point breaks "<= 1".
    const limit = { model: fixedGp(X, [0, 0, 0, 0, 2]), op: '<=' as const, value: 1 };
    const kept = baselinePoints(models, [], [...X, [0.25]], 32, 7, 10);
    // (1.5, 3.5) dominates (1, 3); (3, 1) dominates (2.5, 0.5); (0, 0) is dominated by all.
    expect(kept.map((x) => x[0]).sort()).toEqual([0, 1]);
    const underLimit = baselinePoints(models, [limit], X, 32, 7, 10);
    expect(underLimit.map((x) => x[0]).sort()).toEqual([0, 0.25]);
    expect(baselinePoints(models, [limit], X, 32, 7, 1)).toHaveLength(1);
  });
});
