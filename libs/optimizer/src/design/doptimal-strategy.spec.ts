import { Space, type Params } from '../space.js';
import type { AskRequest, Proposal, Strategy } from '../strategy-interface.js';
import { cachedDOptimalDesign, DOptimalStrategy } from './doptimal-strategy.js';
import { dOptimalDesign } from './doptimal.js';

const square = Space.parse([
  { name: 'x', type: 'continuous', low: -1, high: 1 },
  { name: 'y', type: 'continuous', low: -1, high: 1 },
]);

function request(n: number, seed: number, history: Partial<AskRequest> = {}): AskRequest {
  return { space: square, direction: 'minimize', observations: [], pending: [], n, seed, ...history };
}

const keyCounts = (points: readonly Params[]) => {
  const out: Record<string, number> = {};
  for (const x of points) out[square.key(x)] = (out[square.key(x)] ?? 0) + 1;
  return out;
};

/** A strategy that proposes the point (0.25, 0.25) n times and records what it was asked. */
class Fixed implements Strategy {
  readonly info = { name: 'fixed', settings: { point: 0.25 } };
  readonly requests: AskRequest[] = [];
  async ask(request: AskRequest): Promise<Proposal[]> {
    this.requests.push(request);
    return Array.from({ length: request.n }, () => ({ params: { x: 0.25, y: 0.25 } }));
  }
}

describe('DOptimalStrategy', () => {
  it('runs every design point `replicates` times and the centre runs, over successive batches, in a seeded order', async () => {
    const strategy = new DOptimalStrategy({ model: 'interactions', runs: 4, replicates: 2, centerPoints: 2 });
    expect(strategy.totalRuns).toBe(10);
    const all: Params[] = [];
    for (let b = 0; b < 3; b++) all.push(...(await strategy.ask(request(4, 8, { pending: [...all] }))).map((p) => p.params));
    // 4 + 4 + 2: the design is used up and nothing follows it.
    expect(all).toHaveLength(10);
    expect(keyCounts(all)).toEqual(
      keyCounts([
        ...[-1, 1].flatMap((x) =>
          [-1, 1].flatMap((y) => [
            { x, y },
            { x, y },
          ]),
        ),
        { x: 0, y: 0 },
        { x: 0, y: 0 },
      ]),
    );
    expect(await strategy.ask(request(4, 8, { observations: all.map((params) => ({ params, value: 1 })) }))).toEqual([]);
    // Same seed, same run order; the order is shuffled, not the standard order.
    expect(strategy.runs(square, 8)).toEqual(all);
    expect(new DOptimalStrategy({ model: 'interactions', runs: 4, replicates: 2, centerPoints: 2 }).runs(square, 8)).toEqual(all);
    const standard = new DOptimalStrategy({ model: 'interactions', runs: 4, replicates: 2, centerPoints: 2, randomizeOrder: false });
    expect(standard.runs(square, 8)).not.toEqual(all);
    expect(standard.runs(square, 8).slice(0, 2)).toEqual([
      { x: -1, y: -1 },
      { x: -1, y: -1 },
    ]);
  });

  it('counts a rejected run as used and re-proposes a run lost to a device failure', async () => {
    const strategy = new DOptimalStrategy({ model: 'linear', runs: 3, replicates: 2 });
    const runs = strategy.runs(square, 1);
    // The failed run's experiment is absent from the history the proposer passes.
    const left = (
      await strategy.ask(request(6, 1, { rejected: [runs[0]], observations: runs.slice(2, 5).map((params) => ({ params, value: 0 })) }))
    ).map((p) => p.params);
    expect(left).toEqual([runs[1], runs[5]]);
  });

  it('hands over to the next strategy when the design is used up, and fills a batch it leaves short', async () => {
    const then = new Fixed();
    const strategy = new DOptimalStrategy({ model: 'linear', runs: 3, then });
    const runs = strategy.runs(square, 2);
    expect(runs).toHaveLength(3);
    expect(strategy.info.name).toBe('design/doptimal');

    const mixedBatch = (await strategy.ask(request(5, 2, { pending: runs.slice(0, 1) }))).map((p) => p.params);
    expect(mixedBatch).toEqual([runs[1], runs[2], { x: 0.25, y: 0.25 }, { x: 0.25, y: 0.25 }, { x: 0.25, y: 0.25 }]);
    // The design's last runs reach the next strategy as pending.
    expect(then.requests[0].pending).toEqual([runs[0], runs[1], runs[2]]);
    expect(then.requests[0].n).toBe(3);
    expect(strategy.info).toEqual({
      name: 'design/doptimal+fixed',
      settings: expect.objectContaining({ kind: 'doptimal', model: 'linear', runs: 3, then: 'fixed', thenSettings: { point: 0.25 } }),
    });

    const after = await strategy.ask(request(2, 2, { observations: runs.map((params) => ({ params, value: 1 })) }));
    expect(after).toHaveLength(2);
    expect(strategy.info).toEqual({ name: 'fixed', settings: { point: 0.25, after: 'design/doptimal' } });
  });

  it('records the design it built in its settings', async () => {
    const strategy = new DOptimalStrategy({ model: 'quadratic', runs: 6 });
    await strategy.ask(request(1, 4));
    const design = dOptimalDesign(square, { model: 'quadratic', runs: 6, seed: 4 });
    expect(strategy.info.settings).toEqual(
      expect.objectContaining({ terms: 6, candidates: 9, logDet: design.logDet, randomizeOrder: true, replicates: 1, centerPoints: 0 }),
    );
  });

  it('names both numbers when the model has more terms than runs', async () => {
    await expect(new DOptimalStrategy({ model: 'quadratic', runs: 5 }).ask(request(2, 1))).rejects.toThrow(
      /quadratic model has 6 terms but the design has only 5 runs/,
    );
    expect(() => new DOptimalStrategy({ model: 'linear', runs: 3, replicates: 0 })).toThrow(/replicates must be an integer/);
  });

  it('builds a design once per (model, runs, seed, space) however many strategy objects ask, as the service does', () => {
    const space = Space.parse([
      { name: 'a', type: 'continuous', low: 0, high: 1 },
      { name: 'b', type: 'continuous', low: 0, high: 1 },
    ]);
    const first = cachedDOptimalDesign(space, { model: 'quadratic', runs: 7, seed: 5 });
    expect(cachedDOptimalDesign(Space.parse(space.parameters), { model: 'quadratic', runs: 7, seed: 5 })).toBe(first);
    expect(first).toEqual(dOptimalDesign(space, { model: 'quadratic', runs: 7, seed: 5 }));
    expect(cachedDOptimalDesign(space, { model: 'quadratic', runs: 7, seed: 6 })).not.toBe(first);
    expect(cachedDOptimalDesign(space, { model: 'linear', runs: 7, seed: 5 })).not.toBe(first);
  });
});
