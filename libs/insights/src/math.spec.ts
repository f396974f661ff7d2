import { describe, expect, it } from '@jest/globals';
import { Rng } from '#random';
import { bestSoFar, crossValidate, pca2, permutationImportance, type Regressor } from './math.js';

describe('console insights math', () => {
  it('PCA finds the known principal axis of points along (1, 2, 0) with small orthogonal spread', () => {
    const axis = [1 / Math.sqrt(5), 2 / Math.sqrt(5), 0];
    const other = [0, 0, 1];
    // t along the axis, s across it, with zero mean and zero correlation: the axes are exact.
    const t = [-3.5, -2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.5];
    const s = [1, -1, -1, 1, 1, -1, -1, 1].map((v) => v * 0.1);
    const points = t.map((ti, i) => axis.map((a, j) => 0.5 + ti * a + s[i] * other[j]));
    const p = pca2(points);
    expect(p.mean).toEqual([0.5, 0.5, 0.5].map((v) => expect.closeTo(v, 12)));
    p.axes[0].forEach((v, j) => expect(v).toBeCloseTo(axis[j], 10));
    p.axes[1].forEach((v, j) => expect(Math.abs(v)).toBeCloseTo(other[j], 10));
    // Variances: sum t^2 / 7 = 42 / 7 = 6 along the axis, 8 * 0.01 / 7 across it.
    const across = 0.08 / 7;
    expect(p.explained[0]).toBeCloseTo(6 / (6 + across), 10);
    expect(p.explained[1]).toBeCloseTo(across / (6 + across), 10);
    // Scores are the coordinates along the axes.
    p.scores.forEach(([x, y], i) => {
      expect(x).toBeCloseTo(t[i], 10);
      expect(Math.abs(y)).toBeCloseTo(Math.abs(s[i]), 10);
    });
  });

  it('PCA of points on a line has one axis; of one point, none', () => {
    expect(
      pca2([
        [0, 0],
        [1, 1],
        [2, 2],
      ]).axes,
    ).toHaveLength(1);
    expect(pca2([[1, 2]]).axes).toHaveLength(0);
    expect(pca2([[1, 2]]).scores).toEqual([[0, 0]]);
  });

  it('permutation importance ranks a relevant parameter above an irrelevant one (exact model: the irrelevant one scores 0)', () => {
    const rng = new Rng(3);
    const X = Array.from({ length: 30 }, () => [rng.next(), rng.next()]);
    const y = X.map(([a]) => 5 * a);
    const exact = (): Regressor => ({ predict: (Xs) => ({ mean: Xs.map(([a]) => 5 * a), sd: Xs.map(() => 0) }) });
    const cv = crossValidate(X, y, exact, 5);
    expect(cv.rmse).toBe(0);
    expect(cv.r2).toBe(1);
    const imp = permutationImportance(X, y, cv, { repeats: 4, seed: 1 });
    expect(imp.map((r) => r.index)).toEqual([0, 1]);
    expect(imp[1].importance).toBe(0);
    // Shuffling a against itself: E[(5a - 5a')^2] / var(5a) = 2 for independent draws; near it here.
    expect(imp[0].importance).toBeGreaterThan(1);
  });

  it('permutation importance with a fitted model (nearest neighbour) still ranks the relevant parameter first', () => {
    const rng = new Rng(5);
    const X = Array.from({ length: 40 }, () => [rng.next(), rng.next(), rng.next()]);
    const y = X.map(([, b]) => Math.sin(4 * b));
    const nearest = (Xt: number[][], yt: number[]): Regressor => ({
      predict: (Xs) => {
        const mean = Xs.map((x) => {
          let best = 0;
          let dist = Infinity;
          Xt.forEach((r, i) => {
            const d = r.reduce((s, v, j) => s + (v - x[j]) ** 2, 0);
            if (d < dist) [dist, best] = [d, i];
          });
          return yt[best];
        });
        return { mean, sd: mean.map(() => 0) };
      },
    });
    const cv = crossValidate(X, y, nearest, 40);
    const imp = permutationImportance(X, y, cv, { repeats: 5, seed: 2 });
    expect(imp[0].index).toBe(1);
    expect(imp[0].importance).toBeGreaterThan(imp[1].importance + 0.3);
  });

  it('best so far follows the direction', () => {
    expect(bestSoFar([3, 1, 2, 0.5], 'minimize')).toEqual([3, 1, 1, 0.5]);
    expect(bestSoFar([3, 1, 4, 2], 'maximize')).toEqual([3, 3, 4, 4]);
  });
});
