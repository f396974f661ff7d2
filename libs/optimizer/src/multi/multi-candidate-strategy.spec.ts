import { Rng } from '#random';
import { Space } from '../space.js';
import { hypervolume } from './hypervolume.js';
import { MultiObjectiveTreesStrategy, type MultiCandidateOptions } from './multi-candidate-strategy.js';
import type { MultiObservation } from './multi-strategy.js';

// ZDT1 in three dimensions, both minimised: f1 = x1, f2 = g (1 - sqrt(x1 / g)), g = 1 + 9 mean((x2, x3) - 0.3)².
// The front is g = 1 (x2 = x3 = 0.3); a uniform draw rarely comes close. c = x1 + x2 is limited where a limit is set.
const space = Space.parse(['x1', 'x2', 'x3'].map((name) => ({ name, type: 'continuous', low: 0, high: 1 })));
function zdt(p: Record<string, unknown>): Record<string, number> {
  const [x1, x2, x3] = ['x1', 'x2', 'x3'].map((k) => p[k] as number);
  const g = 1 + 9 * (((x2 - 0.3) ** 2 + (x3 - 0.3) ** 2) / 2);
  return { f1: x1, f2: g * (1 - Math.sqrt(x1 / g)), c: x1 + x2 };
}
const objectives = [
  { name: 'f1', direction: 'minimize' as const, ref: 1.1 },
  { name: 'f2', direction: 'minimize' as const, ref: 4 },
];
const hv = (obs: MultiObservation[], ok: (v: Record<string, number>) => boolean = () => true) =>
  hypervolume(
    obs.filter((o) => o.values && ok(o.values)).map((o) => [-(o.values?.f1 as number), -(o.values?.f2 as number)]),
    [-1.1, -4],
  );
const fast: MultiCandidateOptions = { rawSamples: 1024, perturbations: 32, localCentres: 8, mcSamples: 64 };
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];

describe('MultiObjectiveTreesStrategy', () => {
  it('reaches a larger hypervolume than uniform draws in the same budget over seeds', async () => {
    // Branin-Currin (both minimised on [0,1]², reference point (18, 6)), 40 evaluations, seeds 0 to 4.
    const square = Space.parse(['x1', 'x2'].map((name) => ({ name, type: 'continuous', low: 0, high: 1 })));
    const bc = (p: Record<string, unknown>) => {
      const [u, v] = [p.x1 as number, p.x2 as number];
      const [a, b] = [15 * u - 5, 15 * v];
      const branin =
        (b - (5.1 / (4 * Math.PI ** 2)) * a * a + (5 / Math.PI) * a - 6) ** 2 + 10 * (1 - 1 / (8 * Math.PI)) * Math.cos(a) + 10;
      const currin =
        ((1 - Math.exp(-1 / (2 * Math.max(v, 1e-9)))) * (2300 * u ** 3 + 1900 * u * u + 2092 * u + 60)) /
        (100 * u ** 3 + 500 * u * u + 4 * u + 20);
      return { branin, currin };
    };
    const goals = [
      { name: 'branin', direction: 'minimize' as const, ref: 18 },
      { name: 'currin', direction: 'minimize' as const, ref: 6 },
    ];
    const volume = (vals: Record<string, number>[]) =>
      hypervolume(
        vals.map((v) => [-v.branin, -v.currin]),
        [-18, -6],
      );
    const trees: number[] = [];
    const uniform: number[] = [];
    for (const seed of [0, 1, 2, 3, 4]) {
      const s = new MultiObjectiveTreesStrategy(fast);
      const obs: MultiObservation[] = [];
      while (obs.length < 40) {
        const [p] = await s.ask({ space: square, objectives: goals, observations: obs, pending: [], n: 1, seed });
        obs.push({ params: p.params, values: bc(p.params) });
      }
      trees.push(volume(obs.map((o) => o.values as Record<string, number>)));
      const rng = new Rng(seed);
      uniform.push(volume(Array.from({ length: 40 }, () => bc({ x1: rng.next(), x2: rng.next() }))));
    }
    // Best possible: 59.36. Uniform draws seldom reach inside the reference point at all.
    expect(median(trees)).toBeGreaterThan(1.5 * median(uniform));
    expect(trees.filter((t, k) => t > uniform[k]).length).toBeGreaterThanOrEqual(3);
  }, 120_000);

  it('keeps to an outcome limit it learns, records every prediction and the reference point', async () => {
    const s = new MultiObjectiveTreesStrategy(fast);
    const rng = new Rng(7);
    const obs: MultiObservation[] = Array.from({ length: 40 }, () => {
      const params = { x1: rng.next(), x2: rng.next(), x3: rng.next() };
      return { params, values: zdt(params) };
    });
    const constraints = [{ name: 'c', op: '<=' as const, value: 0.6 }];
    const out = await s.ask({ space, objectives, constraints, observations: obs, pending: [], n: 4, seed: 3 });
    expect(out).toHaveLength(4);
    for (const p of out) {
      expect(zdt(p.params).c).toBeLessThan(0.75);
      expect(Object.keys(p.predictions ?? {}).sort()).toEqual(['c', 'f1', 'f2']);
      expect(p.acquisition).toEqual(expect.any(Number));
    }
    expect(s.info.name).toBe('bayesian/extra-trees-multi-objective');
    expect(s.info.settings.fit).toMatchObject({ acquisition: 'ehvi', refSource: 'given', ref: [1.1, 4] });
  });

  it('infers the reference point when none is given', async () => {
    const s = new MultiObjectiveTreesStrategy(fast);
    const xs = [0.1, 0.3, 0.5, 0.7, 0.9];
    const obs = xs.map((x) => ({ params: { x1: x, x2: x, x3: x }, values: zdt({ x1: x, x2: x, x3: x }) }));
    await s.ask({ space, objectives: objectives.map(({ ref: _r, ...o }) => o), observations: obs, pending: [], n: 1, seed: 1 });
    const fit = s.info.settings.fit as { ref: number[]; refSource: string };
    // f1: worst 0.9, range 0.8, so 0.9 + 0.08.
    expect(fit.ref[0]).toBeCloseTo(0.98, 12);
    expect(fit.refSource).toMatch(/^inferred/);
  });

  it('spreads a batch: no two picks alike, none at a pending point or near it', async () => {
    const s = new MultiObjectiveTreesStrategy({ ...fast, penaltyRadius: 0.1 });
    const rng = new Rng(11);
    const obs: MultiObservation[] = Array.from({ length: 30 }, () => {
      const params = { x1: rng.next(), x2: rng.next(), x3: rng.next() };
      return { params, values: zdt(params) };
    });
    const first = await s.ask({ space, objectives, observations: obs, pending: [], n: 1, seed: 5 });
    const pending = [first[0].params];
    const out = await s.ask({ space, objectives, observations: obs, pending, n: 4, seed: 5 });
    const points = [...out.map((p) => p.params), ...pending].map((p) => ['x1', 'x2', 'x3'].map((k) => p[k] as number));
    const rms = (a: number[], b: number[]) => Math.sqrt(a.reduce((t, v, i) => t + (v - b[i]) ** 2, 0) / a.length);
    for (let i = 0; i < points.length; i++) for (let j = 0; j < i; j++) expect(rms(points[i], points[j])).toBeGreaterThan(0.02);
  });

  it('learns where runs fail and proposes away from there', async () => {
    const s = new MultiObjectiveTreesStrategy(fast);
    const rng = new Rng(13);
    // Runs with x1 > 0.5 fail.
    const obs: MultiObservation[] = Array.from({ length: 40 }, () => {
      const params = { x1: rng.next(), x2: rng.next(), x3: rng.next() };
      return params.x1 > 0.5 ? { params, failed: true } : { params, values: zdt(params) };
    });
    const out = await s.ask({ space, objectives, observations: obs, pending: [], n: 3, seed: 2 });
    for (const p of out) expect(p.params.x1 as number).toBeLessThan(0.55);
  });

  it('takes ParEGO scalarisations where asked, and still improves', async () => {
    const s = new MultiObjectiveTreesStrategy({ ...fast, acquisition: 'parego' });
    const rng = new Rng(17);
    const obs: MultiObservation[] = Array.from({ length: 10 }, () => {
      const params = { x1: rng.next(), x2: rng.next(), x3: rng.next() };
      return { params, values: zdt(params) };
    });
    const before = hv(obs);
    for (let k = 0; k < 12; k++) {
      const [p] = await s.ask({ space, objectives, observations: obs, pending: [], n: 1, seed: 1 });
      obs.push({ params: p.params, values: zdt(p.params) });
    }
    expect(s.info.settings.fit).toMatchObject({ acquisition: 'parego' });
    expect(hv(obs)).toBeGreaterThan(before + 0.1);
  }, 30_000);
});
