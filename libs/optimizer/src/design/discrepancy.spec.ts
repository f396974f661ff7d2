import { centeredL2Discrepancy, minPairwiseDistance } from './discrepancy.js';
import { DesignError } from './errors.js';

describe('centeredL2Discrepancy', () => {
  it('matches hand-computed values', () => {
    // One point at the centre: 13/12 - 2 * 1 + 1 = 1/12.
    expect(centeredL2Discrepancy([[0.5]])).toBeCloseTo(1 / 12, 14);
    // One point at a corner: 13/12 - 2 * (1 + 1/4 - 1/8) + (1 + 1/4 + 1/4) = 1/3.
    expect(centeredL2Discrepancy([[0]])).toBeCloseTo(1 / 3, 14);
    // {1/4, 3/4}: 13/12 - (2/2) * 2 * (1 + 1/8 - 1/32) + (2 * 5/4 + 2 * 1) / 4 = 1/48.
    expect(centeredL2Discrepancy([[0.25], [0.75]])).toBeCloseTo(1 / 48, 14);
    // The centre of the d-cube: (13/12)^d - 1.
    expect(centeredL2Discrepancy([[0.5, 0.5, 0.5]])).toBeCloseTo((13 / 12) ** 3 - 1, 14);
  });

  it('matches an independent implementation (scipy.stats.qmc.discrepancy, method CD)', () => {
    expect(centeredL2Discrepancy([[0.1, 0.7], [0.4, 0.2], [0.9, 0.5]])).toBeCloseTo(0.040727777777777474, 13);
  });

  it('refuses empty and ragged designs', () => {
    expect(() => centeredL2Discrepancy([])).toThrow(DesignError);
    expect(() => centeredL2Discrepancy([[0.1, 0.2], [0.3]])).toThrow(/dimensions/);
  });
});

describe('minPairwiseDistance', () => {
  it('is the smallest Euclidean distance', () => {
    expect(minPairwiseDistance([[0, 0], [3, 4]])).toBe(5);
    expect(minPairwiseDistance([[0, 0], [3, 4], [0, 1]])).toBe(1);
    expect(minPairwiseDistance([[0, 0]])).toBe(Infinity);
  });
});
