import { Space } from '../space.js';
import type { AskRequest, Observation } from '../strategy-interface.js';
import { BayesianStrategy } from './bayesian-strategy.js';
import { stalledFor } from './stall-escape.js';

const quadratic = Space.parse([
  { name: 'x', type: 'continuous', low: -2, high: 2 },
  { name: 'y', type: 'continuous', low: -2, high: 2 },
]);
const f = (p: Record<string, number | string>) => ((p.x as number) - 0.5) ** 2 + ((p.y as number) + 0.3) ** 2;

function request(observations: Observation[], extra: Partial<AskRequest> = {}): AskRequest {
  return { space: quadratic, direction: 'minimize', observations, pending: [], n: 1, seed: 7, ...extra };
}

/** One sequential ask (minimise, seed 1) on a space of its own. */
function askOnce(space: Space, observations: Observation[], options: ConstructorParameters<typeof BayesianStrategy>[0] = {}) {
  return new BayesianStrategy({ rawSamples: 256, ...options }).ask({
    space,
    direction: 'minimize',
    observations,
    pending: [],
    n: 1,
    seed: 1,
  });
}

async function run(strategy: BayesianStrategy, steps: number): Promise<Observation[]> {
  const obs: Observation[] = [];
  for (let t = 0; t < steps; t++) {
    const [p] = await strategy.ask(request(obs));
    obs.push({ params: p.params, value: f(p.params) });
  }
  return obs;
}

describe('BayesianStrategy', () => {
  it('finds the minimum of a quadratic bowl and is reproducible by seed', async () => {
    const a = await run(new BayesianStrategy({ rawSamples: 256 }), 14);
    const b = await run(new BayesianStrategy({ rawSamples: 256 }), 14);
    expect(a.map((o) => o.params)).toEqual(b.map((o) => o.params));
    expect(Math.min(...a.map((o) => o.value as number))).toBeLessThan(1e-2);
  });

  it('proposes a diverse batch that avoids pending and observed points, with predictions', async () => {
    const s = new BayesianStrategy({ rawSamples: 256 });
    const obs = await run(s, 8);
    const pending = [{ x: 0.5, y: -0.3 }];
    const batch = await s.ask(request(obs, { n: 4, pending }));
    expect(batch).toHaveLength(4);
    const keys = new Set([...obs.map((o) => quadratic.key(o.params)), quadratic.key(pending[0])]);
    for (const p of batch) {
      expect(quadratic.check(p.params)).toEqual([]);
      expect(keys.has(quadratic.key(p.params))).toBe(false);
      keys.add(quadratic.key(p.params));
      expect(p.prediction?.sd).toBeGreaterThanOrEqual(0);
      expect(Number.isFinite(p.acquisition)).toBe(true);
    }
    // the believer spreads the batch: no two proposals closer than 1e-3 in both coordinates
    for (let i = 0; i < 4; i++) {
      for (let j = 0; j < i; j++) {
        const d = Math.hypot(
          (batch[i].params.x as number) - (batch[j].params.x as number),
          (batch[i].params.y as number) - (batch[j].params.y as number),
        );
        expect(d).toBeGreaterThan(1e-3);
      }
    }
  });

  it('flags extrapolation far from every observation', async () => {
    const s = new BayesianStrategy({ rawSamples: 256, extrapolationSd: 0 });
    const obs = await run(s, 6);
    const [p] = await s.ask(request(obs));
    expect(p.extrapolation).toMatch(/prior sd/);
  });

  it('learns to avoid a region where experiments fail', async () => {
    const s = new BayesianStrategy({ rawSamples: 256 });
    const obs: Observation[] = [];
    const infeasible = (p: Record<string, number | string>) => (p.x as number) > 0;
    for (let t = 0; t < 16; t++) {
      const [p] = await s.ask(request(obs));
      obs.push(infeasible(p.params) ? { params: p.params, failed: true } : { params: p.params, value: f(p.params) });
    }
    const late = obs.slice(10);
    expect(late.filter((o) => o.failed).length).toBeLessThanOrEqual(3);
    // the constrained optimum is at x = 0, y = -0.3 (value 0.25)
    expect(Math.min(...obs.filter((o) => !o.failed).map((o) => o.value as number))).toBeLessThan(0.4);
  });

  it('handles mixed spaces without relaxing categories', async () => {
    const space = Space.parse([
      { name: 'x', type: 'continuous', low: 0, high: 1 },
      { name: 'k', type: 'integer', low: 0, high: 6 },
      { name: 'c', type: 'categorical', choices: ['a', 'b', 'c'] },
    ]);
    const g = (p: Record<string, number | string>) =>
      ((p.x as number) - 0.3) ** 2 + ((p.k as number) - 4) ** 2 / 10 + (p.c === 'b' ? 0 : 1);
    const s = new BayesianStrategy({ rawSamples: 256 });
    const obs: Observation[] = [];
    for (let t = 0; t < 16; t++) {
      const [p] = await s.ask({ space, direction: 'minimize', observations: obs, pending: [], n: 1, seed: 3 });
      expect(space.check(p.params)).toEqual([]);
      obs.push({ params: p.params, value: g(p.params) });
    }
    const best = obs.reduce((a, b) => ((a.value as number) < (b.value as number) ? a : b));
    expect(best.params.c).toBe('b');
    expect(best.params.k).toBe(4);
  });

  it('maximises when asked to', async () => {
    const s = new BayesianStrategy({ rawSamples: 256 });
    const obs: Observation[] = [];
    for (let t = 0; t < 12; t++) {
      const [p] = await s.ask(request(obs, { direction: 'maximize' }));
      obs.push({ params: p.params, value: -f(p.params) });
    }
    expect(Math.max(...obs.map((o) => o.value as number))).toBeGreaterThan(-0.01);
  });

  it('counts the observations since the last significant improvement', () => {
    // best 9.35, median 9: significant is above 0.5 * 0.35 (the last at 9.2), or above 0.1 * 0.35
    expect(stalledFor([0, 1, 2, 3, 9, 9.2, 9.3, 9.35], 0.5)).toBe(2);
    expect(stalledFor([0, 1, 2, 3, 9, 9.2, 9.3, 9.35], 0.1)).toBe(0);
    expect(stalledFor([3, 1, 2], 0.01)).toBe(2);
    expect(stalledFor([], 0.01)).toBe(0);
  });

  // The same history on a plain categorical and on one encoded by descriptors (ligand-like vectors).
  it.each([
    ['one-hot', { name: 'c', type: 'categorical', choices: ['a', 'b', 'c'] }],
    [
      'descriptors',
      {
        name: 'c',
        type: 'categorical',
        choices: ['a', 'b', 'c'],
        descriptors: { a: { cone: 1.0, bite: 0.2 }, b: { cone: 2.0, bite: 0.9 }, c: { cone: 3.5, bite: 0.4 } },
      },
    ],
  ] as const)('leaves a stalled categorical choice (%s) for the least-tried other one', async (_encoding, categorical) => {
    const space = Space.parse([{ name: 'x', type: 'continuous', low: 0, high: 1 }, categorical]);
    // Five design points, then six on choice a with no improvement after the first.
    const obs: Observation[] = [
      { params: { x: 0.1, c: 'a' }, value: 5 },
      { params: { x: 0.9, c: 'b' }, value: 8 },
      { params: { x: 0.5, c: 'c' }, value: 9 },
      { params: { x: 0.3, c: 'a' }, value: 3 },
      { params: { x: 0.7, c: 'b' }, value: 7 },
      ...[0.2, 0.21, 0.22, 0.23, 0.24, 0.25].map((x) => ({ params: { x, c: 'a' }, value: 1 })),
    ];
    const [escaped] = await askOnce(space, obs);
    expect(escaped.params.c).toBe('c');
    // Without the escape, plain EI stays with the incumbent's choice.
    const [plain] = await askOnce(space, obs, { stallAfter: 0 });
    expect(plain.params.c).toBe('a');
  });

  it("searches the escape's choice against that choice's own best, not the overall best", async () => {
    const space = Space.parse([
      { name: 'x', type: 'continuous', low: 0, high: 1 },
      { name: 'c', type: 'categorical', choices: ['a', 'b'] },
    ]);
    // Choice a holds the stalled incumbent; choice b, worse everywhere seen, has its best between 0.45 and 0.62.
    const obs: Observation[] = [
      { params: { x: 0.1, c: 'a' }, value: 5 },
      { params: { x: 0.8, c: 'a' }, value: 6 },
      ...[
        [0.05, 9],
        [0.3, 6],
        [0.45, 4.4],
        [0.62, 4.2],
        [0.8, 6.5],
        [0.97, 9],
      ].map(([x, value]) => ({ params: { x, c: 'b' }, value })),
      ...[0.2, 0.21, 0.22, 0.23, 0.24, 0.25].map((x) => ({ params: { x, c: 'a' }, value: 1 })),
    ];
    const [escaped] = await askOnce(space, obs);
    expect(escaped.params.c).toBe('b');
    // It refines b's best region. Measured against a's best (1), EI in b is all
    // variance: the escape went to the widest gap, x = 0.18.
    expect(Math.abs((escaped.params.x as number) - 0.53)).toBeLessThan(0.1);
  });

  it('counts pending design points toward the initial design', async () => {
    // quadratic is 2-D: a design of 5 points, then the model.
    const obs = [
      { x: -1, y: -1 },
      { x: 1, y: 1 },
      { x: 0, y: 1.5 },
    ].map((params) => ({ params, value: f(params) }));
    const s = new BayesianStrategy({ rawSamples: 256 });
    const [design] = await s.ask(request(obs, { pending: [{ x: 1.5, y: -1.5 }] }));
    expect(design.prediction).toBeUndefined();
    // Its provenance is the design's, naming the strategy it starts; then the model's.
    expect(s.info.name).toBe('design/sobol');
    expect(s.info.settings.initialDesignOf).toBe('bayesian/gp-logei');
    // With two still running the design is spent: an asynchronous run gets as many design points as a sequential one.
    const [model] = await s.ask(
      request(obs, {
        pending: [
          { x: 1.5, y: -1.5 },
          { x: -1.5, y: 0.5 },
        ],
      }),
    );
    expect(model.prediction).toBeDefined();
    expect(s.info.name).toBe('bayesian/gp-logei');
    expect(s.info.settings.initialDesignOf).toBeUndefined();
  });
});
