import { Rng } from '#random';
import { centeredL2Discrepancy } from './discrepancy.js';
import { DesignError } from './errors.js';
import { SOBOL_MAX_DIMENSION, SobolSequence, sobolPoints } from './sobol.js';

function take(seq: SobolSequence, n: number): number[][] {
  return Array.from({ length: n }, () => seq.next());
}

/** Coordinate k of every point, as the integer bin index at resolution 2^-m (exact: coordinates are 32-bit fractions). */
function bins(points: number[][], k: number, m: number): number[] {
  return points.map((p) => Math.floor(p[k] * 2 ** m));
}

describe('SobolSequence, unscrambled', () => {
  it('starts with the known points of dimensions 1 to 3', () => {
    const points = take(new SobolSequence(3), 8);
    // v = 1/2, 1/4, 1/8 (dim 1); 1/2, 3/4, 5/8 (dim 2); 1/2, 3/4, 3/8 (dim 3), combined in Gray-code order.
    expect(points.map((p) => p[0])).toEqual([0, 0.5, 0.75, 0.25, 0.375, 0.875, 0.625, 0.125]);
    expect(points.map((p) => p[1])).toEqual([0, 0.5, 0.25, 0.75, 0.375, 0.875, 0.125, 0.625]);
    expect(points.map((p) => p[2])).toEqual([0, 0.5, 0.25, 0.75, 0.625, 0.125, 0.875, 0.375]);
  });

  // Reference values from an independent implementation of the same sequence
  // (SciPy 1.17, scipy.stats.qmc.Sobol(d=1000, scramble=False), Joe-Kuo 6.21201).
  const dims = [1, 2, 3, 4, 10, 40, 41, 100, 500, 1000];
  const reference: [number, number[]][] = [
    [100, [0.4140625, 0.2578125, 0.7734375, 0.7265625, 0.6953125, 0.1328125, 0.7109375, 0.8828125, 0.4921875, 0.9140625]],
    [
      1000,
      [
        0.2197265625, 0.0966796875, 0.5185546875, 0.6767578125, 0.0693359375, 0.4794921875, 0.9130859375, 0.1865234375, 0.2548828125,
        0.2001953125,
      ],
    ],
    [
      4095,
      [
        0.000244140625, 0.941162109375, 0.334228515625, 0.901611328125, 0.246337890625, 0.227294921875, 0.200927734375, 0.962646484375,
        0.938720703125, 0.308349609375,
      ],
    ],
    [
      1000003,
      [
        0.2764749526977539, 0.5619192123413086, 0.07799625396728516, 0.4182462692260742, 0.004401206970214844, 0.26140880584716797,
        0.9117841720581055, 0.04960346221923828, 0.901423454284668, 0.039755821228027344,
      ],
    ],
    [
      2 ** 29 + 777,
      [
        0.6923828152939677, 0.6699869791045785, 0.6162255378440022, 0.02447513025254011, 0.5617715502157807, 0.12311161030083895,
        0.11450614873319864, 0.025329609401524067, 0.6643686359748244, 0.7841596035286784,
      ],
    ],
  ];

  it.each(reference)('matches the reference point %i in dimensions 1 to 1000', (index, expected) => {
    const seq = new SobolSequence(SOBOL_MAX_DIMENSION);
    seq.skip(index);
    expect(seq.index).toBe(index);
    const point = seq.next();
    expect(dims.map((d) => point[d - 1])).toEqual(expected);
  });

  it('reaches the same point by next() as by skip()', () => {
    const walked = new SobolSequence(40);
    const last = take(walked, 4096)[4095];
    const jumped = new SobolSequence(40);
    jumped.skip(4095);
    expect(jumped.next()).toEqual(last);
    expect(walked.next()).toEqual(jumped.next());
  });

  it('puts the first 2^m points one in each dyadic bin of every dimension', () => {
    const points = take(new SobolSequence(40), 256);
    for (let k = 0; k < 40; k++) expect(new Set(bins(points, k, 8)).size).toBe(256);
  });
});

describe('scrambled Sobol points', () => {
  it('stratify every 1-D projection of the first 2^m points, and of later aligned blocks', () => {
    for (const seed of [1, 2, 3]) {
      for (const m of [1, 4, 7, 10]) {
        const n = 2 ** m;
        for (const skip of [0, n]) {
          const points = sobolPoints(12, n, seed, skip);
          for (let k = 0; k < 12; k++) {
            const b = bins(points, k, m).sort((x, y) => x - y);
            expect(b).toEqual(Array.from({ length: n }, (_, i) => i));
          }
        }
      }
    }
  });

  it('keep the (0, m, 2)-net property of the first two dimensions', () => {
    // Every elementary box of area 2^-m (2^-a by 2^-(m-a)) holds exactly one of the first 2^m points.
    const m = 8;
    const points = sobolPoints(2, 2 ** m, 42);
    for (let a = 0; a <= m; a++) {
      const boxes = new Set(points.map((p) => `${Math.floor(p[0] * 2 ** a)},${Math.floor(p[1] * 2 ** (m - a))}`));
      expect(boxes.size).toBe(2 ** m);
    }
  });

  it('lie in [0, 1) and are reproduced by their seed', () => {
    const a = sobolPoints(5, 64, 7);
    expect(sobolPoints(5, 64, 7)).toEqual(a);
    expect(new SobolSequence(5, { seed: 7 }).next()).toEqual(a[0]);
    for (const p of a) for (const x of p) expect(x >= 0 && x < 1).toBe(true);
  });

  it('differ between seeds, in every coordinate of the first point', () => {
    const a = sobolPoints(5, 16, 7);
    const b = sobolPoints(5, 16, 8);
    for (let k = 0; k < 5; k++) expect(a[0][k]).not.toBe(b[0][k]);
    expect(a).not.toEqual(b);
  });

  it('continue one sequence across skips, and do not depend on later dimensions', () => {
    const all = sobolPoints(6, 96, 11);
    expect(sobolPoints(6, 32, 11, 64)).toEqual(all.slice(64));
    expect(sobolPoints(3, 96, 11)).toEqual(all.map((p) => p.slice(0, 3)));
    const seq = new SobolSequence(6, { scramble: true, seed: 11 });
    seq.skip(10);
    seq.skip(5);
    expect(seq.next()).toEqual(all[15]);
  });

  it('fill the cube more evenly than uniform random points', () => {
    // Squared centered L2 discrepancy of N = 256 points in d = 5: for independent uniform
    // points its expectation is ((5/4)^d - (13/12)^d) / N = 6.1e-3; Sobol points do far better.
    for (const seed of [1, 2, 3, 4]) {
      const sobol = centeredL2Discrepancy(sobolPoints(5, 256, seed));
      const rng = new Rng(seed);
      const random = centeredL2Discrepancy(Array.from({ length: 256 }, () => Array.from({ length: 5 }, () => rng.next())));
      expect(sobol).toBeLessThan(random / 2);
    }
  });
});

describe('SobolSequence arguments', () => {
  it('refuses dimensions outside 1..1000 and scrambling without a seed', () => {
    expect(() => new SobolSequence(0)).toThrow(DesignError);
    expect(() => new SobolSequence(2.5)).toThrow(/integer/);
    expect(() => new SobolSequence(SOBOL_MAX_DIMENSION + 1)).toThrow(expect.objectContaining({ code: 'unsupported-dimension' }));
    expect(() => new SobolSequence(3, { scramble: true })).toThrow(/seed/);
    expect(() => new SobolSequence(3).skip(-1)).toThrow(DesignError);
  });

  it('is unscrambled unless asked, or given a seed', () => {
    expect(new SobolSequence(3).scrambled).toBe(false);
    expect(new SobolSequence(3, { seed: 1 }).scrambled).toBe(true);
    expect(new SobolSequence(3, { seed: 1, scramble: false }).next()).toEqual([0, 0, 0]);
  });
});
