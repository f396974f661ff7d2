import { Rng } from '#random';
import { minPairwiseDistance } from './discrepancy.js';
import { DesignError } from './errors.js';
import { MAXIMIN_MAX_POINTS, latinHypercube, maximinLatinHypercube } from './lhs.js';

/** Asserts that every dimension has exactly one point in each bin [k/n, (k+1)/n). */
function expectLatin(points: number[][], dim: number, n: number): void {
  expect(points).toHaveLength(n);
  for (let k = 0; k < dim; k++) {
    const seen = new Set<number>();
    for (const p of points) {
      expect(p).toHaveLength(dim);
      let bin = Math.floor(p[k] * n);
      // k/n * n is not always k in floating point: place x by the bin edges themselves.
      if ((bin + 1) / n <= p[k]) bin += 1;
      if (bin / n > p[k]) bin -= 1;
      expect(bin / n <= p[k] && p[k] < (bin + 1) / n).toBe(true);
      seen.add(bin);
    }
    expect([...seen].sort((x, y) => x - y)).toEqual(Array.from({ length: n }, (_, i) => i));
  }
}

describe('latinHypercube', () => {
  it.each([
    [1, 1],
    [1, 7],
    [3, 10],
    [5, 49],
    [2, 1000],
  ])('has one point per bin in each of %i dimensions (n = %i)', (dim, n) => {
    expectLatin(latinHypercube(dim, n, new Rng(dim * 1000 + n)), dim, n);
  });

  it('is reproduced by its seed and differs between seeds', () => {
    expect(latinHypercube(4, 16, new Rng(3))).toEqual(latinHypercube(4, 16, new Rng(3)));
    expect(latinHypercube(4, 16, new Rng(3))).not.toEqual(latinHypercube(4, 16, new Rng(4)));
  });

  it('returns no points for n = 0 and refuses bad sizes', () => {
    expect(latinHypercube(3, 0, new Rng(1))).toEqual([]);
    expect(() => latinHypercube(0, 4, new Rng(1))).toThrow(DesignError);
    expect(() => latinHypercube(2, -1, new Rng(1))).toThrow(DesignError);
    expect(() => latinHypercube(2, 2.5, new Rng(1))).toThrow(/integer/);
  });
});

describe('maximinLatinHypercube', () => {
  it.each([
    [2, 2],
    [2, 12],
    [4, 20],
    [6, 49],
  ])('stays a Latin hypercube in %i dimensions (n = %i)', (dim, n) => {
    expectLatin(maximinLatinHypercube(dim, n, new Rng(n)), dim, n);
  });

  it('is never worse than the plain Latin hypercube from the same seed, and better on average', () => {
    let plainSum = 0;
    let maximinSum = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const plain = minPairwiseDistance(latinHypercube(3, 20, new Rng(seed)));
      const maximin = minPairwiseDistance(maximinLatinHypercube(3, 20, new Rng(seed)));
      expect(maximin).toBeGreaterThanOrEqual(plain);
      plainSum += plain;
      maximinSum += maximin;
    }
    expect(maximinSum / 20).toBeGreaterThan(1.5 * (plainSum / 20));
  });

  it('with no swaps and one start is the plain Latin hypercube', () => {
    expect(maximinLatinHypercube(3, 10, new Rng(5), { iterations: 0, restarts: 1 })).toEqual(latinHypercube(3, 10, new Rng(5)));
  });

  it('returns the plain Latin hypercube above MAXIMIN_MAX_POINTS', () => {
    const n = MAXIMIN_MAX_POINTS + 1;
    expect(maximinLatinHypercube(2, n, new Rng(2))).toEqual(latinHypercube(2, n, new Rng(2)));
  });

  it('is reproduced by its seed', () => {
    expect(maximinLatinHypercube(3, 15, new Rng(9))).toEqual(maximinLatinHypercube(3, 15, new Rng(9)));
    expect(maximinLatinHypercube(3, 15, new Rng(9))).not.toEqual(maximinLatinHypercube(3, 15, new Rng(10)));
  });

  it('handles designs too small to improve, and refuses bad options', () => {
    expect(maximinLatinHypercube(3, 0, new Rng(1))).toEqual([]);
    expectLatin(maximinLatinHypercube(3, 1, new Rng(1)), 3, 1);
    expectLatin(maximinLatinHypercube(1, 8, new Rng(1)), 1, 8);
    expect(() => maximinLatinHypercube(2, 4, new Rng(1), { iterations: -1 })).toThrow(DesignError);
    expect(() => maximinLatinHypercube(2, 4, new Rng(1), { restarts: 0 })).toThrow(DesignError);
  });
});
