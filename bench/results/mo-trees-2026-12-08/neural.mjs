// Branin-Currin (as shared/bench/problems/branincurrin.mjs, noiseless), budget 40, one at a time, the neural ensemble per outcome.
// The build it measures: HAKKEN_DIST (a dist/ folder), else this checkout's dist/ (npm run build).
const dist = process.env.HAKKEN_DIST ?? new URL('../../../dist/', import.meta.url).href;
const { Space, Rng, hypervolume, DesignStrategy } = await import(`${dist.replace(/\/?$/, '/')}libs/optimizer/src/index.js`);
const { MultiObjectiveNeuralStrategy } = await import(`${dist.replace(/\/?$/, '/')}libs/surrogates-tfjs/src/index.js`);
const problem = (await import(process.env.BRANINCURRIN ?? '/work/shared/bench/problems/branincurrin.mjs')).default;
const space = Space.parse(problem.parameters);
const objectives = problem.objectives.map((o) => ({ name: o.name, direction: o.goal, ref: o.ref }));
const ref = objectives.map((o) => -o.ref);
const hv = (obs) =>
  hypervolume(
    obs.map((o) => objectives.map((b) => -o.values[b.name])),
    ref,
  );
for (const seed of (process.argv[2] ?? '0').split(',').map(Number)) {
  const s = new MultiObjectiveNeuralStrategy({ ensemble: { logger: () => {} } });
  const obs = [];
  const times = [];
  while (obs.length < 40) {
    const t0 = performance.now();
    const [p] = await s.ask({ space, objectives, observations: obs, pending: [], n: 1, seed });
    times.push(performance.now() - t0);
    obs.push({ params: p.params, values: problem.evaluate(p.params).values });
  }
  times.sort((a, b) => a - b);
  console.log(
    `seed ${seed}: log10 HV regret ${Math.log10(problem.optimum - hv(obs)).toFixed(2)}, median ask ${(times[20] / 1000).toFixed(1)} s, backend ${JSON.stringify(s.info.settings.fit?.backend)}`,
  );
}
