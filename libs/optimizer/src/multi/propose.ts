/**
 * A batch of proposals from fitted outcome models, whatever the candidates
 * are (a space searched by the acquisition optimiser, or the rows of a
 * pool): sequential greedy, each pick joining the pending points of the next.
 * EHVI conditions on them through its joint samples (ehvi.ts), of the limited
 * outcomes too, so that a pending point counts in the samples where it meets
 * the limits; ParEGO through the Kriging believer on its scalarised GP (every
 * pending point, however likely to meet the limits), with fresh weights per
 * pick, so the picks of one batch aim at different parts of the front.
 */
import { logEI, type Acquisition } from '../acquisition/analytic.js';
import { Rng } from '#random';
import { GaussianProcess, type GpOptions } from '../surrogates/gp.js';
import { SOBOL_MAX_DIMENSION } from '../design/sobol.js';
import { baselinePoints, monteCarloEhvi } from './ehvi.js';
import type { ResolvedMultiObjectiveOptions } from './multi-options.js';
import type { OutcomeModels } from './outcome-models.js';
import { chebyshevScalarise, simplexWeights } from './parego.js';

export interface Pick {
  x: number[];
  value: number;
}

/** Finds the best candidate for an acquisition, or undefined when none is left; the caller excludes what it returned before. */
export type Search = (acq: Acquisition, seed: number) => Pick | undefined;

export interface BatchRequest {
  pending: number[][];
  n: number;
  seed: number;
}

/** Most observed points sampled as the noisy baseline; above it the posterior means stand in for the front. */
const MAX_NOISY_BASELINE = 256;

export function acquisitionKind(
  options: { acquisition: ResolvedMultiObjectiveOptions['acquisition']; maxEhviObjectives: number },
  objectives: number,
): 'ehvi' | 'parego' {
  if (options.acquisition !== 'auto') return options.acquisition;
  return objectives <= options.maxEhviObjectives ? 'ehvi' : 'parego';
}

export function proposeBatch(
  models: OutcomeModels,
  request: BatchRequest,
  options: ResolvedMultiObjectiveOptions,
  search: Search,
  gpOptions: GpOptions = {},
): Pick[] {
  const rng = new Rng(request.seed);
  const kind = acquisitionKind(options, models.objectives.length);
  const pending = [...request.pending];
  const picks: Pick[] = [];
  const logWeight = (X: number[][]) => models.logWeight(X);
  // ParEGO's scalarised GP is refitted per pick (new weights); hyperparameters warm-start across picks.
  const scalarGp = new GaussianProcess(gpOptions);
  const limits = models.constraints.map((c, k) => ({ model: models.limitModels[k], op: c.op, value: c.value }));
  // Noisy baseline: the observed points that may be on the front are sampled jointly with the candidate, and each
  // sample's front is theirs (qNEHVI); otherwise the front is the posterior means at the observed points.
  // Each joint point takes a dimension per outcome of the quasi-random base samples: the baseline keeps within them.
  const room = Math.floor(SOBOL_MAX_DIMENSION / (models.models.length + limits.length)) - 2 - request.pending.length - request.n;
  const baseline =
    kind === 'ehvi' && options.noisyBaseline && models.X.length <= MAX_NOISY_BASELINE && room > 0
      ? baselinePoints(models.models, limits, models.X, options.mcSamples, rng.nextUint32(), room)
      : undefined;
  for (let b = 0; b < request.n; b++) {
    let acq: Acquisition;
    if (kind === 'ehvi') {
      // Limits: sampled jointly with the objectives (a pending point counts in the samples where it meets them);
      // failures: a weight on the candidate, and a pending point counts with its probability of success.
      const fails = models.feasibility !== undefined;
      const joint = baseline ? [...baseline, ...pending] : pending;
      acq = monteCarloEhvi({
        models: models.models,
        front: baseline ? [] : models.front,
        ref: models.ref,
        pending: joint,
        limits,
        pendingSuccess:
          fails && pending.length > 0 ? [...(baseline ?? []).map(() => 1), ...Array.from(models.success(pending))] : undefined,
        samples: options.mcSamples,
        seed: rng.nextUint32(),
        logWeight: fails ? (X: number[][]) => models.logSuccess(X) : undefined,
      });
    } else {
      acq = paregoAcquisition(models, simplexWeights(models.objectives.length, rng), options.paregoRho, scalarGp, pending, logWeight);
    }
    const found = search(acq, rng.nextUint32());
    if (!found) break;
    picks.push(found);
    pending.push(found.x);
  }
  return picks;
}

function paregoAcquisition(
  models: OutcomeModels,
  weights: number[],
  rho: number,
  gp: GaussianProcess,
  pending: number[][],
  logWeight: (X: number[][]) => Float64Array,
): Acquisition {
  const X = models.X;
  const s = chebyshevScalarise(models.Y, weights, rho, models.ref);
  gp.fit(X, s);
  let model = gp;
  // Incumbent: the best scalarised value among the runs that met the limits (all of them, where none did).
  const meeting = new Set(models.frontX);
  let best = Math.max(...s.filter((_, k) => meeting.size === 0 || meeting.has(X[k])));
  if (pending.length > 0) {
    const mu = Array.from(gp.posterior(pending).mean);
    model = gp.conditioned(pending, mu);
    best = Math.max(best, ...mu);
  }
  const ei = logEI(model, best);
  return {
    name: 'ParEGO logEI',
    evaluate(Xs: number[][]): Float64Array {
      const v = ei.evaluate(Xs);
      if (!models.constrained) return v;
      const w = logWeight(Xs);
      return v.map((e, i) => e + w[i]);
    },
  };
}
