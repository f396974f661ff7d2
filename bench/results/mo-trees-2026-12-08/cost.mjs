// The build it measures: HAKKEN_DIST (a dist/ folder), else this checkout's dist/ (npm run build).
const dist = process.env.HAKKEN_DIST ?? new URL('../../../dist/', import.meta.url).href;
const { MultiObjectiveTreesStrategy, MultiObjectiveStrategy, Space, Rng } = await import(
  `${dist.replace(/\/?$/, '/')}libs/optimizer/src/index.js`
);
const { estimatedGpAskMs } = await import(`${dist.replace(/\/?$/, '/')}libs/optimizer/src/bo/gp-cost.js`);
const D = 6;
const space = Space.parse(Array.from({ length: D }, (_, i) => ({ name: `x${i}`, type: 'continuous', low: 0, high: 1 })));
function dtlz(p) {
  const x = Array.from({ length: D }, (_, i) => p[`x${i}`]);
  const g = x.slice(1).reduce((s, v) => s + (v - 0.5) ** 2, 0);
  return { f0: (1 + g) * Math.cos((x[0] * Math.PI) / 2), f1: (1 + g) * Math.sin((x[0] * Math.PI) / 2) };
}
const objectives = [
  { name: 'f0', direction: 'minimize', ref: 1.1 },
  { name: 'f1', direction: 'minimize', ref: 1.1 },
];
for (const N of process.argv.slice(2).map(Number)) {
  const r = new Rng(N);
  const obs = Array.from({ length: N }, () => {
    const params = Object.fromEntries(Array.from({ length: D }, (_, i) => [`x${i}`, r.next()]));
    return { params, values: dtlz(params) };
  });
  const row = [`N=${N}`, `est1obj=${estimatedGpAskMs(N, D, 1).toFixed(0)}ms`];
  for (const [name, mk] of [
    ['trees', () => new MultiObjectiveTreesStrategy()],
    ['gp', () => new MultiObjectiveStrategy()],
  ]) {
    const t0 = performance.now();
    await mk().ask({ space, objectives, observations: obs, pending: [], n: 1, seed: 1 });
    row.push(`${name}=${(performance.now() - t0).toFixed(0)}ms`);
  }
  console.log(row.join(' '), 'load', (await import('node:os')).loadavg()[0].toFixed(1));
}
