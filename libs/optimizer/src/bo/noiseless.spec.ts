import { Rng } from '#random';
import { Space } from '../space.js';
import type { Observation } from '../strategy-interface.js';
import { GaussianProcess } from '../surrogates/gp.js';
import { BayesianStrategy } from './bayesian-strategy.js';
import { nearAny, noiselessModel } from './noiseless.js';

const square = Space.parse([
  { name: 'x', type: 'continuous', low: 0, high: 1 },
  { name: 'y', type: 'continuous', low: 0, high: 1 },
]);
/** Noiseless, best at the corner (1, 1): log EI used to return to the corner again and again. */
const ramp = (p: Record<string, number | string>) => (p.x as number) + 0.5 * (p.y as number);

/** `steps` sequential asks (maximise, seed 1); each result is told before the next ask. */
async function loop(strategy: BayesianStrategy, steps: number, value: (p: Record<string, number | string>) => number) {
  const obs: Observation[] = [];
  const closest: number[] = [];
  for (let t = 0; t < steps; t++) {
    const [p] = await strategy.ask({ space: square, direction: 'maximize', observations: obs, pending: [], n: 1, seed: 1 });
    const x = p.params.x as number;
    const y = p.params.y as number;
    closest.push(Math.min(Infinity, ...obs.map((o) => Math.max(Math.abs((o.params.x as number) - x), Math.abs((o.params.y as number) - y)))));
    obs.push({ params: p.params, value: value(p.params) });
  }
  return { obs, closest };
}

describe('re-measurements of a noiseless function', () => {
  it('never proposes a point within a hair of an evaluated one when the data are noiseless', async () => {
    const strategy = new BayesianStrategy({ rawSamples: 256, repeatRadius: 0.01 });
    const { obs, closest } = await loop(strategy, 20, ramp);
    // Without the check (the earlier behaviour) the corner is evaluated again and again.
    expect(Math.min(...closest)).toBeGreaterThan(1e-3);
    expect(strategy.info.settings.fit).toMatchObject({ noise: 'negligible' });
    expect(Math.max(...obs.map((o) => o.value as number))).toBeGreaterThan(1.45);
  }, 60_000);

  it('re-proposes evaluated points with the check turned off (what the check prevents)', async () => {
    const { closest } = await loop(new BayesianStrategy({ rawSamples: 256, repeatRadius: 0 }), 20, ramp);
    expect(closest.filter((d) => d <= 1e-3).length).toBeGreaterThan(3);
  }, 60_000);

  it('leaves noisy data alone: the noise is material and the model keeps it', async () => {
    const rng = new Rng(3);
    const strategy = new BayesianStrategy({ rawSamples: 256, repeatRadius: 0.01 });
    await loop(strategy, 16, (p) => ramp(p) + 0.1 * rng.normal());
    expect(strategy.info.settings.fit).toMatchObject({ noise: 'material' });
  }, 60_000);
});

describe('noiselessModel', () => {
  const X = Array.from({ length: 20 }, (_, i) => [((i * 7) % 20) / 19, ((i * 13) % 20) / 19]);
  const smooth = X.map(([a, b]) => Math.sin(3 * a) + Math.cos(2 * b));

  it('returns a model with negligible noise for noiseless data and none for noisy data', () => {
    const clean = new GaussianProcess();
    clean.fit(X, smooth);
    const quiet = noiselessModel(clean);
    expect(quiet).toBeDefined();
    expect(quiet?.hyperparameters.noise).toBeLessThanOrEqual(1e-6);
    // Same kernel, same data: the noiseless model interpolates.
    expect(quiet?.posterior([X[4]]).mean[0]).toBeCloseTo(smooth[4], 4);

    // Every point measured twice with noise: no lengthscale can interpolate two values at one point.
    const rng = new Rng(11);
    const noisy = new GaussianProcess();
    noisy.fit(
      [...X, ...X],
      [...smooth, ...smooth].map((v) => v + 0.1 * rng.normal()),
    );
    expect(noiselessModel(noisy)).toBeUndefined();
  });

  it('rejects a non-positive noise variance by name', () => {
    const gp = new GaussianProcess();
    gp.fit(X, smooth);
    expect(() => gp.withNoise(0)).toThrow(/noise variance must be positive/);
  });
});

describe('nearAny', () => {
  it('measures the distance in lengthscales', () => {
    const near = nearAny([[0.5, 0.5]], [0.1, 1], 0.05);
    expect(near([0.504, 0.5])).toBe(true); // 0.04 lengthscales
    expect(near([0.506, 0.5])).toBe(false); // 0.06
    expect(near([0.5, 0.54])).toBe(true); // 0.04 along the long lengthscale
    expect(near([0.5, 0.56])).toBe(false);
  });
});
