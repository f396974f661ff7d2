import { constraintProblems, formatConstraint, type LinearConstraint } from './constraints.js';
import { Space, SpaceError } from './space.js';

const box = [
  { name: 'x1', type: 'continuous', low: 0, high: 10 },
  { name: 'x2', type: 'continuous', low: 0, high: 10 },
  { name: 'n', type: 'integer', low: 1, high: 5 },
  { name: 'solvent', type: 'categorical', choices: ['water', 'ethanol'] },
  { name: 'cat', type: 'composition', components: ['Ni', 'Fe'] },
];

function problemsOf(constraints: unknown): string[] {
  try {
    Space.parse(box, constraints);
    return [];
  } catch (e) {
    if (!(e instanceof SpaceError)) throw e;
    return e.problems;
  }
}

describe('linear constraints', () => {
  it('formats a constraint as people write it', () => {
    expect(formatConstraint({ coefficients: { x1: 1, x2: 1 }, op: '<=', rhs: 10 })).toBe('x1 + x2 <= 10');
    expect(formatConstraint({ coefficients: { temp: 2, time: -1 }, op: '>=', rhs: 0 })).toBe('2*temp - time >= 0');
    expect(formatConstraint({ coefficients: { a: -0.5 }, op: '<=', rhs: 1 })).toBe('-0.5*a <= 1');
  });

  it('names every problem of a constraint list', () => {
    const problems = problemsOf([
      { coefficients: { x1: 1, x3: 1 }, op: '<=', rhs: 10 },
      { coefficients: { solvent: 1 }, op: '<=', rhs: 1 },
      { coefficients: { cat: 1, x1: 0 }, op: '>=', rhs: 0 },
      { coefficients: {}, op: '<=', rhs: 1 },
      { coefficients: { x1: 1, x2: 1 }, op: '>=', rhs: 25 },
      { coefficients: { x1: 1, n: -2 }, op: '<=', rhs: -11 },
    ]);
    expect(problems).toEqual([
      'constraints[0]: unknown parameter "x3"',
      'constraints[1]: parameter "solvent" is categorical: only continuous and integer parameters can be constrained',
      'constraints[2]: parameter "cat" is composition: only continuous and integer parameters can be constrained',
      'constraints[2]: the coefficient of "x1" is zero: leave the parameter out instead',
      'constraints[3]: a constraint needs at least one coefficient (parameter name -> number)',
      "constraints[4]: x1 + x2 >= 25 cannot hold: over the parameters' ranges x1 + x2 is at most 20",
      "constraints[5]: x1 - 2*n <= -11 cannot hold: over the parameters' ranges x1 - 2*n is at least -10",
    ]);
  });

  it('reports schema problems with their path, non-finite numbers included', () => {
    expect(problemsOf([{ coefficients: { x1: Number.NaN }, op: '<', rhs: Infinity }])).toEqual([
      'constraints[0].coefficients.x1: a coefficient must be a finite number',
      'constraints[0].op: Invalid option: expected one of "<="|">="',
      'constraints[0].rhs: rhs must be a finite number',
    ]);
    // Called directly (no schema in front), the checks name non-finite numbers too.
    const direct = constraintProblems(Space.parse(box).parameters, [{ coefficients: { x1: Infinity }, op: '<=', rhs: Number.NaN }]);
    expect(direct.map((p) => p.message)).toEqual([
      'the coefficient of "x1" must be a finite number, got Infinity',
      'rhs must be a finite number, got NaN',
    ]);
  });

  it('warns when each constraint holds alone but no sampled point satisfies them together', () => {
    const together: LinearConstraint[] = [
      { coefficients: { x1: 1, x2: 1 }, op: '<=', rhs: 5 },
      { coefficients: { x1: 1, x2: 1 }, op: '>=', rhs: 6 },
    ];
    const space = Space.parse(box, together);
    expect(space.constraintProblems()).toEqual([
      {
        message: expect.stringContaining("no point of 4096 sampled over the parameters' ranges satisfies all 2 constraints together"),
        severity: 'warning',
      },
    ]);
    expect(space.interiorPoint()).toBeUndefined();
    expect(Space.parse(box, [together[0], { coefficients: { x1: 1 }, op: '>=', rhs: 4 }]).constraintProblems()).toEqual([]);
  });

  it('reports a violated constraint with its values, and accepts its boundary', () => {
    const space = Space.parse(box, [
      { coefficients: { x1: 1, x2: 1 }, op: '<=', rhs: 10 },
      { coefficients: { x1: 2, n: -1 }, op: '>=', rhs: 0 },
    ]);
    const point = { x1: 7.5, x2: 5, n: 2, solvent: 'water', 'cat.Ni': 0.5, 'cat.Fe': 0.5 };
    expect(space.check(point)).toEqual(['constraint 1 (x1 + x2 <= 10): x1 + x2 = 12.5 > 10']);
    expect(space.check({ ...point, x1: 0.5, x2: 9.5, n: 3 })).toEqual(['constraint 2 (2*x1 - n >= 0): 2*x1 - n = -2 < 0']);
    // On the boundary, also after round-off of a unit-cube mapping.
    expect(space.check({ ...point, x1: 9.7, x2: 0.3 + 1e-13 })).toEqual([]);
    // A missing value is reported once, as missing, not as a violated constraint.
    const { x2: _, ...missing } = point;
    expect(space.check(missing)).toEqual(['missing parameter "x2"']);
  });

  it('keeps spaces without constraints as they were', () => {
    const space = new Space(Space.parse(box).parameters);
    expect(space.constraints).toEqual([]);
    expect(space.satisfies({ x1: 100 })).toBe(true);
  });

  it('moves an infeasible point onto the boundary towards the interior', () => {
    const space = Space.parse(box, [{ coefficients: { x1: 1, x2: 1 }, op: '<=', rhs: 10 }]);
    const inside = space.interiorPoint() as Record<string, number>;
    expect(inside.x1 + inside.x2).toBeLessThan(10);
    const moved = space.pullInside({ x1: 10, x2: 10, n: 4, solvent: 'ethanol', 'cat.Ni': 1, 'cat.Fe': 0 }) as Record<
      string,
      number | string
    >;
    expect((moved.x1 as number) + (moved.x2 as number)).toBeCloseTo(10, 9);
    expect(space.check(moved)).toEqual([]);
    // Parameters outside every constraint keep their values.
    expect(moved).toMatchObject({ n: 4, solvent: 'ethanol', 'cat.Ni': 1, 'cat.Fe': 0 });
  });
});
