// Warm start of N uniform points on dtlz2_6, then K asks one at a time: hypervolume gained by GP, trees, uniform draws.
// The build it measures: HAKKEN_DIST (a dist/ folder), else this checkout's dist/ (npm run build).
const dist = process.env.HAKKEN_DIST ?? new URL('../../../dist/', import.meta.url).href;
const { MultiObjectiveTreesStrategy, MultiObjectiveStrategy, Space, Rng, hypervolume } = await import(
  `${dist.replace(/\/?$/, '/')}libs/optimizer/src/index.js`
);
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
const best = 1.1 ** 2 - Math.PI / 4;
const hv = (obs) =>
  hypervolume(
    obs.map((o) => [-o.values.f0, -o.values.f1]),
    [-1.1, -1.1],
  );
const [N, K] = [Number(process.argv[2] ?? 400), Number(process.argv[3] ?? 10)];
const draw = (r) => {
  const params = Object.fromEntries(Array.from({ length: D }, (_, i) => [`x${i}`, r.next()]));
  return { params, values: dtlz(params) };
};
for (const seed of [0, 1]) {
  const r = new Rng(1000 + seed);
  const warm = Array.from({ length: N }, () => draw(r));
  const row = [`seed ${seed}`, `warm log10 regret ${Math.log10(best - hv(warm)).toFixed(3)}`];
  for (const [name, mk] of [
    ['trees', () => new MultiObjectiveTreesStrategy()],
    ['gp', () => new MultiObjectiveStrategy()],
    ['uniform', null],
  ]) {
    const obs = [...warm];
    const t0 = performance.now();
    const u = new Rng(seed);
    for (let k = 0; k < K; k++) {
      if (!mk) {
        obs.push(draw(u));
        continue;
      }
      const [p] = await mk().ask({ space, objectives, observations: obs, pending: [], n: 1, seed: seed * 100 + k });
      obs.push({ params: p.params, values: dtlz(p.params) });
    }
    row.push(`${name} ${Math.log10(best - hv(obs)).toFixed(3)} (${((performance.now() - t0) / K / 1000).toFixed(1)} s/ask)`);
  }
  console.log(row.join(' | '), `load ${(await import('node:os')).loadavg()[0].toFixed(1)}`);
}
