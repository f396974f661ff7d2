import type { Acquisition } from '../acquisition/analytic.js';
import { elementProperties } from '../elements/elements.js';
import { type Params, Space } from '../space.js';
import type { Observation } from '../strategy-interface.js';
import { DefaultStrategy } from './default-strategy.js';
import { Encoder } from './encoding.js';
import { maximizeAcquisition } from './optimize.js';
import { BayesianStrategy } from './bayesian-strategy.js';
import { TreeEnsembleStrategy } from './tree-ensemble-strategy.js';

const oer = Space.parse([
  { name: 'cat', type: 'composition', components: ['Ni', 'Fe', 'Co', 'Mn', 'Ce', 'La'], maxComponents: 4, step: 0.1 },
]);

function point(values: Record<string, number>, name = 'cat'): Params {
  return Object.fromEntries(Object.entries(values).map(([c, v]) => [`${name}.${c}`, v]));
}

describe('composition encoding', () => {
  it('lays out the fractions, then per slot (sorted by fraction) the fraction and fraction × descriptors (hand-computed)', () => {
    // Descriptor x: A = 1, B = 3, scaled over the components to A = 0, B = 1; y is equal for both and left out.
    const s = Space.parse([
      { name: 'mix', type: 'composition', components: ['A', 'B'], descriptors: { A: { x: 1, y: 10 }, B: { x: 3, y: 10 } } },
    ]);
    const enc = new Encoder(s);
    expect(enc.dim).toBe(6);
    expect(enc.compositions.map(({ offset, size, featureOffset, featureSize }) => ({ offset, size, featureOffset, featureSize }))).toEqual([
      { offset: 0, size: 2, featureOffset: 2, featureSize: 4 },
    ]);
    // B has the larger fraction and takes the first slot: (0.75, 0.75 × 1), then A: (0.25, 0.25 × 0).
    expect(enc.encode(point({ A: 0.25, B: 0.75 }, 'mix'))).toEqual([0.25, 0.75, 0.75, 0.75, 0.25, 0]);
    expect(enc.encode(point({ A: 0.75, B: 0.25 }, 'mix'))).toEqual([0.75, 0.25, 0.75, 0, 0.25, 0.25]);
    // A pure component fills one slot; the other is empty.
    expect(enc.encode(point({ A: 1, B: 0 }, 'mix'))).toEqual([1, 0, 1, 0, 0, 0]);
  });

  it('weights the built-in elemental properties, scaled over the components', () => {
    const s = Space.parse([{ name: 'a', type: 'composition', components: ['Fe', 'Ni'] }]);
    const enc = new Encoder(s);
    const x = enc.encode(point({ Fe: 0.6, Ni: 0.4 }, 'a'));
    // 2 fractions, then 2 slots of (fraction + 8 properties).
    expect(x).toHaveLength(2 + 2 * 9);
    const fe = elementProperties('Fe')!.values;
    const ni = elementProperties('Ni')!.values;
    expect(fe.electronegativity).toBeLessThan(ni.electronegativity);
    expect(fe.meltingPoint).toBeGreaterThan(ni.meltingPoint);
    // Slot 1 is Fe (0.6): electronegativity scaled to 0, melting point to 1; slot 2 is Ni (0.4): the reverse.
    const slot = (s0: number, property: number) => x[2 + s0 * 9 + 1 + property];
    expect(x[2]).toBe(0.6);
    expect(x[11]).toBe(0.4);
    expect(slot(0, 1)).toBe(0); // electronegativity, Fe
    expect(slot(1, 1)).toBeCloseTo(0.4, 12); // electronegativity, Ni
    expect(slot(0, 4)).toBeCloseTo(0.6, 12); // melting point, Fe
    expect(slot(1, 4)).toBe(0); // melting point, Ni
  });

  it("with composition 'fractions', encodes the fractions alone", () => {
    const enc = new Encoder(oer, { composition: 'fractions' });
    expect(enc.dim).toBe(6);
    expect(enc.encode(point({ Ni: 0.5, Fe: 0.2, Co: 0.3, Mn: 0, Ce: 0, La: 0 }))).toEqual([0.5, 0.2, 0.3, 0, 0, 0]);
  });

  it('snaps any vector to a valid composition with its features, and decodes it', () => {
    const enc = new Encoder(oer);
    const valid = point({ Ni: 0.4, Fe: 0.3, Co: 0.2, Mn: 0.1, Ce: 0, La: 0 });
    const x = enc.encode(valid);
    expect(enc.snap([...x])).toEqual(x);
    expect(enc.decode(x)).toEqual(valid);
    const raw = [...x];
    raw.splice(0, 6, 0.7, -0.2, 0.33, 0.05, 0.2, 0.11);
    const snapped = enc.snap(raw);
    const params = enc.decode(snapped);
    expect(oer.check(params)).toEqual([]);
    expect(snapped).toEqual(enc.encode(params));
  });

  it('measures distance between compositions as total variation', () => {
    const enc = new Encoder(oer);
    const a = enc.encode(point({ Ni: 1, Fe: 0, Co: 0, Mn: 0, Ce: 0, La: 0 }));
    const b = enc.encode(point({ Ni: 0.6, Fe: 0.4, Co: 0, Mn: 0, Ce: 0, La: 0 }));
    expect(enc.distance(a, b)).toBeCloseTo(0.4, 12);
  });
});

describe('acquisition search over compositions', () => {
  it('only ever evaluates valid compositions and finds the best one on the grid', () => {
    const enc = new Encoder(oer);
    const target = [0.4, 0, 0.3, 0, 0.2, 0.1];
    let evaluated = 0;
    const acq: Acquisition = {
      name: 'closeness',
      evaluate(X) {
        return Float64Array.from(X, (x) => {
          evaluated++;
          const params = enc.decode(x);
          expect(oer.check(params)).toEqual([]);
          expect(x).toEqual(enc.encode(params));
          return -x.slice(0, 6).reduce((s, v, j) => s + (v - target[j]) ** 2, 0);
        });
      },
    };
    const best = maximizeAcquisition(acq, enc, { seed: 5, rawSamples: 64, starts: 2 });
    expect(evaluated).toBeGreaterThan(64);
    expect(enc.decode(best!.x)).toEqual(point({ Ni: 0.4, Fe: 0, Co: 0.3, Mn: 0, Ce: 0.2, La: 0.1 }));
  });
});

describe('strategies on a composition space', () => {
  // A smooth stand-in for an overpotential, lowest at Ni 0.5 Fe 0.3 Co 0.2.
  const f = (p: Params) =>
    ((p['cat.Ni'] as number) - 0.5) ** 2 +
    ((p['cat.Fe'] as number) - 0.3) ** 2 +
    0.5 * (p['cat.La'] as number) +
    0.1 * (p['cat.Ce'] as number);

  async function batchAfter(strategy: BayesianStrategy | DefaultStrategy | TreeEnsembleStrategy, space: Space, steps: number) {
    const observations: Observation[] = [];
    for (let t = 0; t < steps; t++) {
      const [p] = await strategy.ask({ space, direction: 'minimize', observations, pending: [], n: 1, seed: 11 });
      expect(space.check(p.params)).toEqual([]);
      observations.push({ params: p.params, value: f(p.params) });
    }
    const batch = await strategy.ask({ space, direction: 'minimize', observations, pending: [], n: 4, seed: 11 });
    return { observations, batch };
  }

  it.each([
    ['BayesianStrategy', () => new BayesianStrategy({ rawSamples: 128, starts: 2, warp: 'none' })],
    [
      'BayesianStrategy with local penalisation and ε-greedy steps',
      () => new BayesianStrategy({ rawSamples: 128, starts: 2, warp: 'none', batch: 'penalisation', explore: 0.5 }),
    ],
    ['DefaultStrategy', () => new DefaultStrategy({ gp: { rawSamples: 128, starts: 2, warp: 'none' } })],
    ['TreeEnsembleStrategy', () => new TreeEnsembleStrategy({ rawSamples: 512 })],
  ])(
    '%s proposes a batch of 4 valid, distinct, new compositions with predictions',
    async (_, make) => {
      const { observations, batch } = await batchAfter(make(), oer, 10);
      expect(batch).toHaveLength(4);
      const keys = new Set(observations.map((o) => oer.key(o.params)));
      for (const p of batch) {
        expect(oer.check(p.params)).toEqual([]);
        expect(p.prediction).toBeDefined();
        expect(keys.has(oer.key(p.params))).toBe(false);
        keys.add(oer.key(p.params));
      }
    },
    60_000,
  );

  it('handles a composition beside a continuous parameter', async () => {
    const space = Space.parse([{ name: 'T', type: 'continuous', low: 300, high: 600 }, oer.parameters[0]]);
    const strategy = new BayesianStrategy({ rawSamples: 128, starts: 2, warp: 'none' });
    const observations: Observation[] = [];
    for (let t = 0; t < 9; t++) {
      const [p] = await strategy.ask({ space, direction: 'minimize', observations, pending: [], n: 1, seed: 2 });
      expect(space.check(p.params)).toEqual([]);
      observations.push({ params: p.params, value: f(p.params) + (((p.params.T as number) - 450) / 300) ** 2 });
    }
    const batch = await strategy.ask({ space, direction: 'minimize', observations, pending: [], n: 4, seed: 2 });
    expect(new Set(batch.map((p) => space.key(p.params))).size).toBe(4);
    for (const p of batch) expect(space.check(p.params)).toEqual([]);
  }, 60_000);
});
