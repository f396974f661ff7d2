import { Space } from '../space.js';
import { Encoder } from './encoding.js';
import { logWarp } from './warp.js';

const space = Space.parse([
  { name: 'temp', type: 'continuous', low: 20, high: 80 },
  { name: 'conc', type: 'continuous', low: 0.01, high: 1, scale: 'log' },
  { name: 'n', type: 'integer', low: 1, high: 5 },
  { name: 'solvent', type: 'categorical', choices: ['DMF', 'THF', 'MeCN'] },
]);

describe('Encoder', () => {
  const enc = new Encoder(space);

  it('lays out continuous, integer and one-hot coordinates', () => {
    expect(enc.dim).toBe(6);
    expect(enc.continuous).toEqual([0, 1]);
    expect(enc.integers).toEqual([{ index: 2, levels: 5 }]);
    expect(enc.categoricals).toEqual([{ offset: 3, size: 3 }]);
    expect(enc.categoricalCombinations).toBe(3);
  });

  it('encodes by hand-computed coordinates and decodes back', () => {
    const p = { temp: 35, conc: 0.1, n: 4, solvent: 'MeCN' };
    const x = enc.encode(p);
    expect(x[0]).toBeCloseTo(0.25, 12); // (35 - 20) / 60
    expect(x[1]).toBeCloseTo(0.5, 12); // log(0.1) is half way between log(0.01) and log(1)
    expect(x[2]).toBe(0.75); // (4 - 1) / 4
    expect(x.slice(3)).toEqual([0, 0, 1]);
    const back = enc.decode(x);
    expect(back.temp).toBeCloseTo(35, 10);
    expect(back.conc).toBeCloseTo(0.1, 12);
    expect(back.n).toBe(4);
    expect(back.solvent).toBe('MeCN');
  });

  it('snaps integers to their grid and one-hot blocks to a vertex', () => {
    const x = enc.snap([1.2, -0.1, 0.6, 0.2, 0.5, 0.3]);
    expect(x).toEqual([1, 0, 0.5, 0, 1, 0]);
    expect(space.check(enc.decode(x))).toEqual([]);
  });

  it('measures distances per parameter', () => {
    const a = enc.encode({ temp: 20, conc: 0.01, n: 1, solvent: 'DMF' });
    const b = enc.encode({ temp: 80, conc: 0.01, n: 1, solvent: 'THF' });
    expect(enc.distance(a, a)).toBe(0);
    expect(enc.distance(a, b)).toBeCloseTo(Math.sqrt(2 / 4), 12); // one full range and one other category of four parameters
  });
});

describe('logWarp', () => {
  it('is monotone, inverts, and has the Jacobian of -log(best - y + δ)', () => {
    const y = [0, 1, 2, 3, 10];
    const w = logWarp(y, 0.5); // gaps 10, 9, 8, 7, 0 -> median 8, δ = 4
    expect(w.forward(10)).toBeCloseTo(-Math.log(4), 14);
    expect(w.forward(2)).toBeCloseTo(-Math.log(12), 14);
    expect(w.forward(3)).toBeGreaterThan(w.forward(2));
    expect(w.inverse(w.forward(2.5))).toBeCloseTo(2.5, 12);
    const h = 1e-6;
    expect(w.logDerivative(2)).toBeCloseTo(Math.log((w.forward(2 + h) - w.forward(2 - h)) / (2 * h)), 6);
  });
});
