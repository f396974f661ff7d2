// The build it measures: HAKKEN_DIST (a dist/ folder), else this checkout's dist/ (npm run build).
const dist = process.env.HAKKEN_DIST ?? new URL('../../../dist/', import.meta.url).href;
const { MultiObjectiveStrategy, BayesianStrategy, Space, Rng } = await import(`${dist.replace(/\/?$/, '/')}libs/optimizer/src/index.js`);
const D = 6;
const space = Space.parse(Array.from({ length: D }, (_, i) => ({ name: `x${i}`, type: 'continuous', low: 0, high: 1 })));
function dtlz(p) {
  const x = Array.from({ length: D }, (_, i) => p[`x${i}`]);
  const g = x.slice(1).reduce((s, v) => s + (v - 0.5) ** 2, 0);
  return { f0: (1 + g) * Math.cos((x[0] * Math.PI) / 2), f1: (1 + g) * Math.sin((x[0] * Math.PI) / 2), c: x[1] };
}
const M = Number(process.env.M ?? 2);
const objectives = [
  { name: 'f0', direction: 'minimize', ref: 1.1 },
  { name: 'f1', direction: 'minimize', ref: 1.1 },
];
const constraints = M === 3 ? [{ name: 'c', op: '<=', value: 0.7 }] : [];
for (const N of process.argv.slice(2).map(Number)) {
  const r = new Rng(N);
  const obs = Array.from({ length: N }, () => {
    const params = Object.fromEntries(Array.from({ length: D }, (_, i) => [`x${i}`, r.next()]));
    return { params, values: dtlz(params) };
  });
  let t0 = performance.now();
  await new BayesianStrategy().ask({
    space,
    direction: 'minimize',
    observations: obs.map((o) => ({ params: o.params, value: o.values.f0 })),
    pending: [],
    n: 1,
    seed: 1,
  });
  const single = performance.now() - t0;
  t0 = performance.now();
  await new MultiObjectiveStrategy().ask({ space, objectives, constraints, observations: obs, pending: [], n: 1, seed: 1 });
  const multi = performance.now() - t0;
  console.log(
    `M=${M} N=${N} single=${single.toFixed(0)} multi=${multi.toFixed(0)} ratio=${(multi / single).toFixed(2)} load ${(await import('node:os')).loadavg()[0].toFixed(1)}`,
  );
}
