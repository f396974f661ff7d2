import { describe, expect, it } from '@jest/globals';
import { Rng } from '#random';
import { Space, type AskRequest, type Observation } from '#optimizer';
import { MultiObjectiveNeuralStrategy, NeuralEnsembleStrategy } from './neural-strategy.js';

const space = Space.parse([
  { name: 'x', type: 'continuous', low: -2, high: 2 },
  { name: 'y', type: 'continuous', low: -2, high: 2 },
  { name: 'solvent', type: 'categorical', choices: ['water', 'ethanol', 'toluene'] },
]);
const offset: Record<string, number> = { water: 1, ethanol: 0, toluene: 2 };
const f = (p: Record<string, number | string>) => ((p.x as number) - 0.5) ** 2 + ((p.y as number) + 0.3) ** 2 + offset[p.solvent as string];

/** n observations of f at seeded random points. */
function observations(n: number, seed = 2): Observation[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => {
    const params = { x: -2 + 4 * rng.next(), y: -2 + 4 * rng.next(), solvent: ['water', 'ethanol', 'toluene'][rng.int(3)] };
    return { params, value: f(params) };
  });
}

const small = () =>
  new NeuralEnsembleStrategy({
    rawSamples: 512,
    ensemble: { members: 4, hidden: [32, 32], minSteps: 300, maxSteps: 300, logger: () => {} },
  });

function request(obs: Observation[], extra: Partial<AskRequest> = {}): AskRequest {
  return { space, direction: 'minimize', observations: obs, pending: [], n: 1, seed: 3, ...extra };
}

describe('NeuralEnsembleStrategy', () => {
  it('proposes a diverse batch of valid, new points near the optimum, with predictions and provenance naming its backend', async () => {
    const obs = observations(40);
    const strategy = small();
    const batch = await strategy.ask(request(obs, { n: 4 }));
    expect(batch).toHaveLength(4);
    const keys = new Set([...obs.map((o) => space.key(o.params)), ...batch.map((p) => space.key(p.params))]);
    expect(keys.size).toBe(44);
    for (const p of batch) {
      expect(space.check(p.params)).toEqual([]);
      expect(Number.isFinite(p.prediction?.mean)).toBe(true);
      expect(p.prediction!.sd).toBeGreaterThanOrEqual(0);
    }
    // The batch exploits: its best point is better than 90 % of the random observations (f's minimum is 0, in ethanol).
    const values = obs.map((o) => o.value as number).sort((a, b) => a - b);
    expect(Math.min(...batch.map((p) => f(p.params)))).toBeLessThan(values[4]);
    // ... and is not four copies of one idea: local penalisation keeps the points apart.
    const pts = batch.map((p) => [p.params.x as number, p.params.y as number, p.params.solvent]);
    let closest = Infinity;
    for (let i = 0; i < pts.length; i++)
      for (let j = i + 1; j < pts.length; j++)
        if (pts[i][2] === pts[j][2])
          closest = Math.min(
            closest,
            Math.hypot((pts[i][0] as number) - (pts[j][0] as number), (pts[i][1] as number) - (pts[j][1] as number)),
          );
    expect(closest).toBeGreaterThan(0.05);
    expect(strategy.info.name).toBe('bayesian/neural-ensemble-logei');
    const fit = strategy.info.settings.fit as { backend: { name: string }; steps: number };
    expect(['tensorflow', 'wasm', 'cpu']).toContain(fit.backend.name);
    expect(fit.steps).toBe(300);
  });

  it('keeps away from pending experiments and learns where experiments fail', async () => {
    // f's optimum is at x = 0.5. With every experiment at x > 0 failed, the
    // proposals stay on the side that works, up to the fuzz of a boundary drawn
    // from random points; told the same points as successes, they go near the optimum (f < 0.15).
    // (The forest that learns P(feasible) draws a sharp boundary from a
    // campaign's worth of data, not from a few dozen points: 120 here.)
    const all = observations(120);
    const obs = all.map((o) => ((o.params.x as number) > 0 ? { params: o.params, failed: true } : o));
    const pending = [{ x: -0.1, y: -0.3, solvent: 'ethanol' }];
    const batch = await small().ask(request(obs, { n: 3, pending }));
    expect(batch).toHaveLength(3);
    for (const p of batch) {
      expect(p.params.x as number).toBeLessThan(0.3);
      expect(space.key(p.params)).not.toBe(space.key(pending[0]));
    }
    const free = await small().ask(request(all, { n: 1 }));
    expect(f(free[0].params)).toBeLessThan(0.15);
  });

  it('proposes with the acquisition chosen (UCB here): valid new points, the choice in its name and provenance', async () => {
    const s = new NeuralEnsembleStrategy({
      rawSamples: 256,
      acquisition: { kind: 'UCB', kappa: 1 },
      ensemble: { members: 2, hidden: [16], minSteps: 100, maxSteps: 100, logger: () => {} },
    });
    const obs = observations(12);
    const batch = await s.ask(request(obs, { n: 2 }));
    expect(batch).toHaveLength(2);
    for (const p of batch) {
      expect(space.check(p.params)).toEqual([]);
      expect(Number.isFinite(p.acquisition)).toBe(true);
    }
    expect(s.info.name).toBe('bayesian/neural-ensemble-ucb');
    expect(s.info.settings.acquisitionChoice).toEqual({ kind: 'UCB', kappa: 1 });
  });

  it('starts with the space-filling design before it has data', async () => {
    const strategy = small();
    const first = await strategy.ask(request([], { n: 3 }));
    expect(first).toHaveLength(3);
    // Its provenance is the design's, naming the strategy it starts.
    expect(strategy.info.name).toBe('design/sobol');
    expect(strategy.info.settings).toMatchObject({ initialDesignOf: 'bayesian/neural-ensemble-logei' });
    expect(strategy.info.settings.fit).toBeUndefined();
  });
});

describe('MultiObjectiveNeuralStrategy', () => {
  // Two objectives (f above, and the distance from (1, 1), both minimised) and a limit y <= 0.5 on a measured outcome.
  const outcomes = (p: Record<string, number | string>) => ({
    f: f(p),
    d: Math.hypot((p.x as number) - 1, (p.y as number) - 1),
    y: p.y as number,
  });

  it('proposes new points where the learned limit holds, each with every outcome predicted and its backend recorded', async () => {
    const obs = observations(30).map((o) => ({ params: o.params, values: outcomes(o.params) }));
    const s = new MultiObjectiveNeuralStrategy({
      rawSamples: 512,
      ensemble: { members: 3, hidden: [16, 16], minSteps: 200, maxSteps: 200, logger: () => {} },
    });
    const batch = await s.ask({
      space,
      objectives: [
        { name: 'f', direction: 'minimize' },
        { name: 'd', direction: 'minimize' },
      ],
      constraints: [{ name: 'y', op: '<=', value: 0.5 }],
      observations: obs,
      pending: [],
      n: 2,
      seed: 4,
    });
    expect(batch).toHaveLength(2);
    expect(space.key(batch[0].params)).not.toBe(space.key(batch[1].params));
    for (const p of batch) {
      expect(space.check(p.params)).toEqual([]);
      expect(Object.keys(p.predictions ?? {}).sort()).toEqual(['d', 'f', 'y']);
      expect(p.params.y as number).toBeLessThan(0.8);
    }
    expect(s.info.name).toBe('bayesian/neural-ensemble-multi-objective');
    const fit = s.info.settings.fit as { backend: { name: string }; refSource: string };
    expect(['tensorflow', 'wasm', 'cpu']).toContain(fit.backend.name);
    expect(fit.refSource).toMatch(/^inferred/);
  }, 120_000);
});
