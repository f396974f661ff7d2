import { dominates, hypervolume, nonDominated, PreparedFront } from './hypervolume.js';

describe('hypervolume (maximisation)', () => {
  it('is the area of the union of boxes for two objectives', () => {
    // Boxes [0,3]x[0,1], [0,2]x[0,2], [0,1]x[0,3]: 3 + 2 + 1 = 6.
    expect(
      hypervolume(
        [
          [3, 1],
          [2, 2],
          [1, 3],
        ],
        [0, 0],
      ),
    ).toBe(6);
    // A dominated point and a duplicate add nothing.
    expect(
      hypervolume(
        [
          [3, 1],
          [2, 2],
          [1, 3],
          [1, 1],
          [2, 2],
        ],
        [0, 0],
      ),
    ).toBe(6);
    // Order does not matter.
    expect(
      hypervolume(
        [
          [1, 3],
          [3, 1],
          [2, 2],
        ],
        [0, 0],
      ),
    ).toBe(6);
  });

  it('counts nothing for points that do not dominate the reference point', () => {
    expect(
      hypervolume(
        [
          [5, -1],
          [-1, 5],
        ],
        [0, 0],
      ),
    ).toBe(0);
    // On the reference point's boundary: no volume.
    expect(hypervolume([[5, 0]], [0, 0])).toBe(0);
    expect(
      hypervolume(
        [
          [5, -1],
          [2, 2],
        ],
        [0, 0],
      ),
    ).toBe(4);
    expect(hypervolume([], [0, 0])).toBe(0);
    // A shifted reference point.
    expect(
      hypervolume(
        [
          [3, 1],
          [2, 2],
          [1, 3],
        ],
        [1, 1],
      ),
    ).toBe(1);
  });

  it('is exact for three objectives on hand-computed fronts', () => {
    expect(hypervolume([[1, 1, 1]], [0, 0, 0])).toBe(1);
    expect(hypervolume([[2, 3, 4]], [1, 1, 1])).toBe(1 * 2 * 3);
    // Two boxes [0,2]x[0,1]x[0,1] and [0,1]x[0,2]x[0,1] overlap in the unit cube: 2 + 2 - 1.
    expect(
      hypervolume(
        [
          [2, 1, 1],
          [1, 2, 1],
        ],
        [0, 0, 0],
      ),
    ).toBe(3);
    // Three unit-plus-one boxes along each axis: 3 x 2 - 3 x 1 + 1 (inclusion-exclusion: pairwise and triple overlaps are the unit cube).
    expect(
      hypervolume(
        [
          [2, 1, 1],
          [1, 2, 1],
          [1, 1, 2],
        ],
        [0, 0, 0],
      ),
    ).toBe(4);
    // Nested: the smaller box adds nothing.
    expect(
      hypervolume(
        [
          [2, 2, 2],
          [1, 1, 1],
        ],
        [0, 0, 0],
      ),
    ).toBe(8);
  });

  it('is exact for four objectives', () => {
    // [0,2]x[0,1]^3 ∪ [0,1]x[0,2]x[0,1]^2: 2 + 2 - 1.
    expect(
      hypervolume(
        [
          [2, 1, 1, 1],
          [1, 2, 1, 1],
        ],
        [0, 0, 0, 0],
      ),
    ).toBe(3);
    expect(
      hypervolume(
        [
          [1, 1, 1, 3],
          [2, 2, 2, 1],
        ],
        [0, 0, 0, 0],
      ),
    ).toBe(3 + 8 - 1);
  });

  it('matches inclusion-exclusion on random three-objective sets', () => {
    let s = 7;
    const r = () => (s = (s * 16807) % 2147483647) / 2147483647;
    for (let t = 0; t < 20; t++) {
      const pts = Array.from({ length: 5 }, () => [r(), r(), r()]);
      let exact = 0;
      for (let mask = 1; mask < 32; mask++) {
        const sub = pts.filter((_, i) => (mask >> i) & 1);
        const vol = [0, 1, 2].reduce((v, k) => v * Math.min(...sub.map((p) => p[k])), 1);
        exact += (sub.length % 2 === 1 ? 1 : -1) * vol;
      }
      expect(hypervolume(pts, [0, 0, 0])).toBeCloseTo(exact, 12);
    }
  });
});

describe('non-dominated filtering', () => {
  it('keeps the front and one copy of duplicates', () => {
    expect(dominates([2, 2], [1, 2])).toBe(true);
    expect(dominates([2, 2], [2, 2])).toBe(false);
    expect(
      nonDominated([
        [1, 2],
        [2, 1],
        [1, 1],
        [2, 1],
        [0, 3],
      ]),
    ).toEqual([
      [1, 2],
      [2, 1],
      [0, 3],
    ]);
  });
});

describe('hypervolume improvement', () => {
  const front = new PreparedFront(
    [
      [3, 1],
      [2, 2],
      [1, 3],
      [-1, 9],
    ],
    [0, 0],
  );

  it('is the volume a point adds', () => {
    expect(front.volume).toBe(6);
    // (3,3) adds [0,3]^2 minus the front's 6.
    expect(front.improvement([3, 3])).toBe(3);
    // (2.5, 2.5): its box 6.25 less the front clipped to it: (2.5,1),(2,2),(1,2.5) -> 2.5 + 2 + 0.5 = 5.
    expect(front.improvement([2.5, 2.5])).toBeCloseTo(1.25, 14);
    expect(front.improvement([2, 2])).toBe(0);
    expect(front.improvement([1, 1])).toBe(0);
    expect(front.improvement([5, -1])).toBe(0);
  });

  it('agrees with the hypervolume of the union in three objectives', () => {
    const pts = [
      [2, 1, 1],
      [1, 2, 1],
      [1, 1, 2],
    ];
    const f3 = new PreparedFront(pts, [0, 0, 0]);
    for (const y of [
      [2, 2, 2],
      [3, 0.5, 0.5],
      [1.5, 1.5, 1.5],
    ]) {
      expect(f3.improvement(y)).toBeCloseTo(hypervolume([...pts, y], [0, 0, 0]) - 4, 12);
    }
  });
});
