import { PoolStrategy } from './pool.js';

describe('PoolStrategy', () => {
  // Twenty rows on a line; the outcome peaks at row 13.
  const ids = Array.from({ length: 20 }, (_, i) => `r${i}`);
  const X = ids.map((_, i) => [i / 19]);
  const value = (i: number) => -(((i - 13) / 19) ** 2);
  const observed = [0, 5, 10, 19].map((i) => ({ id: ids[i], value: value(i) }));

  it('counts pending rows toward its design of six rows', () => {
    const pool = new PoolStrategy(ids, X, 6);
    const ask = (pending: string[]) => pool.ask({ direction: 'maximize', observations: observed, pending, n: 1, seed: 3 });
    // Four results and one pending row: the design goes on (no prediction).
    const [design] = ask(['r2']);
    expect(design.prediction).toBeUndefined();
    // Four results and two pending rows: six design rows, so the model proposes.
    const [model] = ask(['r2', 'r7']);
    expect(model.prediction).toBeDefined();
    expect(['r2', 'r7', ...observed.map((o) => o.id)]).not.toContain(model.id);
  });
});
