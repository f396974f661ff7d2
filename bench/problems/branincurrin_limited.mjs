// branincurrin_limited.mjs — branincurrin (two objectives, both minimized, on
// [0,1]^2, reference point (18, 6)) under an outcome limit on a third measured
// value, stress = x1 + 2 x0 + 0.05 sin(12 x1) <= 1: a quarter of the box meets
// it, and it cuts the unconstrained front (hypervolume 58.5 on a grid) through
// the middle. The best hypervolume under the limit, 55.0838, was estimated from
// the feasible points of a 1001 x 1001 grid together with 10^6 points on the
// limit's boundary (x0 = (1 - x1 - 0.05 sin(12 x1)) / 2), where the front lies;
// the 10^5-point boundary gave 55.0825.
// Branin (Dixon and Szegő's test function) and Currin's exponential function,
// written out here so that the problem needs nothing outside the repository.
export function branin(x1, x2) {
  const b = 5.1 / (4 * Math.PI ** 2);
  const c = 5 / Math.PI;
  const t = 1 / (8 * Math.PI);
  return (x2 - b * x1 ** 2 + c * x1 - 6) ** 2 + 10 * (1 - t) * Math.cos(x1) + 10;
}

export function currin(x0, x1) {
  const f1 = 1 - Math.exp(-1 / (2 * x1));
  return (f1 * (2300 * x0 ** 3 + 1900 * x0 ** 2 + 2092 * x0 + 60)) / (100 * x0 ** 3 + 500 * x0 ** 2 + 4 * x0 + 20);
}

export const stress = (x0, x1) => x1 + 2 * x0 + 0.05 * Math.sin(12 * x1);

export default {
  name: 'branincurrin_limited',
  parameters: [
    { name: 'x0', type: 'continuous', low: 0, high: 1 },
    { name: 'x1', type: 'continuous', low: 0, high: 1 },
  ],
  objectives: [
    { name: 'branin', goal: 'minimize', ref: 18 },
    { name: 'currin', goal: 'minimize', ref: 6 },
  ],
  outcomeConstraints: [{ name: 'stress', op: '<=', value: 1 }],
  optimum: 55.08378259438793,
  evaluate: (p) => ({
    values: {
      branin: branin(15 * p.x0 - 5, 15 * p.x1),
      currin: currin(p.x0, Math.max(p.x1, 1e-12)),
      stress: stress(p.x0, p.x1),
    },
  }),
};
