import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { seededRandom } from '../asktell/random.js';
import { runOne } from '../asktell/session.js';
import { compare } from './compare.js';
import { driverProblem, FAMILIES, generateInstance, randomParams, settingOf, suiteInstance, suiteSplit, SUITE_KEYS } from './suite.js';

const recordedSplit = JSON.parse(readFileSync(join(process.cwd(), 'bench', 'suite', 'split.json'), 'utf8')) as {
  tune: string[];
  test: string[];
};
const valueOf = (instance: ReturnType<typeof suiteInstance>, params: Record<string, number | string>) => {
  const e = instance.evaluate(params);
  return 'values' in e ? e.values[instance.objective.name] : null;
};

describe('the generated suite', () => {
  it('has at least 60 instances over every family, from 2 to 16 parameters, in every setting', () => {
    expect(SUITE_KEYS.length).toBeGreaterThanOrEqual(60);
    const instances = SUITE_KEYS.map(suiteInstance);
    expect(new Set(instances.map((i) => i.family))).toEqual(new Set(Object.keys(FAMILIES)));
    const dims = instances.map((i) => i.parameters.length);
    expect(Math.min(...dims)).toBe(2);
    expect(Math.max(...dims)).toBe(16);
    expect(new Set(instances.map((i) => settingOf(i).folder))).toEqual(new Set(['q1', 'q4', 'q8', 'p4']));
    expect(instances.filter((i) => i.noisy).length).toBeGreaterThan(5);
    expect(instances.filter((i) => i.failing).length).toBeGreaterThan(5);
    expect(new Set(instances.map((i) => i.name)).size).toBe(instances.length);
  });

  it('generates the same instance from the same family and seed, and another from another seed', () => {
    for (const key of ['ackley-3', 'gp-2', 'mixed-1', 'reaction-0', 'composition-2']) {
      const a = generateInstance(key);
      const b = generateInstance(key);
      expect(b.name).toBe(a.name);
      expect(b.parameters).toEqual(a.parameters);
      expect(b.optimum).toBe(a.optimum);
      expect(b.noiseSd).toBe(a.noiseSd);
      const r = seededRandom(`same/${key}`);
      for (let n = 0; n < 20; n++) {
        const p = randomParams(a.parameters, r);
        expect(valueOf(b, p)).toBe(valueOf(a, p));
      }
    }
    for (const family of Object.keys(FAMILIES)) {
      const [a, b] = [suiteInstance(`${family}-0`), suiteInstance(`${family}-1`)];
      expect([b.name, b.parameters, b.optimum, b.argmax]).not.toEqual([a.name, a.parameters, a.optimum, a.argmax]);
    }
  });

  it('finds an instance by its key or its full name, and refuses another name', () => {
    const i = suiteInstance('levy-2');
    expect(suiteInstance(i.name)).toBe(i);
    expect(() => suiteInstance('levy-2-d9')).toThrow(/is named levy-2-d2/);
    expect(() => suiteInstance('nosuch-1')).toThrow(/no suite instance "nosuch-1"/);
  });

  it.each(Object.keys(FAMILIES))('holds its optimum claims on sampled points: %s', (family) => {
    for (const key of SUITE_KEYS.filter((k) => k.startsWith(`${family}-`))) {
      const instance = suiteInstance(key);
      const sign = instance.objective.goal === 'minimize' ? 1 : -1;
      const tolerance = 1e-9 * Math.max(1, Math.abs(instance.optimum));
      // No sampled point beats the optimum.
      const r = seededRandom(`claims/${key}`);
      let evaluated = 0;
      for (let n = 0; n < 400; n++) {
        const v = valueOf(instance, randomParams(instance.parameters, r));
        if (v === null) continue;
        evaluated++;
        expect(sign * (v - instance.optimum)).toBeGreaterThanOrEqual(-tolerance);
      }
      expect(evaluated).toBeGreaterThan(200);
      // The stated point is feasible, inside the box, and attains it.
      const at = instance.argmax!;
      for (const p of instance.parameters) {
        if (p.type === 'categorical') expect(p.choices).toContain(at[p.name]);
        else {
          expect(at[p.name]).toBeGreaterThanOrEqual(p.low);
          expect(at[p.name]).toBeLessThanOrEqual(p.high);
          if (p.type === 'integer') expect(Number.isInteger(at[p.name])).toBe(true);
        }
      }
      const v = valueOf(instance, at);
      expect(v).not.toBeNull();
      expect(Math.abs(v! - instance.optimum)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(instance.optimum)));
      // A small step from the stated point is no better (a local optimum at least).
      for (const p of instance.parameters.filter((q) => q.type === 'continuous')) {
        for (const step of [-1e-4, 1e-4]) {
          if (p.type !== 'continuous') continue;
          const x = Math.min(p.high, Math.max(p.low, (at[p.name] as number) + step * (p.high - p.low)));
          const w = valueOf(instance, { ...at, [p.name]: x });
          if (w !== null) expect(sign * (w - instance.optimum)).toBeGreaterThanOrEqual(-tolerance);
        }
      }
    }
  });

  it('is split once, by seed within each family, into halves that match split.json', () => {
    const { tune, test } = suiteSplit();
    expect(tune.map((k) => suiteInstance(k).name)).toEqual(recordedSplit.tune);
    expect(test.map((k) => suiteInstance(k).name)).toEqual(recordedSplit.test);
    expect(new Set([...tune, ...test])).toEqual(new Set(SUITE_KEYS));
    expect(tune.filter((k) => test.includes(k))).toEqual([]);
    for (const [family, n] of Object.entries(FAMILIES)) {
      expect(test.filter((k) => k.startsWith(`${family}-`))).toHaveLength(Math.floor(n / 2));
    }
  });

  it("gives the outside driver's problem shape with the same function", () => {
    const instance = suiteInstance('gp-4');
    const module = driverProblem(instance) as {
      objectives: unknown[];
      noise?: { sd: number };
      evaluate: typeof instance.evaluate;
      name: string;
    };
    expect(module.name).toBe(instance.name);
    expect(module.objectives).toEqual([instance.objective]);
    expect(module.noise).toEqual({ sd: instance.noiseSd });
    const p = randomParams(instance.parameters, seededRandom('driver'));
    expect(module.evaluate(p)).toEqual(instance.evaluate(p));
  });
});

describe('a suite run with pending evaluations', () => {
  // The optimizer runs from dist/ (npm test builds first).
  const ourOptimizer = `"${process.execPath}" "${join(process.cwd(), 'dist', 'libs', 'optimizer', 'src', 'cli', 'asktell.js')}"`;

  it('keeps the evaluations in flight, asks for each one freed, and spends the budget', async () => {
    const problem = suiteInstance('gp-5');
    expect(problem.pending).toBe(4);
    const record = await runOne(problem, { optimizer: ourOptimizer, seed: 0, budget: 8, batch: 1, pending: 4, timeoutMs: 60_000 });
    expect(record.error).toBeUndefined();
    expect(record.pending).toBe(4);
    expect(record.evaluations).toHaveLength(8);
    expect(record.askMs).toHaveLength(8);
    const best =
      problem.objective.goal === 'minimize'
        ? Math.min(...record.evaluations.map((e) => e.noiseless!))
        : Math.max(...record.evaluations.map((e) => e.noiseless!));
    expect(record.finalBest).toBe(best);
  });
});

describe('compare', () => {
  const runs = (problem: string, values: number[], askMs = 10) =>
    values.map((v, seed) => ({ problem, seed, log10Regret: v, askMs: [askMs] }));

  it('counts a difference within the larger interquartile range as a tie, and ranks per problem', () => {
    const c = compare({
      a: [...runs('p1', [-3, -3, -3]), ...runs('p2', [-1, -1, -1]), ...runs('p3', [-2, -1, 0])],
      b: [...runs('p1', [-1, -1, -1], 100), ...runs('p2', [-2, -2, -2], 100), ...runs('p3', [-1.5, -1.4, -1.3], 100)],
    });
    expect(c.problems).toEqual(['p1', 'p2', 'p3']);
    expect(c.versus[0]).toMatchObject({ other: 'b', wins: 1, ties: 1, losses: 1 });
    expect(c.versus[0].medianDifference).toBeCloseTo(0.4, 12);
    expect(c.meanRank.a).toBeCloseTo(5 / 3, 12);
    expect(c.meanRank.b).toBeCloseTo(4 / 3, 12);
    expect(c.medianAskMs).toEqual({ a: 10, b: 100 });
  });

  it('compares only the seeds both finished, and a problem only where both finished one', () => {
    const c = compare({
      a: [...runs('p1', [-3, -3, 5]), ...runs('p2', [0])],
      b: [
        ...runs('p1', [-1, -1]),
        { problem: 'p1', seed: 2, log10Regret: null, askMs: [], error: 'timeout' },
        { problem: 'p2', seed: 0, log10Regret: null, askMs: [], error: 'crash' },
      ],
    });
    expect(c.problems).toEqual(['p1']);
    expect(c.stats.a.p1).toMatchObject({ runs: 2, failed: 0, median: -3 });
    expect(c.stats.b.p1).toMatchObject({ runs: 3, failed: 1, median: -1 });
  });
});
