import { Rng } from '#random';
import {
  ackley,
  benchmarkFunctions,
  branin,
  checkParams,
  flowReactor,
  getBenchmark,
  getMultiBenchmark,
  hartmann6,
  levy,
  rosenbrock,
} from './functions.js';

describe('benchmark functions', () => {
  it('Branin is 0.397887 at its three minimisers and matches a hand value', () => {
    expect(branin.minimizers).toHaveLength(3);
    for (const x of branin.minimizers) expect(branin.evaluate(x)).toBeCloseTo(0.397887, 6);
    // f(0, 0) = 36 + 10 (1 - 1/(8π)) + 10 = 56 - 10/(8π)
    expect(branin.evaluate({ x1: 0, x2: 0 })).toBeCloseTo(56 - 10 / (8 * Math.PI), 12);
    expect(branin.parameters).toEqual([
      { name: 'x1', type: 'continuous', low: -5, high: 10 },
      { name: 'x2', type: 'continuous', low: 0, high: 15 },
    ]);
  });

  it('Hartmann6 is -3.32237 at its minimiser, which is a local minimum', () => {
    const xStar = hartmann6.minimizers[0];
    const fStar = hartmann6.evaluate(xStar);
    expect(fStar).toBeCloseTo(-3.32237, 5);
    for (const name of Object.keys(xStar)) {
      for (const h of [-1e-3, 1e-3]) expect(hartmann6.evaluate({ ...xStar, [name]: xStar[name] + h })).toBeGreaterThan(fStar);
    }
    expect(hartmann6.parameters.map((p) => [p.name, p.low, p.high])).toEqual([1, 2, 3, 4, 5, 6].map((i) => [`x${i}`, 0, 1]));
  });

  it('Ackley, Rosenbrock and Levy have hand-computed values', () => {
    expect(ackley(3).evaluate({ x1: 0, x2: 0, x3: 0 })).toBeCloseTo(0, 14);
    // -20 e^{-0.2} - e^{cos 2π} + 20 + e = 20 (1 - e^{-0.2})
    expect(ackley(2).evaluate({ x1: 1, x2: 1 })).toBeCloseTo(20 * (1 - Math.exp(-0.2)), 12);
    expect(rosenbrock(3).evaluate({ x1: 1, x2: 1, x3: 1 })).toBe(0);
    expect(rosenbrock(3).evaluate({ x1: 0, x2: 0, x3: 0 })).toBe(2);
    expect(rosenbrock(2).evaluate({ x1: -1, x2: 1 })).toBe(4);
    expect(levy(4).evaluate({ x1: 1, x2: 1, x3: 1, x4: 1 })).toBeCloseTo(0, 14);
    expect(levy(2).evaluate({ x1: 0, x2: 0 })).toBeCloseTo(0.7158445541169746, 12);
  });

  it('no random point of any registered function goes below its optimum', () => {
    const rng = new Rng(42);
    for (const fn of Object.values(benchmarkFunctions)) {
      for (const xStar of fn.minimizers) expect(fn.evaluate(xStar)).toBeCloseTo(fn.optimum, 5);
      for (let i = 0; i < 500; i++) {
        const x = Object.fromEntries(fn.parameters.map((p) => [p.name, p.low + (p.high - p.low) * rng.next()]));
        expect(fn.evaluate(x)).toBeGreaterThanOrEqual(fn.optimum - 1e-9);
      }
    }
  });

  it('getBenchmark finds registered names and d-dimensional families, and lists known names otherwise', () => {
    expect(getBenchmark('branin')).toBe(branin);
    expect(getBenchmark('Hartmann6')).toBe(hartmann6);
    expect(getBenchmark('levy7').parameters).toHaveLength(7);
    expect(getBenchmark('rosenbrock10').evaluate(Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`x${i + 1}`, 1])))).toBe(0);
    expect(() => getBenchmark('sphere')).toThrow(/unknown benchmark function "sphere": known are branin, hartmann6, ackley2/);
    expect(() => getBenchmark('rosenbrock1')).toThrow(/at least 2/);
  });

  it('evaluate throws a clear error on a missing coordinate', () => {
    expect(() => branin.evaluate({ x1: 1 })).toThrow('branin: parameter "x2" must be a finite number, got undefined');
  });

  it('checkParams names the missing, non-numeric or out-of-range parameter', () => {
    expect(checkParams(branin, { x1: 1, x2: 2, extra: 'ignored' })).toEqual({ ok: true, x: { x1: 1, x2: 2 } });
    expect(checkParams(branin, { x1: 1 })).toEqual({ ok: false, reason: 'missing parameter "x2" (branin needs x1, x2)' });
    expect(checkParams(branin, { x1: 'a', x2: 2 })).toEqual({ ok: false, reason: 'parameter "x1" must be a number, got "a"' });
    expect(checkParams(branin, { x1: 11, x2: 2 })).toEqual({ ok: false, reason: 'parameter "x1" = 11 is outside [-5, 10]' });
    expect(checkParams(branin, { x1: 10, x2: 0 }).ok).toBe(true); // bounds are inclusive
  });
});

describe('the flow reactor (two objectives and a limit)', () => {
  it('matches the closed form by hand at 90 °C', () => {
    // k1 = 0.15, k2 = 0.01 at 90 °C; t = 10: [A] = e^-1.5, [B] = 0.15/(0.01 - 0.15) (e^-1.5 - e^-0.1).
    const a = Math.exp(-1.5);
    const b = (0.15 / (0.01 - 0.15)) * (a - Math.exp(-0.1));
    const v = flowReactor.evaluate({ temperature: 90, residence_time: 10 });
    expect(v.yield).toBeCloseTo(100 * b, 10);
    expect(v.impurity).toBeCloseTo(100 * (1 - a - b), 10);
    expect(v.cost).toBeCloseTo(0.5 * 10 + 0.05 * 50, 10);
  });

  it('trades yield against cost, and the limit cuts off the hot, long runs', () => {
    const cheap = flowReactor.evaluate({ temperature: 60, residence_time: 2 });
    const long = flowReactor.evaluate({ temperature: 90, residence_time: 30 });
    expect(long.yield).toBeGreaterThan(cheap.yield);
    expect(long.cost).toBeGreaterThan(cheap.cost);
    expect(long.impurity).toBeGreaterThan(5);
    expect(flowReactor.evaluate({ temperature: 140, residence_time: 30 }).impurity).toBeGreaterThan(50);
    expect(getMultiBenchmark('FlowReactor')).toBe(flowReactor);
  });
});
