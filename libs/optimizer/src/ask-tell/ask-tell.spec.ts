import { AskTellSession } from './ask-tell.js';

const branin = (x1: number, x2: number) => {
  const b = 5.1 / (4 * Math.PI ** 2);
  const c = 5 / Math.PI;
  const t = 1 / (8 * Math.PI);
  return (x2 - b * x1 ** 2 + c * x1 - 6) ** 2 + 10 * (1 - t) * Math.cos(x1) + 10;
};

describe('AskTellSession', () => {
  it('speaks init / tell (warm start) / ask / tell failed / close', async () => {
    const s = new AskTellSession({ rawSamples: 128 });
    expect(await s.handle({ op: 'ask', n: 1 })).toEqual({ error: 'init first' });
    const init = {
      op: 'init',
      problem: {
        name: 'branin',
        parameters: [
          { name: 'x1', type: 'continuous', low: -5, high: 10 },
          { name: 'x2', type: 'continuous', low: 0, high: 15 },
        ],
        objectives: [{ name: 'y', goal: 'minimize' }],
        pool: null,
      },
      seed: 0,
      budget: 20,
      batchSize: 2,
    };
    expect(await s.handle(init)).toEqual({ ok: true });
    // a warm start: results for points never proposed
    const warm = [
      [0, 0],
      [5, 5],
      [-3, 12],
      [9, 2],
      [2, 8],
      [7, 13],
    ].map(([x1, x2]) => ({ params: { x1, x2 }, values: { y: branin(x1, x2) } }));
    expect(await s.handle({ op: 'tell', results: warm })).toEqual({ ok: true });
    const reply = await s.handle({ op: 'ask', n: 2, pending: [{ x1: 3, x2: 3 }] });
    const candidates = reply.candidates as Record<string, number>[];
    expect(candidates).toHaveLength(2);
    for (const c of candidates) {
      expect(Object.keys(c).sort()).toEqual(['x1', 'x2']);
      expect(c.x1).toBeGreaterThanOrEqual(-5);
      expect(c.x1).toBeLessThanOrEqual(10);
    }
    expect(
      await s.handle({
        op: 'tell',
        results: [
          { params: candidates[0], failed: true },
          { params: candidates[1], values: { y: 1 } },
        ],
      }),
    ).toEqual({ ok: true });
    expect(((await s.handle({ op: 'ask', n: 1 })).candidates as unknown[]).length).toBe(1);
    expect(await s.handle({ op: 'close' })).toEqual({ ok: true });
    expect(s.closed).toBe(true);
  });

  it('answers pool problems with row ids and never repeats a row', async () => {
    const rows = Array.from({ length: 30 }, (_, i) => ({
      id: `r${i}`,
      params: { core: i % 2 === 0 ? 'A' : 'B', sub: `S${i}` },
      features: { f: i / 29, g: ((i * 7) % 30) / 29 },
    }));
    const value = (i: number) => -((i / 29 - 0.6) ** 2) - (i % 2 === 0 ? 0 : 0.05);
    const s = new AskTellSession();
    await s.handle({
      op: 'init',
      problem: {
        name: 'pool',
        parameters: [
          { name: 'core', type: 'categorical', choices: ['A', 'B'] },
          { name: 'sub', type: 'categorical', choices: rows.map((r) => r.params.sub) },
        ],
        objectives: [{ name: 'a', goal: 'maximize' }],
        pool: rows,
      },
      seed: 1,
    });
    const seen = new Set<string>();
    for (let t = 0; t < 12; t++) {
      const reply = await s.handle({ op: 'ask', n: 1, pending: [] });
      const [{ id }] = reply.candidates as { id: string }[];
      expect(seen.has(id)).toBe(false);
      seen.add(id);
      await s.handle({ op: 'tell', results: [{ params: { id }, values: { a: value(Number(id.slice(1))) } }] });
    }
    // the best row, r18 (f = 0.621, core A: value -0.00043), is found within 12 picks of 30
    expect(seen.has('r18')).toBe(true);
  });

  it('refuses malformed results and pending points by name, and stores nothing from a refused tell', async () => {
    const s = new AskTellSession({ rawSamples: 128 });
    await s.handle({
      op: 'init',
      problem: {
        name: 'p',
        parameters: [{ name: 'x', type: 'continuous', low: 0, high: 1 }],
        objectives: [{ name: 'y', goal: 'minimize' }],
      },
      seed: 0,
    });
    // The first result is fine, the second is outside the box: neither is stored.
    expect(
      await s.handle({
        op: 'tell',
        results: [
          { params: { x: 0.2 }, values: { y: 1 } },
          { params: { x: 5 }, values: { y: 1 } },
        ],
      }),
    ).toEqual({ error: 'results[1].params: "x" = 5 is outside [0, 1]' });
    const noValue = '(a run that gave no value is told with "failed": true)';
    // NaN from a broken evaluation reaches JSON as null: an error, not a failed run.
    expect(await s.handle({ op: 'tell', results: [{ params: { x: 0.5 }, values: { y: null } }] })).toEqual({
      error: `results[0].values.y must be a finite number, got null ${noValue}`,
    });
    expect(await s.handle({ op: 'tell', results: [{ params: { x: 0.5 }, values: { z: 1 } }] })).toEqual({
      error: `results[0].values.y must be a finite number, got nothing ${noValue}`,
    });
    expect(await s.handle({ op: 'tell', results: [{ values: { y: 1 } }] })).toEqual({ error: 'results[0].params is not an object' });
    expect(await s.handle({ op: 'ask', n: 1, pending: [{ x: 'a' }] })).toEqual({ error: 'pending[0]: "x" must be a finite number' });
    expect(await s.handle({ op: 'ask', n: 1, pending: { x: 0.5 } })).toEqual({ error: 'pending must be a list of candidates' });
    // A failed run needs no value; after the refusals the session goes on with what was stored.
    expect(await s.handle({ op: 'tell', results: [{ params: { x: 0.9 }, failed: true }] })).toEqual({ ok: true });
    expect(((await s.handle({ op: 'ask', n: 2 })).candidates as unknown[]).length).toBe(2);
  });

  it('refuses results and pending entries that are not rows of the pool', async () => {
    const s = new AskTellSession();
    await s.handle({
      op: 'init',
      problem: {
        name: 'pool',
        parameters: [{ name: 'c', type: 'categorical', choices: ['A', 'B'] }],
        objectives: [{ name: 'a', goal: 'maximize' }],
        pool: [
          { id: 'r0', params: { c: 'A' }, features: { f: 0 } },
          { id: 'r1', params: { c: 'B' }, features: { f: 1 } },
        ],
      },
      seed: 0,
    });
    expect(await s.handle({ op: 'tell', results: [{ params: { id: 'r7' }, values: { a: 1 } }] })).toEqual({
      error: 'results[0].params: "r7" is not a row of the pool',
    });
    expect(await s.handle({ op: 'ask', n: 1, pending: [{ c: 'A' }] })).toEqual({ error: 'pending[0]: no id is not a row of the pool' });
    expect(await s.handle({ op: 'tell', results: [{ params: { id: 'r1' }, values: { a: 1 } }] })).toEqual({ ok: true });
  });
});
