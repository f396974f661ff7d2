import { Space } from '../space.js';
import { TreeEnsembleStrategy } from './tree-ensemble-strategy.js';
import { BayesianStrategy } from './bayesian-strategy.js';
import { Encoder } from './encoding.js';
import { maximizeAcquisition } from './optimize.js';

/** Three bases with two varying descriptors and one constant one. */
const space = Space.parse([
  { name: 't', type: 'continuous', low: 0, high: 1 },
  {
    name: 'base',
    type: 'categorical',
    choices: ['KOAc', 'CsOPiv', 'KOPiv'],
    descriptors: {
      KOAc: { pka: 4.8, mass: 98, charge: 1 },
      CsOPiv: { pka: 5.0, mass: 234, charge: 1 },
      KOPiv: { pka: 5.0, mass: 140, charge: 1 },
    },
  },
  { name: 'solvent', type: 'categorical', choices: ['DMAc', 'BuOAc'] },
]);

describe('Encoder with categorical descriptors', () => {
  const enc = new Encoder(space);

  it('encodes a described categorical as its min-max scaled descriptors (sorted by name, constant ones dropped) and the rest as before', () => {
    expect(enc.dim).toBe(1 + 2 + 2);
    expect(enc.categoricals).toEqual([{ offset: 3, size: 2 }]);
    expect(enc.descriptorCategoricals).toEqual([
      {
        offset: 1,
        size: 2,
        // [mass, pka]: mass (98, 234, 140) over span 136, pka (4.8, 5.0, 5.0) over span 0.2.
        vectors: [
          [0, 0],
          [1, 1],
          [42 / 136, 1],
        ],
      },
    ]);
    const x = enc.encode({ t: 0.25, base: 'KOPiv', solvent: 'BuOAc' });
    expect(x[0]).toBe(0.25);
    expect(x[1]).toBeCloseTo(0.3088235294, 9);
    expect(x[2]).toBeCloseTo(1, 12);
    expect(x.slice(3)).toEqual([0, 1]);
  });

  it('decodes every choice back, and a vector off the choices to the nearest one', () => {
    for (const base of ['KOAc', 'CsOPiv', 'KOPiv']) {
      const p = { t: 0.5, base, solvent: 'DMAc' };
      expect(enc.decode(enc.encode(p))).toEqual(p);
    }
    expect(enc.decode([0.5, 0.35, 0.8, 1, 0]).base).toBe('KOPiv');
    expect(enc.decode([0.5, 0.2, 0.1, 1, 0]).base).toBe('KOAc');
    const snapped = enc.snap([0.5, 0.9, 0.7, 1, 0]);
    expect(snapped.slice(1, 3)).toEqual([1, 1]);
  });

  it('measures a described categorical by the RMS difference of the descriptor vectors, per parameter', () => {
    const a = enc.encode({ t: 0.5, base: 'KOAc', solvent: 'DMAc' });
    const b = enc.encode({ t: 0.5, base: 'CsOPiv', solvent: 'DMAc' });
    const c = enc.encode({ t: 0.5, base: 'KOPiv', solvent: 'DMAc' });
    expect(enc.distance(a, a)).toBe(0);
    expect(enc.distance(a, b)).toBeCloseTo(Math.sqrt(1 / 3), 12); // descriptor RMS 1, one of three parameters
    expect(enc.distance(b, c)).toBeCloseTo(Math.sqrt((1 - 42 / 136) ** 2 / 2 / 3), 12);
  });

  it("stays one-hot with categorical 'one-hot', and without usable descriptors", () => {
    const onehot = new Encoder(space, { categorical: 'one-hot' });
    expect(onehot.dim).toBe(1 + 3 + 2);
    expect(onehot.descriptorCategoricals).toEqual([]);
    expect(onehot.encode({ t: 0, base: 'CsOPiv', solvent: 'DMAc' })).toEqual([0, 0, 1, 0, 1, 0]);
    const constant = Space.parse([{ name: 'c', type: 'categorical', choices: ['a', 'b'], descriptors: { a: { q: 1 }, b: { q: 1 } } }]);
    expect(new Encoder(constant).categoricals).toEqual([{ offset: 0, size: 2 }]);
    const twins = Space.parse([
      { name: 'c', type: 'categorical', choices: ['a', 'b', 'c'], descriptors: { a: { q: 1 }, b: { q: 1 }, c: { q: 2 } } },
    ]);
    expect(new Encoder(twins).categoricals).toEqual([{ offset: 0, size: 3 }]);
  });

  it('the acquisition search visits exact choices only and finds the best one', () => {
    // Best at base CsOPiv (vector [1, 1]), solvent BuOAc, t = 0.7.
    const acq = {
      name: 'test',
      evaluate: (X: number[][]) => Float64Array.from(X, (x) => -((x[0] - 0.7) ** 2) - (x[1] - 1) ** 2 - (x[2] - 1) ** 2 + x[4]),
    };
    const best = maximizeAcquisition(acq, enc, { seed: 3, rawSamples: 16, starts: 2 });
    expect(best).toBeDefined();
    const p = enc.decode(best!.x);
    expect(p.base).toBe('CsOPiv');
    expect(p.solvent).toBe('BuOAc');
    expect(p.t as number).toBeCloseTo(0.7, 3);
    expect(enc.encode(p).slice(1, 5)).toEqual(best!.x.slice(1, 5));
  });
});

describe('strategies on a space with a described categorical', () => {
  const f = (p: Record<string, number | string>) =>
    ((p.t as number) - 0.3) ** 2 + (p.base === 'CsOPiv' ? 0 : p.base === 'KOPiv' ? 0.2 : 0.5) + (p.solvent === 'DMAc' ? 0 : 0.1);

  for (const [name, make] of [
    ['BayesianStrategy', () => new BayesianStrategy({ rawSamples: 128 })],
    ['TreeEnsembleStrategy', () => new TreeEnsembleStrategy({ rawSamples: 128 })],
  ] as const) {
    it(`${name} proposes valid choices`, async () => {
      const s = make();
      const observations: { params: Record<string, number | string>; value: number }[] = [];
      for (let step = 0; step < 9; step++) {
        const batch = await s.ask({ space, direction: 'minimize', observations, pending: [], n: 2, seed: 11 });
        expect(batch).toHaveLength(2);
        for (const p of batch) {
          expect(space.check(p.params)).toEqual([]);
          observations.push({ params: p.params, value: f(p.params) });
        }
      }
      expect(Math.min(...observations.map((o) => o.value))).toBeLessThan(0.1);
    });
  }
});

describe("the strategies' encoding option", () => {
  const observations = [
    { params: { t: 0.1, base: 'KOAc', solvent: 'DMAc' }, value: 0.6 },
    { params: { t: 0.5, base: 'CsOPiv', solvent: 'BuOAc' }, value: 0.2 },
    { params: { t: 0.9, base: 'KOPiv', solvent: 'DMAc' }, value: 0.5 },
    { params: { t: 0.3, base: 'CsOPiv', solvent: 'DMAc' }, value: 0.0 },
    { params: { t: 0.7, base: 'KOAc', solvent: 'BuOAc' }, value: 0.8 },
    { params: { t: 0.2, base: 'KOPiv', solvent: 'BuOAc' }, value: 0.4 },
  ];
  const ask = (s: BayesianStrategy) => s.ask({ space, direction: 'minimize', observations, pending: [], n: 1, seed: 3 });

  it("models a described categorical one-hot with categorical 'one-hot', by its descriptors otherwise", async () => {
    const described = new BayesianStrategy({ rawSamples: 64 });
    await ask(described);
    // t, two varying descriptors of base, two solvent coordinates
    expect(described.lastFit?.gp.hyperparameters.lengthscales).toHaveLength(5);
    expect(described.info.settings.encoding).toEqual({ categorical: 'descriptors', composition: 'descriptors' });

    const oneHot = new BayesianStrategy({ rawSamples: 64, encoding: { categorical: 'one-hot' } });
    const [p] = await ask(oneHot);
    // t, three base choices, two solvent coordinates
    expect(oneHot.lastFit?.gp.hyperparameters.lengthscales).toHaveLength(6);
    expect(oneHot.info.settings.encoding).toEqual({ categorical: 'one-hot', composition: 'descriptors' });
    expect(space.check(p.params)).toEqual([]);
  });
});
