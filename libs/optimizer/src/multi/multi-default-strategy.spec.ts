import { Rng } from '#random';
import { Space } from '../space.js';
import { estimatedGpAskMs, estimatedMultiGpAskMs } from '../bo/gp-cost.js';
import { MultiObjectiveDefaultStrategy } from './multi-default-strategy.js';
import { MultiObjectiveTreesStrategy } from './multi-candidate-strategy.js';
import { MultiObjectiveStrategy } from './multi-strategy.js';

const D = 6;
const space = Space.parse(Array.from({ length: D }, (_, i) => ({ name: `x${i}`, type: 'continuous', low: 0, high: 1 })));
const objectives = [
  { name: 'f0', direction: 'minimize' as const, ref: 2 },
  { name: 'f1', direction: 'minimize' as const, ref: 2 },
];
function observations(n: number) {
  const rng = new Rng(n);
  return Array.from({ length: n }, () => {
    const params = Object.fromEntries(Array.from({ length: D }, (_, i) => [`x${i}`, rng.next()]));
    const g = Array.from({ length: D - 1 }, (_, i) => ((params[`x${i + 1}`] as number) - 0.5) ** 2).reduce((a, b) => a + b, 0);
    const t = ((params.x0 as number) * Math.PI) / 2;
    return { params, values: { f0: (1 + g) * Math.cos(t), f1: (1 + g) * Math.sin(t) } };
  });
}

describe('MultiObjectiveDefaultStrategy', () => {
  it('counts the part of a GP ask that grows with the data once per outcome', () => {
    const fixed = estimatedGpAskMs(0, D, 1);
    expect(estimatedMultiGpAskMs(300, D, 1, 1)).toBeCloseTo(estimatedGpAskMs(300, D, 1), 9);
    expect(estimatedMultiGpAskMs(300, D, 1, 3) - fixed).toBeCloseTo(3 * (estimatedGpAskMs(300, D, 1) - fixed), 9);
  });

  it('keeps the GPs to about 1,000 results for two objectives in 6-D, fewer with more outcomes', () => {
    const s = new MultiObjectiveDefaultStrategy();
    expect(s.choose(900, D, 1, 2)).toBeInstanceOf(MultiObjectiveStrategy);
    expect(s.choose(1100, D, 1, 2)).toBeInstanceOf(MultiObjectiveTreesStrategy);
    expect(s.choose(900, D, 1, 3)).toBeInstanceOf(MultiObjectiveTreesStrategy);
  });

  it('keeps the GPs while their ask is estimated within its budget, then goes to the trees, and says which and why', async () => {
    const s = new MultiObjectiveDefaultStrategy({
      gpBudgetMs: 2000,
      gp: { rawSamples: 64, mcSamples: 16, starts: 2 },
      trees: { rawSamples: 512, perturbations: 32 },
    });
    const few = observations(12);
    await s.ask({ space, objectives, observations: few, pending: [], n: 1, seed: 1 });
    expect(s.info.name).toBe('bayesian/multi-objective');
    expect(s.info.settings).toMatchObject({ chosenBy: 'default', gpBudgetMs: 2000 });
    expect(s.info.settings.gpEstimatedMs as number).toBeLessThanOrEqual(2000);
    // 2 outcomes in 6-D: past about 400 results the GPs' ask is estimated above 2 s.
    const many = observations(500);
    const out = await s.ask({ space, objectives, observations: many, pending: [], n: 2, seed: 1 });
    expect(out).toHaveLength(2);
    expect(s.info.name).toBe('bayesian/extra-trees-multi-objective');
    expect(s.info.settings.gpEstimatedMs as number).toBeGreaterThan(2000);
    expect(out[0].predictions?.f0).toBeDefined();
  }, 60_000);
});
