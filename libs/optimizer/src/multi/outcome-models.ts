/**
 * The models of a several-objective campaign, fitted on encoded inputs: one
 * model per objective (maximisation outcomes), one per outcome with a limit,
 * and the probability of success once runs have failed. The front is the
 * posterior means at the observed points that met every limit,
 * non-dominated; the reference point is the given one or, where none is
 * given, inferred from the data (recorded in `refSource`).
 *
 * FittedOutcomes holds models of any kind that give a posterior per point
 * (GPs, trees, a neural ensemble), fitted by the caller; OutcomeModels fits
 * a GP per outcome and FeasibilityModel (as the single-objective GP strategy
 * does), for the acquisitions that sample GPs jointly (ehvi.ts, propose.ts).
 */
import { logNormalCdf } from '../stats/normal.js';
import type { Direction, Prediction } from '../strategy-interface.js';
import { FeasibilityModel } from '../surrogates/feasibility.js';
import { GaussianProcess, type GpOptions } from '../surrogates/gp.js';
import type { Surrogate } from '../surrogates/surrogate.js';
import { nonDominatedIndices } from './hypervolume.js';

export interface ObjectiveSpec {
  name: string;
  direction: Direction;
  /** The worst value that still counts (the hypervolume's reference point); inferred from the data when absent. */
  ref?: number;
}

export interface OutcomeConstraint {
  name: string;
  op: '<=' | '>=';
  value: number;
}

/** Whether measured values meet every limit (a value that is missing does not). */
export function meetsLimits(values: Readonly<Record<string, number>>, constraints: readonly OutcomeConstraint[]): boolean {
  return constraints.every((c) => {
    const v = values[c.name];
    return typeof v === 'number' && (c.op === '<=' ? v <= c.value : v >= c.value);
  });
}

export interface OutcomeData {
  /** Encoded inputs and values of the experiments that gave every value. */
  X: number[][];
  values: Readonly<Record<string, number>>[];
  /** Encoded inputs of every observed experiment and whether it succeeded (failures are data on where runs fail). */
  allX: number[][];
  succeeded: boolean[];
}

/** What gives the probability that a run at each point does not fail (FeasibilityModel, a forest on 1/0 labels). */
export interface SuccessModel {
  probability(X: number[][]): Float64Array;
}

/** Fitted models: one per objective (on maximisation outcomes, see signedOutcomes), one per limit, and success where runs failed. */
export interface FittedModels<M extends Surrogate, S extends SuccessModel> {
  models: M[];
  limitModels: M[];
  feasibility?: S;
}

/** The maximisation outcomes (rows): each objective's value, negated where it is minimised. */
export function signedOutcomes(objectives: readonly ObjectiveSpec[], values: readonly Readonly<Record<string, number>>[]): number[][] {
  return values.map((v) => objectives.map((o) => (o.direction === 'maximize' ? 1 : -1) * v[o.name]));
}

/** log of the probability that each point meets every limit, from each limited outcome's posterior mean and sd there. */
export function logLimitProbability(
  constraints: readonly OutcomeConstraint[],
  limitModels: readonly Surrogate[],
  X: number[][],
): Float64Array {
  const out = new Float64Array(X.length);
  constraints.forEach((c, k) => {
    const { mean, variance } = limitModels[k].posterior(X);
    for (let a = 0; a < X.length; a++) {
      const z = (c.value - mean[a]) / Math.sqrt(Math.max(variance[a], 1e-18));
      out[a] += logNormalCdf(c.op === '<=' ? z : -z);
    }
  });
  return out;
}

export class FittedOutcomes<M extends Surrogate, S extends SuccessModel = SuccessModel> {
  readonly models: M[];
  readonly limitModels: M[];
  readonly feasibility: S | undefined;
  readonly signs: number[];
  /** Encoded inputs of the succeeded experiments, the models' training inputs. */
  readonly X: number[][];
  /** Maximisation outcomes of the succeeded experiments (rows). */
  readonly Y: number[][];
  /** Front (maximisation) and the encoded points it came from. */
  readonly front: number[][];
  readonly frontX: number[][];
  readonly ref: number[];
  readonly refSource: string;

  constructor(
    readonly objectives: readonly ObjectiveSpec[],
    readonly constraints: readonly OutcomeConstraint[],
    data: Pick<OutcomeData, 'X' | 'values'>,
    fitted: FittedModels<M, S>,
    refMargin: number,
  ) {
    const { X, values } = data;
    this.X = X;
    this.models = fitted.models;
    this.limitModels = fitted.limitModels;
    this.feasibility = fitted.feasibility;
    this.signs = objectives.map((o) => (o.direction === 'maximize' ? 1 : -1));
    this.Y = signedOutcomes(objectives, values);

    // The observed front: posterior means (robust to noise) at the points that met the limits.
    const meeting = values.flatMap((v, k) => (meetsLimits(v, constraints) ? [k] : []));
    const meetingX = meeting.map((k) => X[k]);
    const means = this.models.map((g) => (meetingX.length > 0 ? g.posterior(meetingX).mean : new Float64Array(0)));
    const meetingMeans = meeting.map((_, j) => means.map((mu) => mu[j]));
    const keep = nonDominatedIndices(meetingMeans);
    this.front = keep.map((j) => meetingMeans[j]);
    this.frontX = keep.map((j) => meetingX[j]);

    if (objectives.every((o) => o.ref !== undefined)) {
      this.ref = objectives.map((o, i) => this.signs[i] * (o.ref as number));
      this.refSource = 'given';
    } else {
      // The worst observed value of each objective (over all succeeded runs), a margin of its range worse.
      this.ref = objectives.map((o, i) => {
        if (o.ref !== undefined) return this.signs[i] * o.ref;
        const col = this.Y.map((y) => y[i]);
        const lo = Math.min(...col);
        const range = Math.max(...col) - lo;
        return lo - refMargin * (range > 0 ? range : Math.max(1, Math.abs(lo)));
      });
      this.refSource = `inferred: the worst observed value of each objective less ${refMargin} of its observed range`;
    }
  }

  /** log of the probability that each point meets every limit and does not fail. */
  logWeight(X: number[][]): Float64Array {
    const out = logLimitProbability(this.constraints, this.limitModels, X);
    if (this.feasibility) {
      const p = this.feasibility.probability(X);
      for (let a = 0; a < X.length; a++) out[a] += Math.log(Math.max(p[a], 1e-300));
    }
    return out;
  }

  weight(X: number[][]): Float64Array {
    return this.logWeight(X).map(Math.exp);
  }

  /** The probability that each point does not fail (1 where no run has failed). */
  success(X: number[][]): Float64Array {
    return this.feasibility ? this.feasibility.probability(X) : new Float64Array(X.length).fill(1);
  }

  /** log of the probability that each point does not fail. */
  logSuccess(X: number[][]): Float64Array {
    return this.success(X).map((p) => Math.log(Math.max(p, 1e-300)));
  }

  get constrained(): boolean {
    return this.constraints.length > 0 || this.feasibility !== undefined;
  }

  /** The predicted value (original units and sign) of every objective and limited outcome at x. */
  predictions(x: number[]): Record<string, Prediction> {
    const out: Record<string, Prediction> = {};
    this.objectives.forEach((o, i) => {
      const post = this.models[i].posterior([x]);
      out[o.name] = { mean: this.signs[i] * post.mean[0], sd: Math.sqrt(post.variance[0]) };
    });
    this.constraints.forEach((c, k) => {
      const post = this.limitModels[k].posterior([x]);
      out[c.name] = { mean: post.mean[0], sd: Math.sqrt(post.variance[0]) };
    });
    return out;
  }
}

/** One GP per objective and per limited outcome (kept in `gps` by outcome, so their fits warm-start across asks), and FeasibilityModel. */
export class OutcomeModels extends FittedOutcomes<GaussianProcess, FeasibilityModel> {
  constructor(
    objectives: readonly ObjectiveSpec[],
    constraints: readonly OutcomeConstraint[],
    data: OutcomeData,
    gps: Map<string, GaussianProcess>,
    gpOptions: GpOptions,
    refMargin: number,
    feasibility?: FeasibilityModel,
  ) {
    super(objectives, constraints, data, fitOutcomeGps(objectives, constraints, data, gps, gpOptions, feasibility), refMargin);
  }
}

function fitOutcomeGps(
  objectives: readonly ObjectiveSpec[],
  constraints: readonly OutcomeConstraint[],
  data: OutcomeData,
  gps: Map<string, GaussianProcess>,
  gpOptions: GpOptions,
  given: FeasibilityModel | undefined,
): FittedModels<GaussianProcess, FeasibilityModel> {
  const { X, values } = data;
  const gpFor = (key: string) => {
    let gp = gps.get(key);
    if (!gp) gps.set(key, (gp = new GaussianProcess(gpOptions)));
    return gp;
  };
  const Y = signedOutcomes(objectives, values);
  const models = objectives.map((o, i) => {
    const gp = gpFor(`objective:${o.name}`);
    gp.fit(
      X,
      Y.map((y) => y[i]),
    );
    return gp;
  });
  const limitModels = constraints.map((c) => {
    const gp = gpFor(`limit:${c.name}`);
    gp.fit(
      X,
      values.map((v) => v[c.name]),
    );
    return gp;
  });
  let feasibility: FeasibilityModel | undefined;
  if (data.succeeded.some((s) => !s)) {
    feasibility = given ?? new FeasibilityModel(data.allX[0].length);
    feasibility.fit(
      data.allX,
      data.succeeded.map((s) => (s ? 1 : 0)),
    );
  }
  return { models, limitModels, feasibility };
}
