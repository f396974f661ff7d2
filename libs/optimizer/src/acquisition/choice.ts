/**
 * The acquisition a strategy proposes with, as a choice in its options:
 * `logEI` (the default), `EI`, `UCB` (mean + κ sd, κ given directly or as
 * √β, BoTorch's convention), `PI` (searched as log PI: the same ranking,
 * finite far below the incumbent), `thompson` (one joint posterior sample on
 * the candidates, its best taken) and `exploration` (pure uncertainty
 * reduction: the largest posterior variance, for mapping a space rather than
 * optimising it). Every one sees the model only through its posterior.
 *
 * Where experiments failed, each is weighted by P(feasible) as its scale
 * allows: log-scale ones (log EI, log PI) add log P(feasible); non-negative
 * ones (EI, variance) are multiplied by it; UCB and a Thompson sample, which
 * may be negative, are searched among the points with P(feasible) ≥ ½ only.
 */
import type { Rng } from '#random';
import { isBoundedSurrogate, isDifferentiableSurrogate, type Surrogate } from '../surrogates/surrogate.js';
import {
  type Acquisition,
  expectedImprovement,
  expectedImprovementPartials,
  logExpectedImprovement,
  logExpectedImprovementPartials,
  logProbabilityOfImprovement,
  probabilityOfImprovement,
  type ScalarPartials,
  upperConfidenceBound,
} from './analytic.js';
import { posteriorSample } from './thompson.js';

export const ACQUISITION_KINDS = ['logEI', 'EI', 'UCB', 'PI', 'thompson', 'exploration'] as const;
export type AcquisitionKind = (typeof ACQUISITION_KINDS)[number];

/** An acquisition as a strategy's option. `beta` or `kappa` (at most one) only with UCB. */
export interface AcquisitionChoice {
  kind: AcquisitionKind;
  /** UCB: exploration weight on the variance (κ = √β). */
  beta?: number;
  /** UCB: exploration weight on the standard deviation. Default 2. */
  kappa?: number;
}

/** log ½: under this log P(feasible), UCB and Thompson sampling leave a point out. */
export const FEASIBLE_ENOUGH = -Math.LN2;

export const DEFAULT_ACQUISITION: Readonly<AcquisitionChoice> = Object.freeze({ kind: 'logEI' });
/** κ of UCB when neither beta nor kappa is given (about the 98th percentile of the posterior). */
export const DEFAULT_UCB_KAPPA = 2;

/** Every problem of an acquisition choice (an unknown kind, UCB weights on another kind, both weights, a negative one). */
export function acquisitionProblems(choice: AcquisitionChoice): string[] {
  const out: string[] = [];
  if (!(ACQUISITION_KINDS as readonly string[]).includes(choice.kind))
    out.push(`unknown acquisition "${String(choice.kind)}" (one of ${ACQUISITION_KINDS.join(', ')})`);
  for (const w of ['beta', 'kappa'] as const) {
    const v = choice[w];
    if (v === undefined) continue;
    if (choice.kind !== 'UCB') out.push(`acquisition ${w} applies to UCB only, not to ${choice.kind}`);
    else if (!Number.isFinite(v) || v < 0) out.push(`acquisition ${w} must be a finite number ≥ 0 (got ${v})`);
  }
  if (choice.beta !== undefined && choice.kappa !== undefined) out.push('acquisition: give beta or kappa, not both (kappa = √beta)');
  return out;
}

/** κ of a UCB choice. */
export function ucbKappa(choice: AcquisitionChoice): number {
  if (choice.kappa !== undefined) return choice.kappa;
  return choice.beta !== undefined ? Math.sqrt(choice.beta) : DEFAULT_UCB_KAPPA;
}

/** The choice with its defaults written out, as recorded in a proposal's provenance. */
export function resolvedAcquisition(choice: AcquisitionChoice = DEFAULT_ACQUISITION): AcquisitionChoice {
  if (choice.kind !== 'UCB') return { kind: choice.kind };
  return { kind: 'UCB', kappa: ucbKappa(choice), ...(choice.beta !== undefined ? { beta: choice.beta } : {}) };
}

/** What the acquisition is, in words, without the feasibility weighting. */
function acquisitionWords(choice: AcquisitionChoice): string {
  switch (choice.kind) {
    case 'logEI':
      return 'logEI';
    case 'EI':
      return 'EI';
    case 'PI':
      return 'PI, searched as log PI';
    case 'UCB':
      return `UCB, mean + ${ucbKappa(choice)} sd`;
    case 'thompson':
      return 'Thompson sampling on the candidates';
    case 'exploration':
      return 'exploration: posterior variance';
  }
}

/**
 * A short description for a strategy's provenance, e.g. 'logEI (+ log
 * P(feasible) after failures)'. `ranked`: on a candidate set ranked by the
 * log-scale score of candidateAcquisition (P(feasible) then adds in log).
 */
export function describeAcquisition(choice: AcquisitionChoice = DEFAULT_ACQUISITION, ranked = false): string {
  const words = acquisitionWords(choice);
  if (ranked || isLogScale(choice.kind)) return `${words} (+ log P(feasible) after failures)`;
  if (choice.kind === 'EI' || choice.kind === 'exploration') return `${words} (× P(feasible) after failures)`;
  return `${words} (where P(feasible) ≥ ½ after failures)`;
}

/** The kinds whose values are on a log scale: local penalisation and log P(feasible) add to them. */
export function isLogScale(kind: AcquisitionKind): boolean {
  return kind === 'logEI' || kind === 'PI';
}

/** Added to an acquisition's bound (relative to its size), for the rounding of f. */
const BOUND_SLACK = 1e-12;

class Pointwise implements Acquisition {
  readonly gradient?: (x: number[], grad: Float64Array) => number;
  readonly bound?: (X: number[][]) => Float64Array | undefined;

  /**
   * `partials`: ∂f/∂mean and ∂f/∂sd, for the gradient; `increasing`: f is
   * nondecreasing in the sd, so that a bound on the variance bounds f.
   */
  constructor(
    readonly name: string,
    private readonly model: Surrogate,
    private readonly f: (mean: number, sd: number) => number,
    partials?: ScalarPartials,
    increasing = false,
  ) {
    if (increasing && isBoundedSurrogate(model)) {
      this.bound = (X) => {
        const b = model.posteriorBound(X);
        if (!b) return undefined;
        return Float64Array.from(X, (_x, i) => {
          const u = f(b.mean[i], Math.sqrt(Math.max(b.varianceBound[i], 0)));
          return u + BOUND_SLACK * (1 + Math.abs(u));
        });
      };
    }
    if (partials && isDifferentiableSurrogate(model)) {
      const p = new Float64Array(2);
      let dMean = new Float64Array(0);
      let dVariance = new Float64Array(0);
      this.gradient = (x, grad) => {
        if (dMean.length !== x.length) [dMean, dVariance] = [new Float64Array(x.length), new Float64Array(x.length)];
        const post = model.posteriorGradient(x, dMean, dVariance);
        const sd = Math.sqrt(Math.max(post.variance, 0));
        partials(post.mean, sd, p);
        // ∂sd/∂x = ∂variance/∂x / (2 sd).
        const perVariance = sd > 0 ? p[1] / (2 * sd) : 0;
        for (let c = 0; c < x.length; c++) grad[c] = p[0] * dMean[c] + perVariance * dVariance[c];
        return f(post.mean, sd);
      };
    }
  }

  evaluate(X: number[][]): Float64Array {
    if (X.length === 0) return new Float64Array(0);
    const { mean, variance } = this.model.posterior(X);
    const out = new Float64Array(X.length);
    for (let i = 0; i < X.length; i++) out[i] = this.f(mean[i], Math.sqrt(Math.max(variance[i], 0)));
    return out;
  }
}

/**
 * Thompson sampling as an acquisition over a candidate set: the first batch
 * of points it is asked about are the candidates, on which it draws one joint
 * posterior sample; afterwards a candidate reads its sampled value and any
 * other point -∞ (so a search around the candidates keeps the sample's best).
 */
class ThompsonAcquisition implements Acquisition {
  readonly name = 'thompson';
  private sample: Map<string, number> | undefined;

  constructor(
    private readonly model: Surrogate,
    private readonly rng: Rng,
  ) {}

  evaluate(X: number[][]): Float64Array {
    if (!this.sample) {
      const s = posteriorSample(this.model, X, this.rng);
      this.sample = new Map(X.map((x, i) => [x.join(','), s[i]]));
      return s;
    }
    const sample = this.sample;
    return Float64Array.from(X, (x) => sample.get(x.join(',')) ?? -Infinity);
  }
}

/**
 * The chosen acquisition on a model, for maximisation against the incumbent
 * `best` (used by EI, log EI and PI). Thompson sampling draws from `rng`.
 */
export function acquisitionFor(choice: AcquisitionChoice, model: Surrogate, best: number, rng: Rng): Acquisition {
  switch (choice.kind) {
    case 'logEI':
      return new Pointwise(
        'logEI',
        model,
        (m, s) => logExpectedImprovement(m, s, best),
        (m, s, out) => logExpectedImprovementPartials(m, s, best, out),
        true,
      );
    case 'EI':
      return new Pointwise(
        'EI',
        model,
        (m, s) => expectedImprovement(m, s, best),
        (m, s, out) => expectedImprovementPartials(m, s, best, out),
        true,
      );
    case 'PI':
      return new Pointwise('logPI', model, (m, s) => logProbabilityOfImprovement(m, s, best));
    case 'UCB': {
      const kappa = ucbKappa(choice);
      return new Pointwise(
        'UCB',
        model,
        (m, s) => upperConfidenceBound(m, s, kappa),
        (_m, _s, out) => {
          out[0] = 1;
          out[1] = kappa;
        },
        kappa >= 0,
      );
    }
    case 'thompson':
      return new ThompsonAcquisition(model, rng);
    case 'exploration':
      return new Pointwise('variance', model, (_m, s) => s * s);
  }
}

/** An acquisition weighted by P(feasible), given as the log-scale acquisition log P(feasible), as its kind allows (see the file's note). */
export function withFeasibility(kind: AcquisitionKind, acq: Acquisition, logFeasible: Acquisition): Acquisition {
  const name = kind === 'logEI' ? 'logEI+logPFeasible' : `${acq.name}|feasible`;
  return {
    name,
    evaluate(X: number[][]): Float64Array {
      const out = acq.evaluate(X);
      const lf = logFeasible.evaluate(X);
      for (let i = 0; i < X.length; i++) {
        if (isLogScale(kind)) out[i] += lf[i];
        else if (kind === 'EI' || kind === 'exploration') out[i] *= Math.exp(lf[i]);
        else if (lf[i] < FEASIBLE_ENOUGH) out[i] = -Infinity;
      }
      return out;
    },
  };
}

/**
 * The chosen acquisition on a candidate set from the posterior there: the
 * values to report, and a log-scale score to rank and penalise by (local
 * penalisation multiplies a positive acquisition): log EI for EI and log EI
 * (the same ranking, finite where EI underflows), log PI for PI, log
 * variance for exploration, and for UCB and a Thompson sample the log of
 * their excess over the smallest candidate's value.
 */
export function candidateAcquisition(
  choice: AcquisitionChoice,
  mean: Float64Array,
  variance: Float64Array,
  best: number,
  rng: Rng,
): { value: Float64Array; score: Float64Array } {
  const m = mean.length;
  const sd = Float64Array.from(variance, (v) => Math.sqrt(Math.max(v, 0)));
  const map = (f: (i: number) => number) => Float64Array.from({ length: m }, (_, i) => f(i));
  switch (choice.kind) {
    case 'logEI': {
      const v = map((i) => logExpectedImprovement(mean[i], sd[i], best));
      return { value: v, score: v };
    }
    case 'EI':
      return {
        value: map((i) => expectedImprovement(mean[i], sd[i], best)),
        score: map((i) => logExpectedImprovement(mean[i], sd[i], best)),
      };
    case 'PI':
      return {
        value: map((i) => probabilityOfImprovement(mean[i], sd[i], best)),
        score: map((i) => logProbabilityOfImprovement(mean[i], sd[i], best)),
      };
    case 'exploration':
      return { value: map((i) => sd[i] * sd[i]), score: map((i) => 2 * Math.log(Math.max(sd[i], 1e-300))) };
    case 'UCB': {
      const kappa = ucbKappa(choice);
      const v = map((i) => upperConfidenceBound(mean[i], sd[i], kappa));
      return { value: v, score: shiftedLog(v) };
    }
    case 'thompson': {
      const v = map((i) => mean[i] + sd[i] * rng.normal());
      return { value: v, score: shiftedLog(v) };
    }
  }
}

/** log(v − min v + a small margin): positive, in the order of v. */
function shiftedLog(v: Float64Array): Float64Array {
  let lo = Infinity;
  let hi = -Infinity;
  for (const x of v) {
    if (Number.isFinite(x)) {
      lo = Math.min(lo, x);
      hi = Math.max(hi, x);
    }
  }
  const margin = Math.max((hi - lo) * 1e-6, 1e-300);
  return Float64Array.from(v, (x) => (Number.isFinite(x) ? Math.log(x - lo + margin) : -Infinity));
}
