import { Rng } from '#random';
import { Space, type Params } from '../space.js';
import { dOptimalDesign, designLogDet, relativeDEfficiency } from './doptimal.js';
import { DesignError } from './errors.js';
import { LinearModel, type DesignModel } from './model.js';

const square = Space.parse([
  { name: 'x', type: 'continuous', low: -1, high: 1 },
  { name: 'y', type: 'continuous', low: -1, high: 1 },
]);
const line = Space.parse([{ name: 'x', type: 'continuous', low: -1, high: 1 }]);
const cube = Space.parse([
  { name: 'a', type: 'continuous', low: -1, high: 1 },
  { name: 'b', type: 'continuous', low: 0, high: 10 },
  { name: 'c', type: 'continuous', low: 0.01, high: 1, scale: 'log' },
]);
const mixed = Space.parse([
  { name: 'temp', type: 'continuous', low: 20, high: 80 },
  { name: 'cycles', type: 'integer', low: 1, high: 5 },
  { name: 'solvent', type: 'categorical', choices: ['water', 'ethanol', 'dmso'] },
]);

const sortedKeys = (space: Space, points: readonly Params[]) => points.map((x) => space.key(x)).sort();

/** The largest log det(XᵀX) over every multiset of `runs` points of `candidates` (brute force). */
function bruteForceLogDet(space: Space, model: DesignModel, candidates: Params[], runs: number): number {
  let best = -Infinity;
  const chosen: Params[] = [];
  const visit = (from: number) => {
    if (chosen.length === runs) {
      best = Math.max(best, designLogDet(space, model, chosen));
      return;
    }
    for (let j = from; j < candidates.length; j++) {
      chosen.push(candidates[j]);
      visit(j);
      chosen.pop();
    }
  };
  visit(0);
  return best;
}

function randomDesign(space: Space, runs: number, seed: number): Params[] {
  const rng = new Rng(seed);
  return Array.from({ length: runs }, () => space.fromUnit(space.parameters.map(() => rng.next())));
}

// Computed once, so that the figure appears in the test's name.
const efficiencyVsRandom = (() => {
  const design = dOptimalDesign(cube, { model: 'quadratic', runs: 15, seed: 1 }).points;
  // Random designs of 15 runs can be singular; the median of several is the fair comparison.
  const effs = [1, 2, 3, 4, 5, 6, 7]
    .map((seed) => relativeDEfficiency(cube, 'quadratic', design, randomDesign(cube, 15, seed)))
    .sort((a, b) => a - b);
  return effs[3];
})();

describe('LinearModel', () => {
  it('counts and names the terms of each model, effect-coding categorical parameters', () => {
    expect(new LinearModel(mixed, 'linear').terms.map((t) => t.name)).toEqual([
      '(intercept)',
      'temp',
      'cycles',
      'solvent[water]',
      'solvent[ethanol]',
    ]);
    // 1 + 4 main + (1*1 + 1*2 + 1*2) interactions.
    expect(new LinearModel(mixed, 'interactions').size).toBe(10);
    // + squares of temp and cycles only: a categorical parameter has no square.
    expect(new LinearModel(mixed, 'quadratic').size).toBe(12);
    expect(new LinearModel(mixed, 'linear').code({ temp: 80, cycles: 1, solvent: 'dmso' })).toEqual([1, -1, -1, -1]);
    expect(new LinearModel(cube, 'linear').code({ a: 0, b: 5, c: 0.1 })).toEqual([0, 0, 0]);
  });

  it('refuses parameters whose effects it cannot estimate, and types it does not code', () => {
    const flat = Space.parse([{ name: 'k', type: 'integer', low: 3, high: 3 }]);
    expect(() => new LinearModel(flat, 'linear')).toThrow(/"k" takes the single value 3/);
    const twoLevels = Space.parse([{ name: 'k', type: 'integer', low: 0, high: 1 }]);
    expect(() => new LinearModel(twoLevels, 'quadratic')).toThrow(/needs 3 levels of "k".*only 2 values/);
    const composition = Space.parse([
      { name: 'temp', type: 'continuous', low: 20, high: 80 },
      { name: 'mix', type: 'composition', components: ['Ni', 'Cu'] },
    ]);
    expect(() => new LinearModel(composition, 'linear')).toThrow(/"mix" has type "composition".*out of scope/);
    expect(() => new LinearModel(square, 'cubic' as DesignModel)).toThrow(DesignError);
  });
});

describe('dOptimalDesign', () => {
  it('puts a 4-run design for the 2-factor interaction model on the corners of the square', () => {
    const design = dOptimalDesign(square, { model: 'interactions', runs: 4, seed: 3 });
    expect(design.terms).toBe(4);
    expect(sortedKeys(square, design.points)).toEqual(
      sortedKeys(square, [
        { x: -1, y: -1 },
        { x: -1, y: 1 },
        { x: 1, y: -1 },
        { x: 1, y: 1 },
      ]),
    );
    // det(XᵀX) = det(4 I) = 4^4.
    expect(design.logDet).toBeCloseTo(4 * Math.log(4), 10);
  });

  it('puts a 3-run design for the 1-factor quadratic model on -1, 0 and 1', () => {
    const design = dOptimalDesign(line, { model: 'quadratic', runs: 3, seed: 5 });
    expect(design.points.map((p) => p.x)).toEqual([-1, 0, 1]);
  });

  it.each([6, 7, 9])('finds the best %i-run quadratic design over the 3 x 3 grid (brute force over all multisets)', (runs) => {
    const grid = [-1, 0, 1].flatMap((x) => [-1, 0, 1].map((y) => ({ x, y })));
    const best = bruteForceLogDet(square, 'quadratic', grid, runs);
    expect(dOptimalDesign(square, { model: 'quadratic', runs, seed: 11 }).logDet).toBeCloseTo(best, 8);
  });

  it(`is more D-efficient than random designs of the same size (median relative D-efficiency ${efficiencyVsRandom.toFixed(2)})`, () => {
    expect(efficiencyVsRandom).toBeGreaterThan(1.5);
  });

  it('handles mixed spaces: valid points, every choice of the categorical parameter used', () => {
    const design = dOptimalDesign(mixed, { model: 'quadratic', runs: 18, seed: 2 });
    expect(design.points).toHaveLength(18);
    for (const x of design.points) expect(mixed.check(x)).toEqual([]);
    expect(new Set(design.points.map((x) => x.solvent))).toEqual(new Set(['water', 'ethanol', 'dmso']));
    expect(Number.isFinite(design.logDet)).toBe(true);
  });

  it('is reproducible by seed', () => {
    const a = dOptimalDesign(mixed, { model: 'interactions', runs: 14, seed: 9 });
    expect(dOptimalDesign(mixed, { model: 'interactions', runs: 14, seed: 9 })).toEqual(a);
  });

  it('subsamples a large level grid and still estimates the model', () => {
    const wide = Space.parse(Array.from({ length: 9 }, (_, i) => ({ name: `x${i}`, type: 'continuous', low: 0, high: 1 })));
    const design = dOptimalDesign(wide, { model: 'quadratic', runs: 60, seed: 4, maxCandidates: 500 });
    expect(design.candidates).toBe(500);
    expect(design.terms).toBe(55);
    expect(Number.isFinite(design.logDet)).toBe(true);
  });

  it('blocks a 2^3 design in two blocks of 4 orthogonally to the main effects (an interaction confounded with blocks)', () => {
    const three = Space.parse(['a', 'b', 'c'].map((name) => ({ name, type: 'continuous', low: -1, high: 1 })));
    const design = dOptimalDesign(three, { model: 'linear', runs: 8, seed: 2, blockSize: 4 });
    expect(design.blocks).toEqual([0, 0, 0, 0, 1, 1, 1, 1]);
    expect(design.terms).toBe(5);
    const x = design.points.map((p) => [p.a, p.b, p.c] as number[]);
    // Every corner once, and each block balanced in every factor: no factor's effect is confounded with the blocks.
    expect(new Set(design.points.map((p) => three.key(p))).size).toBe(8);
    for (const block of [x.slice(0, 4), x.slice(4)]) {
      for (let k = 0; k < 3; k++) expect(block.reduce((s, r) => s + r[k], 0)).toBe(0);
      // The blocks absorb one interaction instead: within a block it has one sign.
      const interactions = [
        [0, 1],
        [0, 2],
        [1, 2],
        [0, 1, 2],
      ].map((t) => block.map((r) => t.reduce((prod, f) => prod * r[f], 1)));
      expect(interactions.some((v) => new Set(v).size === 1)).toBe(true);
    }
    // det of the information of (1, a, b, c, block) = 8^4 · 2 (block indicator: 4 ones, orthogonal once centred).
    expect(design.logDet).toBeCloseTo(4 * Math.log(8) + Math.log(2), 8);
  });

  it('estimates the model under unequal blocks, and says how many runs blocks need', () => {
    const design = dOptimalDesign(mixed, { model: 'interactions', runs: 14, seed: 3, blockSize: 4 });
    expect(design.blocks).toEqual([0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3]);
    expect(Number.isFinite(design.logDet)).toBe(true);
    for (const x of design.points) expect(mixed.check(x)).toEqual([]);
    expect(() => dOptimalDesign(square, { model: 'linear', runs: 4, seed: 1, blockSize: 2 })).not.toThrow();
    expect(() => dOptimalDesign(square, { model: 'linear', runs: 4, seed: 1, blockSize: 1 })).toThrow(
      /the linear model has 3 terms and 4 blocks add 3 more, but the design has only 4 runs: a blocked D-optimal design needs at least 6/,
    );
  });

  it('refuses fewer runs than model terms, naming both numbers', () => {
    expect(() => dOptimalDesign(mixed, { model: 'quadratic', runs: 11, seed: 1 })).toThrow(
      /quadratic model has 12 terms but the design has only 11 runs/,
    );
    expect(() => dOptimalDesign(square, { model: 'linear', runs: 0, seed: 1 })).toThrow(/design runs must be an integer/);
  });
});
