// replay a run's first k evaluations into BayesianStrategy and report model state
const dist = process.argv[2];
const run = JSON.parse((await import('node:fs')).readFileSync(process.argv[3], 'utf8'));
const ks = process.argv[4].split(',').map(Number);
const { BayesianStrategy } = await import(`${dist}/libs/optimizer/src/bo/bayesian-strategy.js`);
const { Space } = await import(`${dist}/libs/optimizer/src/space.js`);
const { Encoder } = await import(`${dist}/libs/optimizer/src/bo/encoding.js`);
const { suiteInstance } = await import(`${dist}/bench/suite/suite.js`);
const inst = suiteInstance(run.problem);
const space = Space.parse(inst.parameters);
const enc = new Encoder(space, {});
for (const k of ks) {
  const s = new BayesianStrategy();
  const obs = run.evaluations.slice(0, k).map((e) => ({ params: e.params, value: e.told }));
  const props = await s.ask({ space, direction: inst.objective.goal, observations: obs, pending: [], n: 1, seed: run.seed });
  const { gp, warp } = s.lastFit;
  const X = obs.map((o) => enc.encode(o.params));
  const p = enc.encode(props[0].params);
  const nearest = Math.min(...X.map((x) => Math.max(...x.map((v, i) => Math.abs(v - p[i])))));
  const hp = gp.hyperparameters;
  const post = gp.posterior([p]);
  console.log(`k=${k} warp=${warp.label} ls=${hp.lengthscales.map((v) => v.toFixed(3))} os=${hp.outputscale.toFixed(3)} noise=${hp.noise.toExponential(2)} `
    + `prop=${p.map((v) => v.toFixed(3))} nearest=${nearest.toFixed(4)} acq=${props[0].acquisition.toFixed(3)} sd@prop=${Math.sqrt(post.variance[0]).toExponential(2)}`);
}
