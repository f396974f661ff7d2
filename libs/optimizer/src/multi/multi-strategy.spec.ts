import { Space } from '../space.js';
import { MultiObjectivePoolStrategy, MultiObjectiveStrategy, type MultiObservation } from './multi-strategy.js';
import { POOL_SAMPLE_BUDGET, poolSamples, resolveMultiObjectiveOptions } from './multi-options.js';
import { hypervolume } from './hypervolume.js';

// Two objectives on [0,1]: a = x (maximised), b = x² (minimised) trade off along the whole line, so
// every x is on the front; c = x is limited to c <= 0.4 where a limit is set.
const space = Space.parse([{ name: 'x', type: 'continuous', low: 0, high: 1 }]);
const outcome = (x: number) => ({ a: x, b: x * x, c: x });
const observed = (xs: number[]): MultiObservation[] => xs.map((x) => ({ params: { x }, values: outcome(x) }));
const objectives = [
  { name: 'a', direction: 'maximize' as const, ref: 0 },
  { name: 'b', direction: 'minimize' as const, ref: 1 },
];

describe('MultiObjectiveStrategy', () => {
  it('proposes a batch of distinct new points with a prediction of every objective', async () => {
    const s = new MultiObjectiveStrategy({ rawSamples: 128, mcSamples: 32 });
    const xs = [0.05, 0.3, 0.55, 0.8, 0.95];
    const out = await s.ask({ space, objectives, observations: observed(xs), pending: [{ x: 0.42 }], n: 3, seed: 1 });
    expect(out).toHaveLength(3);
    const keys = new Set(out.map((p) => space.key(p.params)));
    expect(keys.size).toBe(3);
    for (const p of out) {
      expect(xs).not.toContain(p.params.x);
      expect(p.params.x).not.toBe(0.42);
      expect(Object.keys(p.predictions ?? {}).sort()).toEqual(['a', 'b']);
    }
    expect(s.info.settings.fit).toMatchObject({ acquisition: 'ehvi', refSource: 'given', ref: [0, 1] });
  });

  it('stays where the learned limit is likely met', async () => {
    const s = new MultiObjectiveStrategy({ rawSamples: 128, mcSamples: 32 });
    const xs = [0.05, 0.2, 0.35, 0.5, 0.65, 0.8, 0.95];
    const out = await s.ask({
      space,
      objectives,
      constraints: [{ name: 'c', op: '<=', value: 0.4 }],
      observations: observed(xs),
      pending: [],
      n: 2,
      seed: 2,
    });
    for (const p of out) expect(p.params.x as number).toBeLessThan(0.45);
  });

  it('infers the reference point from the data when none is given, and records how', async () => {
    const s = new MultiObjectiveStrategy({ rawSamples: 64, mcSamples: 16 });
    const xs = [0.1, 0.3, 0.5, 0.7, 0.9];
    await s.ask({ space, objectives: objectives.map(({ ref: _ref, ...o }) => o), observations: observed(xs), pending: [], n: 1, seed: 3 });
    const fit = s.info.settings.fit as { ref: number[]; refSource: string };
    // Worst a is 0.1 and its range 0.8: ref 0.1 - 0.08; worst b is 0.81, range 0.8: 0.81 + 0.08.
    expect(fit.ref[0]).toBeCloseTo(0.02, 12);
    expect(fit.ref[1]).toBeCloseTo(0.89, 12);
    expect(fit.refSource).toMatch(/inferred/);
  });

  it.each([
    ['ParEGO', { acquisition: 'parego' as const, rawSamples: 128 }],
    ['EHVI over the noisy baseline', { noisyBaseline: true, rawSamples: 128, mcSamples: 32 }],
  ])('grows the hypervolume with %s too', async (_name, options) => {
    const s = new MultiObjectiveStrategy(options);
    const obs = observed([0.02, 0.04, 0.06, 0.08, 0.1]);
    const hv = () =>
      hypervolume(
        obs.map((o) => [o.values?.a as number, -(o.values?.b as number)]),
        [0, -1],
      );
    const before = hv();
    for (let k = 0; k < 4; k++) {
      const [p] = await s.ask({ space, objectives, observations: obs, pending: [], n: 1, seed: 4 });
      obs.push({ params: p.params, values: outcome(p.params.x as number) });
    }
    expect(hv()).toBeGreaterThan(before + 0.05);
  });
});

describe('MultiObjectivePoolStrategy', () => {
  it('picks free rows with predictions, a design first', () => {
    const ids = Array.from({ length: 30 }, (_, i) => `r${i}`);
    const X = ids.map((_, i) => [i / 29]);
    const pool = new MultiObjectivePoolStrategy(ids, X, 5, { mcSamples: 32 });
    const ask = (observations: { id: string; values?: Record<string, number> }[], pending: string[]) =>
      pool.ask({ objectives, observations, pending, n: 2, seed: 5 });
    const design = ask([], []);
    expect(design.every((p) => p.predictions === undefined)).toBe(true);
    const obs = [0, 7, 14, 21, 29].map((i) => ({ id: ids[i], values: outcome(i / 29) }));
    const picks = ask(obs, ['r3']);
    expect(picks).toHaveLength(2);
    for (const p of picks) {
      expect(['r0', 'r7', 'r14', 'r21', 'r29', 'r3']).not.toContain(p.id);
      expect(p.predictions?.a).toBeDefined();
    }
    expect(picks[0].id).not.toBe(picks[1].id);
  });

  it('proposes only eligible rows, an observed one again where it is eligible, never a pending one', () => {
    const ids = Array.from({ length: 30 }, (_, i) => `r${i}`);
    const X = ids.map((_, i) => [i / 29]);
    const pool = new MultiObjectivePoolStrategy(ids, X, 5, { mcSamples: 32 });
    const obs = [0, 7, 14, 21, 29].map((i) => ({ id: ids[i], values: outcome(i / 29) }));
    const ask = (eligible: string[], pending: string[], n: number) =>
      pool.ask({ objectives, observations: obs, pending, eligible, n, seed: 5 });
    // Replicates: rows already observed are eligible again; a pending one is not, however eligible.
    const again = ask(['r7', 'r14', 'r21'], ['r14'], 3);
    expect(again.map((p) => p.id).sort()).toEqual(['r21', 'r7']);
    for (const p of again) expect(p.predictions?.b).toBeDefined();
    // Exclusions: rows left out of eligible are never proposed, whatever their value.
    const free = ids.filter((_, i) => i % 2 === 1 && ![7, 21, 29].includes(i));
    const picks = ask(free, [], 6);
    expect(picks).toHaveLength(6);
    for (const p of picks) expect(free).toContain(p.id);
    expect(new Set(picks.map((p) => p.id)).size).toBe(6);
    expect(pool.fit).toEqual(expect.objectContaining({ acquisition: 'ehvi', front: expect.any(Number), mcSamples: 512 }));
  });

  it('scores rows with more base samples than a search, fewer where the rows are many, never fewer than mcSamples', () => {
    const options = resolveMultiObjectiveOptions({});
    expect(poolSamples(options, 1728)).toBe(512);
    expect(poolSamples(options, 4096)).toBe(POOL_SAMPLE_BUDGET / 4096);
    expect(poolSamples(options, 100_000)).toBe(options.mcSamples);
    expect(poolSamples(resolveMultiObjectiveOptions({ mcSamples: 64, poolMcSamples: 64 }), 10)).toBe(64);
  });
});
