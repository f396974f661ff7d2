import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { seededRandom } from '../asktell/random.js';
import {
  dtlz7Hypervolume,
  generateMoInstance,
  MO_FAMILIES,
  MO_KEYS,
  moDriverProblem,
  moInstance,
  moSplit,
  randomMoParams,
  type MoInstance,
} from './multi.js';
import { estimateFront, hypervolume } from './pareto.js';

const recordedSplit = JSON.parse(readFileSync(join(process.cwd(), 'bench', 'suite', 'split-mo.json'), 'utf8')) as {
  tune: string[];
  test: string[];
};

/** The hypervolume by inclusion and exclusion over every subset of the boxes (exact; small sets only). */
function inclusionExclusion(points: number[][], ref: number[]): number {
  const inside = points.filter((p) => p.every((v, i) => v < ref[i]));
  let total = 0;
  for (let mask = 1; mask < 1 << inside.length; mask++) {
    const chosen = inside.filter((_, i) => mask & (1 << i));
    const corner = ref.map((_, i) => Math.max(...chosen.map((p) => p[i])));
    const volume = corner.reduce((v, c, i) => v * (ref[i] - c), 1);
    total += (chosen.length % 2 ? 1 : -1) * volume;
  }
  return total;
}

/** The minimised objective vectors of evaluations that count (no failure, every limit met). */
function counted(instance: MoInstance, params: Record<string, number | string>[]): number[][] {
  const out: number[][] = [];
  for (const p of params) {
    const e = instance.evaluate(p);
    if (!('values' in e)) continue;
    const v = e.values;
    if (!(instance.outcomeConstraints ?? []).every((c) => (c.op === '<=' ? v[c.name] <= c.value : v[c.name] >= c.value))) continue;
    out.push(instance.objectives.map((o) => (o.goal === 'minimize' ? v[o.name] : -v[o.name])));
  }
  return out;
}
const minimisedRef = (instance: MoInstance) => instance.objectives.map((o) => (o.goal === 'minimize' ? o.ref : -o.ref));

describe('hypervolume', () => {
  it('is the area or volume dominated, worked by hand', () => {
    expect(
      hypervolume(
        [
          [1, 2],
          [2, 1],
        ],
        [3, 3],
      ),
    ).toBeCloseTo(3, 12);
    expect(hypervolume([[0, 0, 0]], [1, 2, 3])).toBeCloseTo(6, 12);
    expect(
      hypervolume(
        [
          [0, 0, 1],
          [1, 1, 0],
        ],
        [2, 2, 2],
      ),
    ).toBeCloseTo(5, 12);
    // a point on or beyond the reference counts for nothing, a dominated one adds nothing
    expect(
      hypervolume(
        [
          [3, 0],
          [1, 1],
          [2, 2],
        ],
        [3, 3],
      ),
    ).toBeCloseTo(4, 12);
    expect(hypervolume([], [1, 1])).toBe(0);
  });

  it.each([2, 3, 4])('agrees with inclusion and exclusion on random sets in %i objectives', (m) => {
    const r = seededRandom(`hv/${m}`);
    for (let trial = 0; trial < 20; trial++) {
      const points = Array.from({ length: 2 + (trial % 7) }, () => Array.from({ length: m }, () => r()));
      const ref = Array.from({ length: m }, () => 0.8 + 0.4 * r());
      expect(hypervolume(points, ref)).toBeCloseTo(inclusionExclusion(points, ref), 10);
    }
  });

  it('gives DTLZ7 the front of its closed form, checked by Monte Carlo', () => {
    // the dominated volume in [0, 1.1]^2 x [0, 6.6]: y3 >= 6 - Ψ(y1) - Ψ(y2), Ψ the running max of x (1 + sin 3πx)
    const r = seededRandom('dtlz7/mc');
    const grid = 4000;
    const running: number[] = [0];
    for (let i = 1; i <= grid; i++) running.push(Math.max(running[i - 1], (i / grid) * (1 + Math.sin((3 * Math.PI * i) / grid))));
    const psiMax = (y: number) => running[Math.floor(Math.min(y, 1) * grid)];
    let hits = 0;
    const n = 20_000;
    for (let i = 0; i < n; i++) {
      const y = [1.1 * r(), 1.1 * r(), 6.6 * r()];
      if (y[2] >= 6 - psiMax(y[0]) - psiMax(y[1])) hits++;
    }
    const box = 1.1 * 1.1 * 6.6;
    const se = box * Math.sqrt(((hits / n) * (1 - hits / n)) / n);
    expect(Math.abs(dtlz7Hypervolume(3) - (box * hits) / n)).toBeLessThan(4 * se);
  });
});

describe('the several-objective suite', () => {
  it('has at least 12 instances in four families, with 2 to 4 objectives, a limit, failures and a pool', () => {
    const instances = MO_KEYS.map(moInstance);
    expect(instances.length).toBeGreaterThanOrEqual(12);
    expect(new Set(instances.map((i) => i.family))).toEqual(new Set(Object.keys(MO_FAMILIES)));
    expect(new Set(instances.map((i) => i.objectives.length))).toEqual(new Set([2, 3, 4]));
    expect(instances.some((i) => i.outcomeConstraints?.length)).toBe(true);
    expect(instances.some((i) => i.failing)).toBe(true);
    expect(instances.some((i) => i.pool && i.pool.length > 1000)).toBe(true);
    expect(new Set(instances.map((i) => i.name)).size).toBe(instances.length);
  });

  it('generates the same instance from the same family and seed, and another from another seed', () => {
    for (const key of ['manyobj-1', 'gppair-1', 'mixedlimit-2', 'ocm-1']) {
      const [a, b] = [generateMoInstance(key), generateMoInstance(key)];
      expect([b.name, b.parameters, b.objectives, b.optimum, b.outcomeConstraints]).toEqual([
        a.name,
        a.parameters,
        a.objectives,
        a.optimum,
        a.outcomeConstraints,
      ]);
      const r = seededRandom(`same/${key}`);
      for (let n = 0; n < 20; n++) {
        const p = randomMoParams(a, r);
        expect(b.evaluate(p)).toEqual(a.evaluate(p));
      }
    }
    for (const family of Object.keys(MO_FAMILIES)) {
      const [a, b] = [moInstance(`${family}-0`), moInstance(`${family}-1`)];
      expect([b.name, b.objectives, b.optimum]).not.toEqual([a.name, a.objectives, a.optimum]);
    }
    expect(() => moInstance('gppair-9')).toThrow(/no several-objective instance "gppair-9"/);
    expect(() => moInstance('gppair-0-d2')).toThrow(/is named gppair-0-d5/);
  });

  it.each(MO_KEYS)('no set of 400 random points beats the stated best hypervolume: %s', (key) => {
    const instance = moInstance(key);
    const r = seededRandom(`mo-random/${key}`);
    const points = counted(
      instance,
      Array.from({ length: 400 }, () => randomMoParams(instance, r)),
    );
    const hv = hypervolume(points, minimisedRef(instance));
    expect(hv).toBeLessThanOrEqual(instance.optimum * (1 + 1e-9));
    expect(instance.optimum).toBeGreaterThan(0);
  });

  it('attains the closed-form best hypervolume with points of the known Pareto set', () => {
    for (const key of MO_KEYS.filter((k) => k.startsWith('manyobj-'))) {
      const instance = moInstance(key);
      const r = seededRandom(`front/${key}`);
      const m = instance.objectives.length;
      const points = counted(
        instance,
        Array.from({ length: m === 3 ? 1500 : 250 }, () => instance.paretoPoint!(r)),
      );
      const ratio = hypervolume(points, minimisedRef(instance)) / instance.optimum;
      expect(ratio).toBeLessThanOrEqual(1 + 1e-9);
      expect(ratio).toBeGreaterThan(m === 3 ? 0.95 : 0.75);
    }
  });

  it('estimates the best hypervolume of the generated fronts within 1 % of a cheaper estimate', () => {
    const instance = moInstance('gppair-1');
    const d = instance.parameters.length;
    const signs = instance.objectives.map((o) => (o.goal === 'minimize' ? 1 : -1));
    const cheaper = estimateFront(
      (u) => {
        const p = Object.fromEntries(instance.parameters.map((q, i) => [q.name, 'low' in q ? q.low + u[i] * (q.high - q.low) : '']));
        const e = instance.evaluate(p);
        return 'values' in e ? instance.objectives.map((o, i) => signs[i] * e.values[o.name]) : null;
      },
      d,
      minimisedRef(instance),
      seededRandom('cheaper'),
      { samples: 4000, directions: 16 },
    );
    expect(cheaper.hypervolume).toBeLessThanOrEqual(instance.optimum * 1.01);
    expect(cheaper.hypervolume).toBeGreaterThan(instance.optimum * 0.97);
  });

  it('puts a limit that a good share of the box breaks, and a failing region, in the mixed family', () => {
    for (const key of MO_KEYS.filter((k) => k.startsWith('mixedlimit-'))) {
      const instance = moInstance(key);
      const r = seededRandom(`limit/${key}`);
      const evaluations = Array.from({ length: 400 }, () => instance.evaluate(randomMoParams(instance, r)));
      const failed = evaluations.filter((e) => !('values' in e)).length;
      const limit = instance.outcomeConstraints![0];
      const broken = evaluations.filter((e) => 'values' in e && e.values[limit.name] > limit.value).length;
      expect(failed).toBeGreaterThan(20);
      expect(broken / (400 - failed)).toBeGreaterThan(0.2);
      expect(broken / (400 - failed)).toBeLessThan(0.65);
    }
  });

  it('scores a pool by its own front, from the real runs', () => {
    const instance = moInstance('ocm-1');
    const pool = instance.pool!;
    expect(pool.length).toBeGreaterThan(4000);
    const all = counted(
      instance,
      pool.map((row) => ({ id: row.id })),
    );
    expect(hypervolume(all, minimisedRef(instance))).toBeCloseTo(instance.optimum, 9);
    // the source's best C2 yield over all 59 catalysts is 21.03 %
    const yields = pool.map((row) => (instance.evaluate({ id: row.id }) as { values: Record<string, number> }).values.c2_yield);
    expect(Math.max(...yields)).toBeLessThanOrEqual(21.03);
    expect(Math.max(...yields)).toBeGreaterThan(5);
    expect(pool.every((row) => Object.keys(row.params).length === 5 && Number.isFinite(row.features.temperature_c))).toBe(true);
    expect(() => instance.evaluate({ id: 'nosuch' })).toThrow(/no pool row "nosuch"/);
    const driver = moDriverProblem(instance);
    expect(driver).toMatchObject({ name: instance.name, pool, optimum: instance.optimum, budget: 40 });
  });

  it('keeps the recorded split: half of each family for tuning, the other half for testing', () => {
    expect(moSplit()).toEqual(recordedSplit);
    for (const family of Object.keys(MO_FAMILIES)) {
      const of = (names: string[]) => names.filter((n) => n.startsWith(`${family}-`)).length;
      expect(of(recordedSplit.tune)).toBe(MO_FAMILIES[family] / 2);
      expect(of(recordedSplit.test)).toBe(MO_FAMILIES[family] / 2);
    }
  });
});
