import { AskTellSession } from './ask-tell.js';

// Two objectives and a limit on [0,1]^2: a = x1 (maximised), b = (x1 - 0.2)^2 + x2 (minimised), c = x2 <= 0.5.
const values = (x1: number, x2: number) => ({ a: x1, b: (x1 - 0.2) ** 2 + x2, c: x2 });
const problem = {
  name: 'two',
  parameters: [
    { name: 'x1', type: 'continuous', low: 0, high: 1 },
    { name: 'x2', type: 'continuous', low: 0, high: 1 },
  ],
  objectives: [
    { name: 'a', goal: 'maximize', ref: 0 },
    { name: 'b', goal: 'minimize', ref: 2 },
  ],
  outcomeConstraints: [{ name: 'c', op: '<=', value: 0.5 }],
  pool: null,
};

describe('AskTellSession, several objectives', () => {
  it('speaks objectives with ref, outcome limits and values for every outcome', async () => {
    const s = new AskTellSession({ multiObjective: { rawSamples: 128, mcSamples: 32 } });
    expect(await s.handle({ op: 'init', problem, seed: 0, budget: 20, batchSize: 2 })).toEqual({ ok: true });
    const warm = [
      [0.1, 0.9],
      [0.5, 0.2],
      [0.9, 0.6],
      [0.3, 0.4],
      [0.7, 0.1],
      [0.2, 0.7],
    ].map(([x1, x2]) => ({ params: { x1, x2 }, values: values(x1, x2) }));
    expect(await s.handle({ op: 'tell', results: warm })).toEqual({ ok: true });
    // The limited outcome's value is needed too.
    expect(await s.handle({ op: 'tell', results: [{ params: { x1: 0.4, x2: 0.4 }, values: { a: 0.4, b: 0.44 } }] })).toEqual({
      error: 'results[0].values.c must be a finite number, got nothing (a run that gave no value is told with "failed": true)',
    });
    const reply = await s.handle({ op: 'ask', n: 2, pending: [{ x1: 0.6, x2: 0.3 }] });
    const candidates = reply.candidates as { x1: number; x2: number }[];
    expect(candidates).toHaveLength(2);
    for (const c of candidates) {
      expect(Object.keys(c).sort()).toEqual(['x1', 'x2']);
      // The limit c = x2 <= 0.5 is learned from the values told: the proposals keep to it.
      expect(c.x2).toBeLessThan(0.5);
    }
    expect(
      await s.handle({
        op: 'tell',
        results: [
          { params: candidates[0], failed: true },
          { params: candidates[1], values: values(candidates[1].x1, candidates[1].x2) },
        ],
      }),
    ).toEqual({ ok: true });
    expect(((await s.handle({ op: 'ask', n: 1 })).candidates as unknown[]).length).toBe(1);
  });

  it('refuses a malformed objective or limit by name', async () => {
    const s = new AskTellSession();
    const bad = (patch: Record<string, unknown>) => s.handle({ op: 'init', problem: { ...problem, ...patch }, seed: 0 });
    expect(await bad({ outcomeConstraints: [{ name: 'c', op: '<', value: 1 }] })).toEqual({
      error: 'outcomeConstraints[0]: op must be "<=" or ">=", got "<"',
    });
    expect(await bad({ objectives: [problem.objectives[0], { name: 'b', goal: 'minimize', ref: 'x' }] })).toEqual({
      error: 'objectives[1].ref must be a finite number',
    });
  });

  it('answers pool problems with rows, never one told or pending', async () => {
    const rows = Array.from({ length: 24 }, (_, i) => ({ id: `r${i}`, params: { k: `K${i}` }, features: { f: i / 23 } }));
    const s = new AskTellSession({ multiObjective: { mcSamples: 32 } });
    await s.handle({
      op: 'init',
      problem: {
        name: 'pool',
        parameters: [{ name: 'k', type: 'categorical', choices: rows.map((r) => r.params.k) }],
        objectives: [
          { name: 'a', goal: 'maximize', ref: 0 },
          { name: 'b', goal: 'minimize', ref: 2 },
        ],
        pool: rows,
      },
      seed: 1,
    });
    const seen = new Set<string>();
    for (let t = 0; t < 9; t++) {
      const reply = await s.handle({ op: 'ask', n: 1, pending: [{ id: 'r5' }] });
      const [{ id }] = reply.candidates as { id: string }[];
      expect(seen.has(id) || id === 'r5').toBe(false);
      seen.add(id);
      const f = Number(id.slice(1)) / 23;
      await s.handle({ op: 'tell', results: [{ params: { id }, values: { a: f, b: f * f } }] });
    }
  });
});
