import { Space } from '../space.js';
import { DesignError } from './errors.js';
import { fullFactorial, spaceCardinality } from './factorial.js';

const mixed = Space.parse([
  { name: 'temp', type: 'continuous', low: 20, high: 80 },
  { name: 'cycles', type: 'integer', low: 1, high: 3 },
  { name: 'solvent', type: 'categorical', choices: ['water', 'ethanol'] },
]);

describe('fullFactorial', () => {
  it('crosses every level of every parameter, the last varying fastest', () => {
    const design = fullFactorial(mixed);
    expect(design).toHaveLength(3 * 3 * 2);
    expect(design.slice(0, 7)).toEqual([
      { temp: 20, cycles: 1, solvent: 'water' },
      { temp: 20, cycles: 1, solvent: 'ethanol' },
      { temp: 20, cycles: 2, solvent: 'water' },
      { temp: 20, cycles: 2, solvent: 'ethanol' },
      { temp: 20, cycles: 3, solvent: 'water' },
      { temp: 20, cycles: 3, solvent: 'ethanol' },
      { temp: 50, cycles: 1, solvent: 'water' },
    ]);
    expect(design[17]).toEqual({ temp: 80, cycles: 3, solvent: 'ethanol' });
    expect(new Set(design.map((x) => mixed.key(x))).size).toBe(18);
    for (const x of design) expect(mixed.check(x)).toEqual([]);
  });

  it('spaces continuous levels evenly, geometrically on a log scale, with exact ends', () => {
    const space = Space.parse([
      { name: 'a', type: 'continuous', low: 0.1, high: 0.3 },
      { name: 'conc', type: 'continuous', low: 1, high: 100, scale: 'log' },
    ]);
    const design = fullFactorial(space, { levels: 3 });
    expect([...new Set(design.map((x) => x.a))]).toEqual([0.1, 0.2, 0.3]);
    const conc = [...new Set(design.map((x) => x.conc as number))];
    expect(conc[0]).toBe(1);
    expect(conc[1]).toBeCloseTo(10, 12);
    expect(conc[2]).toBe(100);
    expect(fullFactorial(space, { levels: 1 })).toEqual([{ a: 0.2, conc: 10 }]);
    expect(fullFactorial(space, { levels: 5 })).toHaveLength(25);
  });

  it('keeps every integer value up to the cap, and evenly spaced ones beyond it', () => {
    const narrow = Space.parse([{ name: 'k', type: 'integer', low: 1, high: 12 }]);
    // 1 + round(i * 11 / 9) for i = 0..9.
    expect(fullFactorial(narrow).map((x) => x.k)).toEqual([1, 2, 3, 5, 6, 7, 8, 10, 11, 12]);
    expect(fullFactorial(narrow, { maxIntegerLevels: 12 }).map((x) => x.k)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(fullFactorial(narrow, { maxIntegerLevels: Infinity })).toHaveLength(12);
    const wide = Space.parse([{ name: 'k', type: 'integer', low: 0, high: 100 }]);
    expect(fullFactorial(wide, { maxIntegerLevels: 5 }).map((x) => x.k)).toEqual([0, 25, 50, 75, 100]);
    expect(fullFactorial(wide, { maxIntegerLevels: 1 }).map((x) => x.k)).toEqual([50]);
  });

  it('refuses a design over maxRuns with a clear error', () => {
    const five = Space.parse(['a', 'b', 'c', 'd', 'e'].map((name) => ({ name, type: 'continuous', low: 0, high: 1 })));
    expect(fullFactorial(five, { maxRuns: 243 })).toHaveLength(243);
    expect(() => fullFactorial(five, { maxRuns: 242 })).toThrow(
      expect.objectContaining({ code: 'too-many-runs', message: expect.stringMatching(/243 runs.*maxRuns = 242/) }),
    );
    const ten = Space.parse(Array.from({ length: 10 }, (_, i) => ({ name: `x${i}`, type: 'continuous', low: 0, high: 1 })));
    // 3^10 = 59049 runs against the default cap of 10,000.
    expect(() => fullFactorial(ten)).toThrow(/59049 runs/);
    expect(() => fullFactorial(mixed, { levels: 0 })).toThrow(DesignError);
  });
});

describe('spaceCardinality', () => {
  it('counts the points of discrete spaces and is infinite with a continuous parameter', () => {
    expect(spaceCardinality(mixed)).toBe(Infinity);
    expect(spaceCardinality(Space.parse([
      { name: 'k', type: 'integer', low: -2, high: 2 },
      { name: 'c', type: 'categorical', choices: ['x', 'y', 'z'] },
    ]))).toBe(15);
  });
});
