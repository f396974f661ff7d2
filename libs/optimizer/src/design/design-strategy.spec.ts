import { Space, type Params } from '../space.js';
import type { AskRequest, Observation } from '../strategy-interface.js';
import { DesignError } from './errors.js';
import { sobolPoints } from './sobol.js';
import { DesignStrategy, type DesignKind } from './design-strategy.js';

const kinds: DesignKind[] = ['sobol', 'lhs', 'random'];

const unitSquare = Space.parse([
  { name: 'x', type: 'continuous', low: 0, high: 1 },
  { name: 'y', type: 'continuous', low: 0, high: 1 },
]);

const mixed = Space.parse([
  { name: 'temp', type: 'continuous', low: 20, high: 80 },
  { name: 'conc', type: 'continuous', low: 0.001, high: 1, scale: 'log' },
  { name: 'cycles', type: 'integer', low: 1, high: 5 },
  { name: 'solvent', type: 'categorical', choices: ['water', 'ethanol', 'dmso'] },
]);

/** 3 x 2 = 6 points. */
const tiny = Space.parse([
  { name: 'k', type: 'integer', low: 1, high: 3 },
  { name: 'c', type: 'categorical', choices: ['a', 'b'] },
]);

function request(space: Space, n: number, seed: number, history: Partial<AskRequest> = {}): AskRequest {
  return { space, direction: 'minimize', observations: [], pending: [], n, seed, ...history };
}

async function ask(kind: DesignKind, req: AskRequest): Promise<Params[]> {
  return (await new DesignStrategy({ kind }).ask(req)).map((p) => p.params);
}

/** Asks `batches` times, passing every earlier proposal back as pending; returns all proposals. */
async function askRepeatedly(kind: DesignKind, space: Space, n: number, batches: number, seed = 1): Promise<Params[][]> {
  const out: Params[][] = [];
  for (let b = 0; b < batches; b++) out.push(await ask(kind, request(space, n, seed, { pending: out.flat() })));
  return out;
}

describe('DesignStrategy', () => {
  it('records its kind and settings', () => {
    expect(new DesignStrategy({ kind: 'sobol' }).info).toEqual({
      name: 'design/sobol',
      settings: expect.objectContaining({ kind: 'sobol', directionNumbers: 'joe-kuo-6.21201' }),
    });
    expect(new DesignStrategy({ kind: 'lhs' }).info.name).toBe('design/lhs');
    expect(new DesignStrategy({ kind: 'random' }).info).toEqual({ name: 'design/random', settings: { kind: 'random' } });
  });

  it('sobol walks one scrambled sequence, skipping what the history already used', async () => {
    const first = await ask('sobol', request(unitSquare, 8, 42));
    const points = sobolPoints(2, 16, 42);
    expect(first).toEqual(points.slice(0, 8).map((u) => unitSquare.fromUnit(u)));
    const observations: Observation[] = first.slice(0, 5).map((params) => ({ params, value: 1 }));
    const second = await ask('sobol', request(unitSquare, 8, 42, { observations, pending: first.slice(5, 7), rejected: first.slice(7) }));
    expect(second).toEqual(points.slice(8).map((u) => unitSquare.fromUnit(u)));
  });

  it('lhs proposes a Latin hypercube', async () => {
    const n = 10;
    const proposals = await ask('lhs', request(unitSquare, n, 3));
    for (const name of ['x', 'y']) {
      const bins = proposals.map((p) => Math.floor((p[name] as number) * n)).sort((a, b) => a - b);
      expect(bins).toEqual(Array.from({ length: n }, (_, i) => i));
    }
  });

  describe.each(kinds)('%s', (kind) => {
    it('is reproducible, and depends on the seed', async () => {
      const a = await ask(kind, request(mixed, 6, 7));
      expect(a).toHaveLength(6);
      expect(await ask(kind, request(mixed, 6, 7))).toEqual(a);
      expect(await ask(kind, request(mixed, 6, 8))).not.toEqual(a);
    });

    it('proposes valid points that do not repeat across successive asks', async () => {
      const batches = await askRepeatedly(kind, mixed, 8, 4);
      const all = batches.flat();
      expect(all).toHaveLength(32);
      for (const x of all) expect(mixed.check(x)).toEqual([]);
      expect(new Set(all.map((x) => mixed.key(x))).size).toBe(32);
    });

    it('exhausts a finite space without duplicates, then proposes nothing', async () => {
      const batches = await askRepeatedly(kind, tiny, 4, 3);
      expect(batches.map((b) => b.length)).toEqual([4, 2, 0]);
      const keys = batches.flat().map((x) => tiny.key(x));
      expect(new Set(keys).size).toBe(6);
      for (const x of batches.flat()) expect(tiny.check(x)).toEqual([]);
      expect(await ask(kind, request(tiny, 10, 5))).toHaveLength(6);
    });

    it('covers a 100-point space in ten batches of ten', async () => {
      const grid = Space.parse([
        { name: 'i', type: 'integer', low: 0, high: 9 },
        { name: 'j', type: 'integer', low: 0, high: 9 },
      ]);
      const batches = await askRepeatedly(kind, grid, 10, 11);
      expect(batches.map((b) => b.length)).toEqual([10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 0]);
      expect(new Set(batches.flat().map((x) => grid.key(x))).size).toBe(100);
    });

    it('finds the last free point of a crowded space', async () => {
      // 999 of 1000 points pending: drawing rarely hits the free one, enumeration does.
      const line = Space.parse([{ name: 'i', type: 'integer', low: 0, high: 999 }]);
      const pending = Array.from({ length: 1000 }, (_, i) => ({ i })).filter(({ i }) => i !== 617);
      expect(await ask(kind, request(line, 3, 1, { pending }))).toEqual([{ i: 617 }]);
    });

    it('never proposes rejected or observed points again', async () => {
      const observations: Observation[] = [
        { params: { k: 1, c: 'a' }, value: 0.3 },
        { params: { k: 2, c: 'a' }, failed: true },
      ];
      const rejected: Params[] = [{ k: 3, c: 'b' }];
      const proposals = await ask(kind, request(tiny, 6, 9, { observations, rejected }));
      expect(proposals.map((x) => tiny.key(x)).sort()).toEqual(['1|b', '2|b', '3|a']);
    });

    it('does not count points outside the space as used', async () => {
      const proposals = await ask(kind, request(tiny, 6, 9, { pending: [{ k: 99, c: 'zzz' }] }));
      expect(proposals).toHaveLength(6);
    });
  });

  it('returns nothing for n = 0 and refuses bad requests', async () => {
    const strategy = new DesignStrategy({ kind: 'sobol' });
    expect(await strategy.ask(request(mixed, 0, 1))).toEqual([]);
    await expect(strategy.ask(request(mixed, -1, 1))).rejects.toThrow(DesignError);
    await expect(strategy.ask(request(mixed, 1.5, 1))).rejects.toThrow(/integer/);
    await expect(strategy.ask(request(mixed, 2, Number.NaN))).rejects.toThrow(/seed/);
    expect(() => new DesignStrategy({ kind: 'grid' as DesignKind })).toThrow(/unknown design kind/);
  });
});

describe('DesignStrategy with replicates, centre points and run order', () => {
  const keys = (space: Space, points: Params[]) => points.map((x) => space.key(x));
  const counts = (space: Space, points: Params[]) => {
    const out = new Map<string, number>();
    for (const k of keys(space, points)) out.set(k, (out.get(k) ?? 0) + 1);
    return out;
  };

  it('runs each new point `replicates` times, in a seeded shuffled order', async () => {
    const strategy = new DesignStrategy({ kind: 'sobol', replicates: 3 });
    const batch = (await strategy.ask(request(unitSquare, 6, 42))).map((p) => p.params);
    const expected = sobolPoints(2, 2, 42).map((u) => unitSquare.fromUnit(u));
    expect([...counts(unitSquare, batch).entries()].sort()).toEqual(
      keys(unitSquare, expected)
        .map((k) => [k, 3])
        .sort(),
    );
    expect((await strategy.ask(request(unitSquare, 6, 42))).map((p) => p.params)).toEqual(batch);
    expect(strategy.info.settings).toEqual(expect.objectContaining({ kind: 'sobol', replicates: 3, randomizeOrder: true }));
  });

  it('completes a point cut off at the end of a batch in the next one, and walks the Sobol sequence without holes', async () => {
    const strategy = new DesignStrategy({ kind: 'sobol', replicates: 3 });
    const all: Params[] = [];
    for (let b = 0; b < 3; b++) all.push(...(await strategy.ask(request(unitSquare, 4, 7, { pending: [...all] }))).map((p) => p.params));
    const expected = sobolPoints(2, 4, 7).map((u) => unitSquare.fromUnit(u));
    expect([...counts(unitSquare, all).entries()].sort()).toEqual(
      keys(unitSquare, expected)
        .map((k) => [k, 3])
        .sort(),
    );
  });

  it('counts observed, pending and rejected replicates as used', async () => {
    const strategy = new DesignStrategy({ kind: 'random', replicates: 2 });
    const [a] = (await strategy.ask(request(unitSquare, 1, 3))).map((p) => p.params);
    const next = (await strategy.ask(request(unitSquare, 3, 3, { rejected: [a] }))).map((p) => p.params);
    // a is at 1 of 2 runs: one more copy, then a new point twice.
    expect(keys(unitSquare, next).filter((k) => k === unitSquare.key(a))).toHaveLength(1);
    expect(counts(unitSquare, next).size).toBe(2);
    const done = (await strategy.ask(request(unitSquare, 1, 3, { observations: [{ params: a, value: 1 }], pending: [a] }))).map(
      (p) => p.params,
    );
    expect(keys(unitSquare, done)).not.toContain(unitSquare.key(a));
  });

  it('adds centre runs once, in standard order when randomizeOrder is false', async () => {
    const strategy = new DesignStrategy({ kind: 'lhs', centerPoints: 2, randomizeOrder: false });
    const first = (await strategy.ask(request(unitSquare, 5, 1))).map((p) => p.params);
    expect(first.slice(0, 2)).toEqual([
      { x: 0.5, y: 0.5 },
      { x: 0.5, y: 0.5 },
    ]);
    expect(new Set(keys(unitSquare, first.slice(2))).size).toBe(3);
    const second = (await strategy.ask(request(unitSquare, 5, 1, { pending: first }))).map((p) => p.params);
    expect(keys(unitSquare, second)).not.toContain(unitSquare.key({ x: 0.5, y: 0.5 }));
    expect(new Set(keys(unitSquare, [...first, ...second])).size).toBe(9);
    await expect(new DesignStrategy({ kind: 'sobol', centerPoints: 1 }).ask(request(mixed, 2, 1))).rejects.toThrow(
      /categorical parameter "solvent" has no centre/,
    );
  });

  it('shuffles a plain batch only when asked to', async () => {
    const plain = await ask('sobol', request(unitSquare, 8, 5));
    const shuffled = (await new DesignStrategy({ kind: 'sobol', randomizeOrder: true }).ask(request(unitSquare, 8, 5))).map(
      (p) => p.params,
    );
    expect(shuffled).not.toEqual(plain);
    expect(keys(unitSquare, shuffled).sort()).toEqual(keys(unitSquare, plain).sort());
  });

  it('refuses bad replicate and centre counts', () => {
    expect(() => new DesignStrategy({ kind: 'sobol', replicates: 0 })).toThrow(/replicates must be an integer in \[1, 100\], got 0/);
    expect(() => new DesignStrategy({ kind: 'sobol', centerPoints: -1 })).toThrow(/centerPoints must be an integer/);
  });
});
