import { describe, expect, it } from '@jest/globals';
import { ACQUISITION_KINDS, type AcquisitionChoice } from '../acquisition/choice.js';
import { Space } from '../space.js';
import type { Observation } from '../strategy-interface.js';
import { BayesianStrategy } from './bayesian-strategy.js';
import { DefaultStrategy } from './default-strategy.js';
import { Encoder } from './encoding.js';
import { PoolStrategy } from './pool.js';
import { TreeEnsembleStrategy } from './tree-ensemble-strategy.js';

const space = Space.parse([
  { name: 'x', type: 'continuous', low: 0, high: 1 },
  { name: 'y', type: 'continuous', low: 0, high: 1 },
]);
const f = (p: Record<string, number | string>) => ((p.x as number) - 0.2) ** 2 + ((p.y as number) - 0.3) ** 2;
/** Nine results, all in the lower-left quarter: the upper-right corner is where the model knows least. */
const cornered: Observation[] = [0.05, 0.2, 0.4].flatMap((x) => [0.05, 0.25, 0.4].map((y) => ({ params: { x, y }, value: f({ x, y }) })));
const enc = new Encoder(space, {});
const nearest = (p: Record<string, number | string>) => Math.min(...cornered.map((o) => enc.distance(enc.encode(o.params), enc.encode(p))));
const kinds: AcquisitionChoice[] = ACQUISITION_KINDS.map((kind) => ({ kind }));

describe('strategies propose with the acquisition chosen', () => {
  it.each(kinds)('BayesianStrategy with $kind: a valid batch that avoids pending points, the choice in its provenance', async (choice) => {
    const s = new BayesianStrategy({ rawSamples: 256, acquisition: choice });
    const pending = [{ x: 0.6, y: 0.6 }];
    const batch = await s.ask({ space, direction: 'minimize', observations: cornered, pending, n: 3, seed: 4 });
    expect(batch).toHaveLength(3);
    const keys = new Set([...cornered.map((o) => space.key(o.params)), space.key(pending[0])]);
    for (const p of batch) {
      expect(space.check(p.params)).toEqual([]);
      expect(keys.has(space.key(p.params))).toBe(false);
      keys.add(space.key(p.params));
      expect(Number.isFinite(p.acquisition)).toBe(true);
    }
    expect(s.info.settings.acquisitionChoice).toEqual(choice.kind === 'UCB' ? { kind: 'UCB', kappa: 2 } : { kind: choice.kind });
    expect(s.info.name).toBe(`bayesian/gp-${choice.kind.toLowerCase()}`);
  });

  it('maps the space with exploration (far from every result) and optimises with the others (near the best)', async () => {
    const ask = (choice: AcquisitionChoice) =>
      new BayesianStrategy({ rawSamples: 256, acquisition: choice }).ask({
        space,
        direction: 'minimize',
        observations: cornered,
        pending: [],
        n: 1,
        seed: 4,
      });
    const [explore] = await ask({ kind: 'exploration' });
    expect(nearest(explore.params)).toBeGreaterThan(0.3);
    // with a tiny exploration weight, UCB goes where the mean is best: close to the optimum (0.2, 0.3) inside the data
    const [greedy] = await ask({ kind: 'UCB', kappa: 0.01 });
    expect(Math.hypot((greedy.params.x as number) - 0.2, (greedy.params.y as number) - 0.3)).toBeLessThan(0.15);
  });

  it('is reproducible by seed with Thompson sampling, and another seed draws another sample', async () => {
    const ask = (seed: number) =>
      new BayesianStrategy({ rawSamples: 256, acquisition: { kind: 'thompson' } }).ask({
        space,
        direction: 'minimize',
        observations: cornered,
        pending: [],
        n: 2,
        seed,
      });
    const a = await ask(1);
    expect(await ask(1)).toEqual(a);
    expect((await ask(2)).map((p) => p.params)).not.toEqual(a.map((p) => p.params));
  });

  it('refuses an acquisition the strategy cannot use, naming it', () => {
    expect(() => new BayesianStrategy({ acquisition: { kind: 'EI', kappa: 1 } })).toThrow(
      'acquisition kappa applies to UCB only, not to EI',
    );
    expect(() => new BayesianStrategy({ batch: 'fantasies', acquisition: { kind: 'UCB' } })).toThrow("batch 'fantasies' averages log EI");
    expect(() => new TreeEnsembleStrategy({ acquisition: { kind: 'UCB', beta: -2 } })).toThrow('beta must be a finite number');
  });

  it.each(kinds)('TreeEnsembleStrategy with $kind: a distinct batch, its values reported, its name', async (choice) => {
    const observations = [...cornered, { params: { x: 0.9, y: 0.9 }, failed: true } as Observation];
    const s = new TreeEnsembleStrategy({ rawSamples: 512, acquisition: choice });
    const batch = await s.ask({ space, direction: 'minimize', observations, pending: [{ x: 0.5, y: 0.5 }], n: 3, seed: 2 });
    expect(new Set(batch.map((p) => space.key(p.params))).size).toBe(3);
    for (const p of batch) expect(Number.isFinite(p.acquisition)).toBe(true);
    expect(s.info.name).toBe(choice.kind === 'logEI' ? 'bayesian/extra-trees-logei' : `bayesian/extra-trees-${choice.kind.toLowerCase()}`);
    if (choice.kind === 'exploration') for (const p of batch) expect(p.acquisition).toBeCloseTo((p.prediction?.sd ?? NaN) ** 2, 9);
  });

  it('passes the choice to both models of the default strategy', async () => {
    const s = new DefaultStrategy({ gpLimit: 5, acquisition: { kind: 'PI' } });
    await s.ask({ space, direction: 'minimize', observations: cornered, pending: [], n: 1, seed: 1 });
    expect(s.info.name).toBe('bayesian/extra-trees-pi');
    const g = new DefaultStrategy({ acquisition: { kind: 'PI' } });
    await g.ask({ space, direction: 'minimize', observations: cornered, pending: [], n: 1, seed: 1 });
    expect(g.info.name).toBe('bayesian/gp-pi');
  });

  it.each(kinds)('PoolStrategy with $kind proposes free rows', (choice) => {
    const ids = Array.from({ length: 20 }, (_, i) => `r${i}`);
    const X = ids.map((_, i) => [i / 19]);
    const observations = [0, 5, 10, 19, 3, 8].map((i) => ({ id: ids[i], value: -(((i - 13) / 19) ** 2) }));
    const picks = new PoolStrategy(ids, X, 6, { acquisition: choice }).ask({ direction: 'maximize', observations, pending: ['r12'], n: 3, seed: 3 });
    expect(picks).toHaveLength(3);
    for (const p of picks) expect(['r0', 'r5', 'r10', 'r19', 'r3', 'r8', 'r12']).not.toContain(p.id);
    expect(new Set(picks.map((p) => p.id)).size).toBe(3);
    // exploration: the first pick is in the middle of the widest gap between known rows (12 pending, 19 observed)
    if (choice.kind === 'exploration') expect(['r15', 'r16']).toContain(picks[0].id);
  });
});
