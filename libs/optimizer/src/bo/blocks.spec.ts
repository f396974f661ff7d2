import { Rng } from '#random';
import { Space } from '../space.js';
import type { Observation } from '../strategy-interface.js';
import { netOfBlocks } from './block-offsets.js';
import { DefaultStrategy } from './default-strategy.js';
import { BayesianStrategy } from './bayesian-strategy.js';

const space = Space.parse([
  { name: 'x1', type: 'continuous', low: -5, high: 10 },
  { name: 'x2', type: 'continuous', low: 0, high: 15 },
]);
const branin = (p: Record<string, number | string>) => {
  const x1 = p.x1 as number;
  const x2 = p.x2 as number;
  return (x2 - (5.1 / (4 * Math.PI ** 2)) * x1 ** 2 + (5 / Math.PI) * x1 - 6) ** 2 + 10 * (1 - 1 / (8 * Math.PI)) * Math.cos(x1) + 10;
};
const OPTIMUM = 0.397887;

/**
 * A closed loop in plates of 4: every result of a plate is off by the plate's
 * own offset (sd 20, against Branin's values of 0.4 to 300). Returns the log10
 * regret of the best point measured, judged by the true function.
 */
async function platesRun(seed: number, declareBlocks: boolean): Promise<number> {
  const rng = new Rng(1000 + seed);
  const strategy = new BayesianStrategy({ rawSamples: 256, starts: 4 });
  const observations: Observation[] = [];
  let best = Infinity;
  for (let plate = 0; plate < 8; plate++) {
    const batch = await strategy.ask({ space, direction: 'minimize', observations, pending: [], n: 4, seed });
    const offset = 20 * rng.normal();
    for (const p of batch) {
      const truth = branin(p.params);
      best = Math.min(best, truth);
      observations.push({
        params: p.params,
        value: truth + offset + 0.01 * rng.normal(),
        ...(declareBlocks ? { block: `plate ${plate}` } : {}),
      });
    }
  }
  return Math.log10(best - OPTIMUM);
}

describe('results measured in blocks', () => {
  it('are compared net of their block offsets: a campaign with plate effects finds better points', async () => {
    const seeds = [0, 1, 2, 3, 4, 5];
    const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
    const blocked = await Promise.all(seeds.map((s) => platesRun(s, true)));
    const naive = await Promise.all(seeds.map((s) => platesRun(s, false)));
    // Measured: -1.91 against -0.38 (log10 regret, mean of the 6 seeds); with the default search and other offset draws, gaps of 0.4 to 1.7.
    expect(mean(blocked)).toBeLessThan(mean(naive) - 1);
  });

  it('record the fitted block variance and the number of blocks with the proposals', async () => {
    const rng = new Rng(3);
    const observations: Observation[] = Array.from({ length: 12 }, (_, i) => {
      const params = { x1: -5 + 15 * rng.next(), x2: 15 * rng.next() };
      return { params, value: branin(params) + (i < 6 ? 40 : 0), block: i < 6 ? 'day 1' : 'day 2' };
    });
    const strategy = new BayesianStrategy({ rawSamples: 256 });
    const [p] = await strategy.ask({ space, direction: 'minimize', observations, pending: [], n: 1, seed: 1 });
    expect(p.prediction).toBeDefined();
    const fit = strategy.info.settings.fit as { blocks: number; hyperparameters: { blockVariance?: number }; warp: string };
    expect(fit.blocks).toBe(2);
    expect(fit.hyperparameters.blockVariance).toBeGreaterThan(0);
    // Without blocks, neither.
    const plain = new BayesianStrategy({ rawSamples: 256 });
    await plain.ask({
      space,
      direction: 'minimize',
      observations: observations.map(({ block: _, ...o }) => o),
      pending: [],
      n: 1,
      seed: 1,
    });
    const plainFit = plain.info.settings.fit as { blocks?: number; hyperparameters: { blockVariance?: number } };
    expect(plainFit.blocks).toBeUndefined();
    expect(plainFit.hyperparameters.blockVariance).toBeUndefined();
  });

  it('count as progress when they improve net of their offsets: no stall escape to another choice', async () => {
    // Maximise; solvent a is best. Day 2 reads 3 lower throughout, yet its results climb towards a's optimum at x = 0.7.
    const mixed = Space.parse([
      { name: 'x', type: 'continuous', low: 0, high: 1 },
      { name: 'solvent', type: 'categorical', choices: ['a', 'b', 'c'] },
    ]);
    const level: Record<string, number> = { a: 2, b: 0.5, c: 0 };
    const run = (x: number, solvent: string, day: number): Observation => ({
      params: { x, solvent },
      value: level[solvent] - 4 * (x - 0.7) ** 2 - (day === 2 ? 3 : 0),
      block: `day ${day}`,
    });
    const observations: Observation[] = [
      ...[0, 0.1, 0.2, 0.3].map((x) => run(x, 'a', 1)),
      run(0.5, 'b', 1),
      run(0.9, 'b', 1),
      run(0.2, 'c', 1),
      run(0.8, 'c', 1),
      ...[0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65].map((x) => run(x, 'a', 2)),
    ];
    const ask = async (obs: Observation[]) => {
      const strategy = new BayesianStrategy({ rawSamples: 256 });
      const batch = await strategy.ask({ space: mixed, direction: 'maximize', observations: obs, pending: [], n: 2, seed: 4 });
      const fit = strategy.info.settings.fit as { stall: { evaluations: number; escapes: number; escapedTo?: Record<string, string> } };
      return { solvents: batch.map((p) => p.params.solvent), stall: fit.stall };
    };
    // Declared: day 2's climb is progress; both proposals stay with solvent a.
    const declared = await ask(observations);
    expect(declared.stall.evaluations).toBeLessThan(5);
    expect(declared.stall).toMatchObject({ escapes: 0 });
    expect(declared.stall.escapedTo).toBeUndefined();
    expect(declared.solvents).toEqual(['a', 'a']);
    // Undeclared, the raw values have not beaten day 1's best for 7 results: the escape sends the batch's last point elsewhere.
    const undeclared = await ask(observations.map(({ block: _, ...o }) => o));
    expect(undeclared.stall.evaluations).toBeGreaterThanOrEqual(5);
    expect(undeclared.stall).toMatchObject({ escapes: 1 });
    expect(undeclared.solvents[1]).not.toBe('a');
    expect(undeclared.stall.escapedTo).toEqual({ solvent: undeclared.solvents[1] });
  });

  it('reach the trees net of the offsets a GP estimates on a subsample', async () => {
    // 30 plates of 12, offsets of sd 20: more results than a GP limit of 200 takes.
    const rng = new Rng(5);
    const offsets = Array.from({ length: 30 }, () => 20 * rng.normal());
    const observations: Observation[] = [];
    for (let plate = 0; plate < 30; plate++) {
      for (let k = 0; k < 12; k++) {
        const params = { x1: -5 + 15 * rng.next(), x2: 15 * rng.next() };
        observations.push({ params, value: branin(params) + offsets[plate] + 0.01 * rng.normal(), block: `plate ${plate}` });
      }
    }
    const net = netOfBlocks(space, observations, { limit: 200, seed: 1 });
    expect(net.summary).toMatchObject({ blocks: 30, estimated: 30, fittedTo: 180 });
    // Each plate's estimated offset is its true one up to a shared constant (the mean offset is the function's level).
    const errors = offsets.map(
      (o, plate) => (observations[plate * 12].value as number) - (net.observations[plate * 12].value as number) - o,
    );
    const shift = errors.reduce((a, b) => a + b, 0) / errors.length;
    for (const e of errors) expect(Math.abs(e - shift)).toBeLessThan(0.5);
    expect(net.observations.every((o) => o.block === undefined)).toBe(true);

    const strategy = new DefaultStrategy({ gpLimit: 200 });
    const batch = await strategy.ask({ space, direction: 'minimize', observations, pending: [], n: 4, seed: 2 });
    expect(batch).toHaveLength(4);
    expect(strategy.info.name).toBe('bayesian/extra-trees-logei');
    expect(strategy.info.settings.netOfBlocks).toMatchObject({ blocks: 30, estimated: 30 });
  });
});
