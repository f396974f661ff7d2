import fc from 'fast-check';
import { projectToSimplex, roundToGrid } from './composition.js';
import { DesignStrategy } from './design/design-strategy.js';
import { type Params, Space, SpaceError } from './space.js';

const oer = { name: 'cat', type: 'composition', components: ['Ni', 'Fe', 'Co', 'Mn', 'Ce', 'La'], maxComponents: 4, step: 0.1 } as const;

function problems(input: unknown): string[] {
  try {
    Space.parse(input);
    return [];
  } catch (e) {
    if (e instanceof SpaceError) return e.problems;
    throw e;
  }
}

function point(values: Record<string, number>, name = 'cat'): Params {
  return Object.fromEntries(Object.entries(values).map(([c, v]) => [`${name}.${c}`, v]));
}

describe('composition parameters', () => {
  it('parse with defaults: total 1, every component may be non-zero', () => {
    const s = Space.parse([{ name: 'alloy', type: 'composition', components: ['Cu', 'Zn'] }]);
    expect(s.parameters[0]).toEqual({ name: 'alloy', type: 'composition', components: ['Cu', 'Zn'], total: 1 });
  });

  it('take one unit coordinate per component, keyed <name>.<component>', () => {
    const s = Space.parse([{ name: 'T', type: 'continuous', low: 300, high: 900 }, oer]);
    expect(s.dimension).toBe(7);
    expect(s.names).toEqual(['T', 'cat.Ni', 'cat.Fe', 'cat.Co', 'cat.Mn', 'cat.Ce', 'cat.La']);
    expect(s.parameter('cat')?.type).toBe('composition');
  });

  it('name every problem of a definition', () => {
    expect(problems([{ ...oer, components: ['Ni', 'Fe', 'Ni'], maxComponents: 3 }])).toEqual([
      '[0]: composition "cat": duplicate component "Ni"',
    ]);
    expect(problems([{ ...oer, maxComponents: 0 }])).toEqual([
      '[0]: composition "cat": maxComponents must be between 1 and the number of components (6), got 0',
    ]);
    expect(problems([{ ...oer, maxComponents: 7 }])).toEqual([
      '[0]: composition "cat": maxComponents must be between 1 and the number of components (6), got 7',
    ]);
    expect(problems([{ ...oer, total: 0 }])).toEqual(['[0]: composition "cat": total must be positive, got 0']);
    expect(problems([{ ...oer, step: 0.3 }])).toEqual([
      '[0]: composition "cat": step 0.3 does not divide the total 1 into a whole number of steps',
    ]);
    expect(problems([{ ...oer, step: -0.1 }])).toEqual(['[0]: composition "cat": step must be positive, got -0.1']);
    expect(problems([{ ...oer, components: ['Ni', 'Xx', 'fe'], maxComponents: 2 }])[0]).toMatch(
      /^\[0\]: composition "cat": "Xx", "fe" are not elements of the built-in table .*give "descriptors"/,
    );
    expect(problems([{ ...oer, components: ['Ni'], maxComponents: 1 }])).toEqual([
      '[0].components: a composition needs at least two components',
    ]);
    expect(problems([{ ...oer, components: ['Ni', 'F.e'] }])[0]).toMatch(
      /components\[1\]: a component name holds letters, digits, _ and - only/,
    );
  });

  it('report every problem at once', () => {
    expect(problems([{ ...oer, components: ['Ni', 'Ni', 'Qq'], maxComponents: 9, total: -1 }])).toHaveLength(4);
  });

  it('refuse keys that collide with another parameter', () => {
    expect(problems([oer, { name: 'cat.Fe', type: 'continuous', low: 0, high: 1 }])).toEqual([
      '[1]: key "cat.Fe" of parameter "cat.Fe" collides with composition "cat"',
    ]);
    expect(problems([{ name: 'cat.Ni', type: 'integer', low: 0, high: 3 }, oer])).toEqual([
      '[1]: key "cat.Ni" of composition "cat" collides with parameter "cat.Ni"',
    ]);
  });

  it('accept any components with their own descriptors, checked like categorical ones', () => {
    const solvents = {
      name: 'blend',
      type: 'composition',
      components: ['water', 'ethanol'],
      descriptors: { water: { polarity: 10.2 }, ethanol: { polarity: 5.2 } },
    };
    expect(problems([solvents])).toEqual([]);
    expect(problems([{ ...solvents, descriptors: { water: { polarity: 1 }, ethanol: { dipole: 2 }, acetone: { polarity: 3 } } }])).toEqual([
      '[0]: composition "blend": component "ethanol" has different descriptor names than "water"',
      '[0]: composition "blend": descriptors given for "acetone", which is not a component',
    ]);
  });

  describe('Space.check', () => {
    const s = Space.parse([oer]);

    it('accepts a valid composition', () => {
      expect(s.check(point({ Ni: 0.6, Fe: 0.3, Co: 0.1, Mn: 0, Ce: 0, La: 0 }))).toEqual([]);
    });

    it('names each violation', () => {
      expect(s.check({ ...point({ Ni: 0.6, Fe: 0.4, Co: 0, Mn: 0, Ce: 0 }), cat: 1 })).toEqual([
        'unknown parameter "cat"',
        'missing parameter "cat.La" (component of composition "cat")',
      ]);
      expect(s.check(point({ Ni: 0.6, Fe: -0.1, Co: 0.5, Mn: 0, Ce: 0, La: 'x' as unknown as number }))).toEqual([
        '"cat.Fe" = -0.1 is negative',
        '"cat.La" must be a finite number',
      ]);
      expect(s.check(point({ Ni: 0.6, Fe: 0.3, Co: 0, Mn: 0, Ce: 0, La: 0 }))).toEqual([
        'composition "cat": the components sum to 0.9, not 1',
      ]);
      expect(s.check(point({ Ni: 0.2, Fe: 0.2, Co: 0.2, Mn: 0.2, Ce: 0.1, La: 0.1 }))).toEqual([
        'composition "cat": 6 components are non-zero (Ni, Fe, Co, Mn, Ce, La), at most 4 allowed',
      ]);
      expect(s.check(point({ Ni: 0.55, Fe: 0.45, Co: 0, Mn: 0, Ce: 0, La: 0 }))).toEqual([
        '"cat.Ni" = 0.55 is not a multiple of the step 0.1',
        '"cat.Fe" = 0.45 is not a multiple of the step 0.1',
      ]);
    });

    it('tolerates floating-point sums', () => {
      expect(s.check(point({ Ni: 0.1, Fe: 0.2, Co: 0.7, Mn: 0, Ce: 0, La: 0 }))).toEqual([]); // 0.1 + 0.2 + 0.7 = 0.9999999999999999
    });
  });

  describe('fromUnit', () => {
    const spaces = {
      'OER (step 0.1, at most 4 of 6)': Space.parse([{ name: 'T', type: 'integer', low: 1, high: 3 }, oer]),
      'continuous (no step, at most 2 of 5)': Space.parse([
        { name: 'c', type: 'composition', components: ['Pt', 'Pd', 'Rh', 'Ru', 'Ir'], maxComponents: 2 },
      ]),
      'total 100 in steps of 5': Space.parse([{ name: 'c', type: 'composition', components: ['Cu', 'Zn', 'Sn'], total: 100, step: 5 }]),
      'one step only': Space.parse([{ name: 'c', type: 'composition', components: ['Cu', 'Zn', 'Sn'], total: 1, step: 1 }]),
    };

    for (const [label, s] of Object.entries(spaces)) {
      it(`maps every point of the unit cube to a valid composition: ${label}`, () => {
        fc.assert(
          fc.property(fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: s.dimension, maxLength: s.dimension }), (u) => {
            expect(s.check(s.fromUnit(u))).toEqual([]);
          }),
          { numRuns: 500 },
        );
      });
    }

    it('inverts toUnit on valid compositions', () => {
      const s = spaces['OER (step 0.1, at most 4 of 6)'];
      const p = { T: 2, ...point({ Ni: 0.3, Fe: 0, Co: 0.6, Mn: 0, Ce: 0.1, La: 0 }) };
      expect(s.fromUnit(s.toUnit(p))).toEqual(p);
      const c = spaces['continuous (no step, at most 2 of 5)'];
      const q = point({ Pt: 0.25, Pd: 0, Rh: 0.75, Ru: 0, Ir: 0 }, 'c');
      const back = c.fromUnit(c.toUnit(q));
      for (const k of Object.keys(q)) expect(back[k]).toBeCloseTo(q[k] as number, 12);
    });

    it('spreads unit points over the simplex: every component is the largest somewhere', () => {
      const s = spaces['continuous (no step, at most 2 of 5)'];
      const largest = new Set<string>();
      for (let i = 0; i < 200; i++) {
        const p = s.fromUnit(Array.from({ length: 5 }, (_, j) => (i * (j + 3) * 0.618034) % 1));
        largest.add(s.names.reduce((a, b) => ((p[b] as number) > (p[a] as number) ? b : a)));
      }
      expect(largest.size).toBe(5);
    });
  });

  it.each(['sobol', 'lhs', 'random'] as const)('%s designs give valid, distinct compositions', async (kind) => {
    const space = Space.parse([oer]);
    const proposals = await new DesignStrategy({ kind }).ask({
      space,
      direction: 'minimize',
      observations: [],
      pending: [],
      n: 24,
      seed: 3,
    });
    expect(proposals).toHaveLength(24);
    for (const p of proposals) expect(space.check(p.params)).toEqual([]);
    expect(new Set(proposals.map((p) => space.key(p.params))).size).toBe(24);
  });

  it('rounds to the grid keeping the exact sum and the zeros (largest remainder)', () => {
    expect(roundToGrid([0.26, 0.37, 0.37, 0], 10)).toEqual([2, 4, 4, 0]);
    expect(roundToGrid([1 / 3, 1 / 3, 1 / 3], 10)).toEqual([4, 3, 3]);
  });

  it('projects onto the simplex (closed form)', () => {
    // v = (0.6, 0.6, -0.2): θ = (1.2 - 1) / 2 = 0.1, so (0.5, 0.5, 0).
    const x = projectToSimplex([0.6, 0.6, -0.2]);
    expect(x[0]).toBeCloseTo(0.5, 12);
    expect(x[1]).toBeCloseTo(0.5, 12);
    expect(x[2]).toBe(0);
  });
});
