import { join } from 'node:path';
import { problemByName, PROBLEM_NAMES } from './problems.js';
import { REGRET_FLOOR, runOne } from './session.js';

const ourOptimizer = `"${process.execPath}" "${join(process.cwd(), 'dist', 'libs', 'optimizer', 'src', 'cli', 'asktell.js')}"`;
const settings = { seed: 0, budget: 4, batch: 1, timeoutMs: 60_000 };
const ones = (d: number) => Object.fromEntries(Array.from({ length: d }, (_, i) => [`x${i + 1}`, 1]));

describe('the ask/tell benchmark problems', () => {
  it('reach their stated optima where the minimisers are known', () => {
    const at = (name: string, params: Record<string, number>) => {
      const e = problemByName(name).evaluate(params);
      return 'values' in e ? e.values.y : NaN;
    };
    expect(at('branin', { x1: Math.PI, x2: 2.275 })).toBeCloseTo(problemByName('branin').optimum, 6);
    expect(at('ackley10', Object.fromEntries(Object.keys(ones(10)).map((k) => [k, 0])))).toBeCloseTo(0, 10);
    expect(at('rosenbrock4', ones(4))).toBe(0);
    expect(at('levy6', ones(6))).toBeCloseTo(0, 10);
    expect(problemByName('hartmann6_infeasible').evaluate(ones(6))).toEqual({ values: { y: expect.any(Number) } });
    expect(problemByName('hartmann6_infeasible').evaluate({ ...ones(6), x1: 0, x2: 0, x3: 0 })).toEqual({ failed: true });
  });

  it('generate the same pool and optima as the outside benchmark states', () => {
    const pool = problemByName('pool_activity');
    expect(pool.pool).toHaveLength(300);
    expect(pool.optimum).toBeCloseTo(7.0694, 4);
    expect(problemByName('branin_mixed').optimum).toBeCloseTo(0.018803, 6);
    expect(PROBLEM_NAMES).toEqual([
      'branin',
      'hartmann6',
      'ackley10',
      'rosenbrock4',
      'levy6',
      'branin_mixed',
      'hartmann6_infeasible',
      'pool_activity',
    ]);
  });
});

describe('runOne', () => {
  // The optimizer runs from dist/ (npm test builds first).
  it("runs the repository's optimizer to its budget and scores the best noiseless value", async () => {
    const record = await runOne(problemByName('branin'), { optimizer: ourOptimizer, ...settings });
    expect(record.error).toBeUndefined();
    expect(record.evaluations).toHaveLength(4);
    const best = Math.min(...record.evaluations.map((e) => e.noiseless!));
    expect(record.finalBest).toBe(best);
    expect(record.finalLog10Regret).toBeCloseTo(Math.log10(Math.max(best - record.optimum, REGRET_FLOOR)), 12);
    expect(record.askMs).toHaveLength(4);
  });

  it('fails a run whose optimizer prints something other than a reply, with the reason', async () => {
    const record = await runOne(problemByName('branin'), { optimizer: `"${process.execPath}" -e "console.log('hello')"`, ...settings });
    expect(record.error).toMatch(/not JSON: hello/);
    expect(record.finalLog10Regret).toBeNull();
  });

  it('fails a run whose optimizer proposes a point outside the box', async () => {
    const script = `process.stdin.on('data', (d) => { for (const l of String(d).split('\\\\n').filter(Boolean)) console.log(JSON.parse(l).op === 'ask' ? '{"candidates":[{"x1":99,"x2":1}]}' : '{"ok":true}'); })`;
    const record = await runOne(problemByName('branin'), {
      optimizer: `"${process.execPath}" -e "${script.replace(/"/g, '\\"')}"`,
      ...settings,
    });
    expect(record.error).toMatch(/parameter "x1" = 99 is not valid/);
  });
});
