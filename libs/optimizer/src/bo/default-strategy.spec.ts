import { BayesianStrategy } from './bayesian-strategy.js';
import { DefaultStrategy } from './default-strategy.js';
import { estimatedGpAskMs } from './gp-cost.js';
import { TreeEnsembleStrategy } from './tree-ensemble-strategy.js';

describe('DefaultStrategy: the exact GP while an ask stays fast', () => {
  it('estimates a cold ask as growing with N, the dimension and the batch', () => {
    expect(estimatedGpAskMs(1000, 6, 1)).toBeGreaterThan(estimatedGpAskMs(300, 6, 1));
    expect(estimatedGpAskMs(300, 20, 1)).toBeGreaterThan(estimatedGpAskMs(300, 6, 1));
    expect(estimatedGpAskMs(300, 6, 8)).toBeGreaterThan(estimatedGpAskMs(300, 6, 1));
  });

  it('keeps the GP past 200 results while the estimate is within the budget, and moves to trees after', () => {
    const strategy = new DefaultStrategy();
    expect(strategy.choose(500, 6, 1)).toBeInstanceOf(BayesianStrategy);
    expect(strategy.choose(1000, 6, 1)).toBeInstanceOf(TreeEnsembleStrategy);
    // A batch of 8 searches the acquisition 8 times: it moves earlier.
    expect(strategy.choose(500, 6, 8)).toBeInstanceOf(TreeEnsembleStrategy);
    const patient = new DefaultStrategy({ gpBudgetMs: 60_000 });
    expect(patient.choose(1000, 6, 1)).toBeInstanceOf(BayesianStrategy);
  });

  it('a fixed gpLimit decides alone', () => {
    const strategy = new DefaultStrategy({ gpLimit: 200 });
    expect(strategy.choose(200, 6, 1)).toBeInstanceOf(BayesianStrategy);
    expect(strategy.choose(201, 6, 1)).toBeInstanceOf(TreeEnsembleStrategy);
  });
});
