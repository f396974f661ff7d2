import { Rng } from '#random';
import { GaussianProcess } from './gp.js';
import { matern52 } from './kernel.js';
import { defaultPriors, type GpPriors, MllData } from './mll.js';

/** Inverse of a symmetric 3x3 matrix by the adjugate (independent of the library's Cholesky). */
function inverse3(m: number[][]): number[][] {
  const [[a, b, c], [d, e, f], [g, h, i]] = m;
  const det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g);
  return [
    [(e * i - f * h) / det, (c * h - b * i) / det, (b * f - c * e) / det],
    [(f * g - d * i) / det, (a * i - c * g) / det, (c * d - a * f) / det],
    [(d * h - e * g) / det, (b * g - a * h) / det, (a * e - b * d) / det],
  ];
}

/** The MAP objective's analytic gradient against central differences, coordinate by coordinate. */
function expectGradient(data: MllData, theta: Float64Array, priors: GpPriors): void {
  const grad = new Float64Array(theta.length);
  data.objective(theta, grad, priors, 1e-6);
  const scratch = new Float64Array(theta.length);
  for (let k = 0; k < theta.length; k++) {
    const h = 1e-6;
    const tp = Float64Array.from(theta);
    const tm = Float64Array.from(theta);
    tp[k] += h;
    tm[k] -= h;
    const fd = (data.objective(tp, scratch, priors, 1e-6) - data.objective(tm, scratch, priors, 1e-6)) / (2 * h);
    expect(grad[k]).toBeCloseTo(fd, 5);
  }
}

describe('Matérn-5/2 kernel', () => {
  it('matches the closed form', () => {
    expect(matern52(0)).toBe(1);
    // r = 1: (1 + √5 + 5/3) e^{-√5}
    expect(matern52(1)).toBeCloseTo((1 + Math.sqrt(5) + 5 / 3) * Math.exp(-Math.sqrt(5)), 14);
  });
});

describe('GaussianProcess', () => {
  // y = [-1, 0, 1] has mean 0 and sample sd 1, so the standardisation is the identity.
  const X = [[0], [0.5], [1]];
  const y = [-1, 0, 1];
  const hp = { lengthscales: [0.5], outputscale: 1.5, noise: 1e-4, mean: 0.2 };

  /**
   * The posterior of the function at x = 0.3 by hand: results covary by the
   * kernel, plus `extra(i, j)` (block terms), plus the noise; the function at
   * a new point covaries with them by the kernel alone.
   */
  function byHand(extra: (i: number, j: number) => number = () => 0) {
    const k = (a: number, b: number) => hp.outputscale * matern52(Math.abs(a - b) / 0.5);
    const K = X.map((a, i) => X.map((b, j) => k(a[0], b[0]) + extra(i, j) + (i === j ? hp.noise : 0)));
    const Ki = inverse3(K);
    const ks = X.map((a) => k(0.3, a[0]));
    const alpha = Ki.map((row) => row.reduce((s, v, j) => s + v * (y[j] - hp.mean), 0));
    const kik = Ki.map((row) => row.reduce((s, v, j) => s + v * ks[j], 0)).reduce((s, v, i) => s + v * ks[i], 0);
    return { alpha, mean: hp.mean + ks.reduce((s, v, i) => s + v * alpha[i], 0), variance: hp.outputscale - kik };
  }

  it('gives the closed-form posterior with fixed hyperparameters', () => {
    const gp = new GaussianProcess({ fixed: hp });
    gp.fit(X, y);
    const { mean, variance } = byHand();
    const post = gp.posterior([[0.3]]);
    expect(post.mean[0]).toBeCloseTo(mean, 9);
    expect(post.variance[0]).toBeCloseTo(variance, 9);
  });

  it('has variance of the order of the noise at training points and the prior far away', () => {
    const gp = new GaussianProcess({ fixed: hp });
    gp.fit(X, y);
    const post = gp.posterior([[0.5], [40]]);
    expect(post.variance[0]).toBeLessThan(2 * hp.noise);
    expect(post.variance[0]).toBeGreaterThan(0);
    expect(post.mean[0]).toBeCloseTo(0, 3);
    expect(post.variance[1]).toBeCloseTo(hp.outputscale, 9);
    expect(post.mean[1]).toBeCloseTo(hp.mean, 9);
  });

  it('returns the posterior in original units when outcomes are rescaled', () => {
    const a = new GaussianProcess({ fixed: hp });
    a.fit(X, y);
    const b = new GaussianProcess({ fixed: hp });
    b.fit(
      X,
      y.map((v) => 10 + 3 * v),
    );
    const pa = a.posterior([[0.7]]);
    const pb = b.posterior([[0.7]]);
    expect(pb.mean[0]).toBeCloseTo(10 + 3 * pa.mean[0], 9);
    expect(pb.variance[0]).toBeCloseTo(9 * pa.variance[0], 9);
  });

  it('has a marginal-likelihood gradient that matches finite differences', () => {
    const rng = new Rng(3);
    const Xr = Array.from({ length: 12 }, () => [rng.next(), rng.next(), rng.next()]);
    const yr = Float64Array.from(Xr, (x) => Math.sin(5 * x[0]) + x[1] * x[1] - x[2] + 0.1 * rng.normal());
    const data = new MllData(Xr, yr);
    const priors = defaultPriors(3);
    const theta = Float64Array.from([Math.log(0.4), Math.log(0.9), Math.log(1.7), Math.log(1.3), Math.log(0.01), 0.1]);
    expectGradient(data, theta, priors);
  });

  it('gives the closed-form posterior of the function net of block offsets', () => {
    // The first two results share a block: they covary by the block variance besides the kernel.
    const blocked = { ...hp, blockVariance: 0.8 };
    const gp = new GaussianProcess({ fixed: blocked });
    gp.fit(X, y, ['plate 1', 'plate 1', 'plate 2']);
    const blocks = [0, 0, 1];
    const { alpha, mean, variance } = byHand((i, j) => (blocks[i] === blocks[j] ? 0.8 : 0));
    const post = gp.posterior([[0.3]]);
    expect(post.mean[0]).toBeCloseTo(mean, 9);
    expect(post.variance[0]).toBeCloseTo(variance, 9);
    // Each result's block offset, E[β_b | y] = σ_b² Σ_{j in b} α_j.
    expect(Array.from(gp.blockOffsets())).toEqual(
      [0.8 * (alpha[0] + alpha[1]), 0.8 * (alpha[0] + alpha[1]), 0.8 * alpha[2]].map((v) => expect.closeTo(v, 9)),
    );
    // A block of one point is no block: without shared blocks the fit is the plain GP's.
    const single = new GaussianProcess({ fixed: blocked });
    single.fit(X, y, ['a', 'b', null]);
    const plain = new GaussianProcess({ fixed: hp });
    plain.fit(X, y);
    expect(single.posterior([[0.3]]).mean[0]).toBeCloseTo(plain.posterior([[0.3]]).mean[0], 12);
    expect(Array.from(single.blockOffsets())).toEqual([0, 0, 0]);
  });

  it('has a block-variance gradient that matches finite differences', () => {
    const rng = new Rng(5);
    const Xr = Array.from({ length: 12 }, () => [rng.next(), rng.next()]);
    const yr = Float64Array.from(Xr, (x, i) => Math.sin(5 * x[0]) + x[1] + (i % 3) * 0.7 + 0.05 * rng.normal());
    const data = new MllData(
      Xr,
      yr,
      undefined,
      Int32Array.from(Xr, (_, i) => (i < 10 ? i % 3 : -1)),
    );
    const priors = defaultPriors(2);
    const theta = Float64Array.from([Math.log(0.4), Math.log(0.9), Math.log(1.3), Math.log(0.01), 0.1, Math.log(0.3)]);
    expectGradient(data, theta, priors);
  });

  it('learns plate offsets and recovers the function across plates', () => {
    // Six plates of six points, each plate shifted by its own offset (sd 1 against a function of range about 2).
    const rng = new Rng(21);
    const f = (x: number[]) => Math.sin(6 * x[0]) + 0.5 * x[1];
    const offsets = Array.from({ length: 6 }, () => rng.normal());
    const Xr = Array.from({ length: 36 }, () => [rng.next(), rng.next()]);
    const yr = Xr.map((x, i) => f(x) + offsets[Math.floor(i / 6)] + 0.01 * rng.normal());
    const plates = Xr.map((_, i) => `plate ${Math.floor(i / 6)}`);
    const blocked = new GaussianProcess();
    blocked.fit(Xr, yr, plates);
    const naive = new GaussianProcess();
    naive.fit(Xr, yr);
    expect(blocked.hyperparameters.blockVariance).toBeGreaterThan(0.2);
    expect(naive.hyperparameters.blockVariance).toBeUndefined();
    // Up to a constant (the mean offset), the blocked posterior tracks f; the naive one mistakes offsets for the function.
    const test = Array.from({ length: 200 }, () => [rng.next(), rng.next()]);
    const error = (gp: GaussianProcess) => {
      const m = gp.posterior(test).mean;
      const d = test.map((x, i) => m[i] - f(x));
      const shift = d.reduce((a, b) => a + b, 0) / d.length;
      return Math.sqrt(d.reduce((a, b) => a + (b - shift) ** 2, 0) / d.length);
    };
    expect(error(blocked)).toBeLessThan(0.1);
    expect(error(naive)).toBeGreaterThan(3 * error(blocked));
  });

  it('learns hyperparameters that interpolate a smooth function', () => {
    const rng = new Rng(11);
    const Xr = Array.from({ length: 20 }, () => [rng.next(), rng.next()]);
    const f = (x: number[]) => Math.sin(6 * x[0]) + 0.2 * x[1];
    const gp = new GaussianProcess();
    gp.fit(Xr, Xr.map(f));
    const h = gp.hyperparameters;
    // x2 matters less than x1: a longer lengthscale.
    expect(h.lengthscales[1]).toBeGreaterThan(h.lengthscales[0]);
    const test = [
      [0.3, 0.4],
      [0.8, 0.1],
    ];
    const post = gp.posterior(test);
    test.forEach((x, i) => expect(Math.abs(post.mean[i] - f(x))).toBeLessThan(0.1));
  });

  it('conditions on fantasies with fixed hyperparameters', () => {
    const gp = new GaussianProcess({ fixed: hp });
    gp.fit(X, y);
    const before = gp.posterior([[0.25]]);
    const c = gp.conditioned([[0.25]], [0.7]);
    const post = c.posterior([[0.25]]);
    // One Gaussian update: m' = m + v/(v+σ²)(y - m), v' = v σ²/(v+σ²).
    const m = before.mean[0];
    const v = before.variance[0];
    expect(post.mean[0]).toBeCloseTo(m + (v / (v + hp.noise)) * (0.7 - m), 8);
    expect(post.variance[0]).toBeCloseTo((v * hp.noise) / (v + hp.noise), 10);
    const joint = c.jointPosterior([[0.25], [0.9]]);
    expect(joint.covariance[0]).toBeCloseTo(post.variance[0], 12);
    expect(joint.covariance[1]).toBeCloseTo(joint.covariance[2], 14);
  });

  it('gives the covariance of each point with other points as the joint posterior does', () => {
    const gp = new GaussianProcess({ fixed: hp });
    gp.fit(X, y);
    const pts = [[0.1], [0.45], [0.8]];
    const joint = gp.jointPosterior(pts);
    const withP = gp.posteriorWith([pts[0], pts[1]], [pts[2], pts[1]]);
    expect(withP.cross[0]).toBeCloseTo(joint.covariance[0 * 3 + 2], 12);
    expect(withP.cross[1]).toBeCloseTo(joint.covariance[0 * 3 + 1], 12);
    expect(withP.cross[2]).toBeCloseTo(joint.covariance[1 * 3 + 2], 12);
    // With itself: its variance.
    expect(withP.cross[3]).toBeCloseTo(withP.variance[1], 12);
    expect(withP.mean[1]).toBeCloseTo(joint.mean[1], 14);
  });
});

describe('GaussianProcess.posteriorGradient', () => {
  const rng = new Rng(11);
  const X = Array.from({ length: 40 }, () => [rng.next(), rng.next(), rng.next()]);
  const y = X.map(([a, b, c]) => 3 + 5 * Math.sin(4 * a) * Math.cos(3 * b) + 2 * c * c);
  const hp = { lengthscales: [0.3, 0.5, 0.8], outputscale: 1.2, noise: 1e-3, mean: 0.1 };

  it.each(['matern52', 'rbf'] as const)('matches central differences of the posterior (%s), with the same mean and variance', (kernel) => {
    const gp = new GaussianProcess({ kernel, fixed: hp });
    gp.fit(X, y);
    const dMean = new Float64Array(3);
    const dVariance = new Float64Array(3);
    for (const x of [
      [0.2, 0.7, 0.4],
      [0.9, 0.1, 0.55],
      X[3].map((v) => v + 1e-3),
    ]) {
      const at = gp.posteriorGradient(x, dMean, dVariance);
      const post = gp.posterior([x]);
      expect(Object.is(at.mean, post.mean[0])).toBe(true);
      expect(Object.is(at.variance, post.variance[0])).toBe(true);
      for (let c = 0; c < 3; c++) {
        const h = 1e-5;
        const up = [...x];
        const down = [...x];
        up[c] += h;
        down[c] -= h;
        const p = gp.posterior([up, down]);
        const fdMean = (p.mean[0] - p.mean[1]) / (2 * h);
        const fdVariance = (p.variance[0] - p.variance[1]) / (2 * h);
        expect(Math.abs(dMean[c] - fdMean)).toBeLessThan(1e-5 * (1 + Math.abs(fdMean)));
        expect(Math.abs(dVariance[c] - fdVariance)).toBeLessThan(1e-5 * (1 + Math.abs(fdVariance)));
      }
    }
  });

  it('is zero for the variance far from the data, where the variance is the prior', () => {
    const gp = new GaussianProcess({ fixed: { ...hp, lengthscales: [0.01, 0.01, 0.01] } });
    gp.fit(X, y);
    const dMean = new Float64Array(3);
    const dVariance = new Float64Array(3);
    const at = gp.posteriorGradient([5, 5, 5], dMean, dVariance);
    expect(at.variance).toBeCloseTo(hp.outputscale * gp.standardisation.scale ** 2, 10);
    expect([...dMean, ...dVariance].every((g) => Math.abs(g) < 1e-12)).toBe(true);
  });
});

