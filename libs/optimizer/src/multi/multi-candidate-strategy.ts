/**
 * Several objectives under outcome limits with surrogates that give a
 * posterior per point only (extremely randomised trees; the TensorFlow.js
 * ensemble of libs/surrogates-tfjs plugs in the same way): the definition's
 * semantics of the GP strategy (multi-strategy.ts), the search of the
 * single-objective candidate strategy (tree-ensemble-strategy.ts).
 *
 * - A scrambled-Sobol initial design, then one model per objective and per
 *   limited outcome (FittedOutcomes: the front of posterior means at the
 *   points that met every limit, the reference point given or inferred and
 *   recorded), and where runs failed a forest on 1/0 labels for P(success).
 * - Candidates: Sobol points plus perturbations of the front's points (trees
 *   are piecewise constant: no gradient to follow), each scored by the
 *   acquisition times P(meets every limit) x P(success) from the outcomes'
 *   predictive means and sds.
 * - The acquisition: EHVI by Monte Carlo over independent normal marginals
 *   (ParEGO's scalarisation of the same samples above maxEhviObjectives).
 * - Batches and pending points, sequential greedy: each pending point or
 *   earlier pick is believed (its predicted means join the front where its
 *   predicted limited outcomes meet the limits and it is likely to succeed),
 *   and the local penalty of the single-objective strategy keeps the picks
 *   apart. The believer alone cannot: per-point models do not shrink their
 *   variance next to a pending point, so a neighbour of a pick keeps most of
 *   its improvement; the penalty can, at no cost in fits.
 */
import { DesignStrategy } from '../design/design-strategy.js';
import { Rng } from '#random';
import type { Params } from '../space.js';
import type { StrategyInfo } from '../strategy-interface.js';
import { ExtraTrees, type ExtraTreesOptions } from '../surrogates/extra-trees.js';
import { readPosterior, type Surrogate } from '../surrogates/surrogate.js';
import { Encoder, encoderDefaults, type EncoderOptions } from '../bo/encoding.js';
import { inInitialDesign, initialDesignInfo, initialDesignSize } from '../bo/initial-design.js';
import { candidateSet, FEASIBILITY_FLOOR, nearestDistance, penalise } from '../bo/candidate-set.js';
import type { CandidateSurrogate } from '../bo/tree-ensemble-strategy.js';
import { quasiNormals } from './ehvi.js';
import { PreparedFront } from './hypervolume.js';
import { marginalEhvi, marginalParego, type Marginals } from './marginal-acquisition.js';
import { MULTI_OBJECTIVE_DEFAULTS, type MultiObjectiveOptions } from './multi-options.js';
import { complete, mixSeed, outcomeNames, type MultiAskRequest, type MultiProposal } from './multi-strategy.js';
import { FittedOutcomes, signedOutcomes, type SuccessModel } from './outcome-models.js';
import { chebyshev, chebyshevBounds, simplexWeights } from './parego.js';
import { acquisitionKind } from './propose.js';

export interface MultiCandidateOptions extends Pick<
  MultiObjectiveOptions,
  'acquisition' | 'maxEhviObjectives' | 'mcSamples' | 'paregoRho' | 'refMargin' | 'initialDesign'
> {
  /**
   * Sobol candidates per ask. Default 1024: with 256 perturbations per centre
   * (the same 5,120 candidates as 4096 and 64) better on every seed of
   * branincurrin, as well on dtlz2_6 (bench/results/mo-trees-2026-12-08).
   */
  rawSamples?: number;
  /** Front points (or, with none, the observations likeliest to meet the limits) around which candidates are perturbed. Default 16. */
  localCentres?: number;
  /** Perturbations per centre. Default 256. */
  perturbations?: number;
  /** Radius of the local penalty around picks and pending points (RMS distance per parameter). Default 0.1. */
  penaltyRadius?: number;
  /** A proposal farther than this from every observation is flagged (RMS distance per parameter). Default 0.25. */
  extrapolationDistance?: number;
  /** Options of the feasibility forest (and of every outcome's, for MultiObjectiveTreesStrategy). */
  trees?: ExtraTreesOptions;
  /** How categorical choices with descriptors and compositions reach the models (see EncoderOptions). */
  encoding?: EncoderOptions;
}

type Resolved = Required<Omit<MultiCandidateOptions, 'initialDesign' | 'trees' | 'encoding'>> &
  Pick<MultiCandidateOptions, 'initialDesign' | 'trees'> & { encoding: EncoderOptions };

function resolve(o: MultiCandidateOptions): Resolved {
  const d = MULTI_OBJECTIVE_DEFAULTS;
  return {
    acquisition: o.acquisition ?? d.acquisition,
    maxEhviObjectives: o.maxEhviObjectives ?? d.maxEhviObjectives,
    mcSamples: o.mcSamples ?? d.mcSamples,
    paregoRho: o.paregoRho ?? d.paregoRho,
    refMargin: o.refMargin ?? d.refMargin,
    initialDesign: o.initialDesign,
    rawSamples: o.rawSamples ?? 1024,
    localCentres: o.localCentres ?? 16,
    perturbations: o.perturbations ?? 256,
    penaltyRadius: o.penaltyRadius ?? 0.1,
    extrapolationDistance: o.extrapolationDistance ?? 0.25,
    trees: o.trees,
    encoding: { ...o.encoding },
  };
}

/** P(success) from a forest on 1/0 labels, floored (a leaf of failures only gives exactly 0). */
class ForestSuccess implements SuccessModel {
  constructor(private readonly forest: ExtraTrees) {}
  probability(X: number[][]): Float64Array {
    return Float64Array.from(this.forest.posterior(X).mean, (p) => Math.min(1, Math.max(FEASIBILITY_FLOOR, p)));
  }
}

/** A pick: the candidate's index and its acquisition value (log, P(meets limits and succeeds) included). */
interface Chosen {
  index: number;
  value: number;
}

export class MultiObjectiveCandidateStrategy<M extends Surrogate = Surrogate> {
  private readonly o: Resolved;
  private readonly design = new DesignStrategy({ kind: 'sobol' });
  private readonly baseInfo: StrategyInfo;
  private lastFit: Record<string, unknown> | undefined;
  private lastFromDesign = false;

  constructor(
    options: MultiCandidateOptions,
    private readonly surrogate: CandidateSurrogate<M>,
  ) {
    this.o = resolve(options);
    this.baseInfo = {
      name: surrogate.name,
      settings: {
        ...surrogate.settings,
        feasibility: 'extremely randomised trees on 1/0 labels',
        limits: "P(meets each limit) from the limited outcome's predictive mean and sd",
        batch: 'believed pending points on the front, and local penalisation',
        ...this.o,
        trees: { ...options.trees },
        encoding: encoderDefaults(this.o.encoding),
      },
    };
  }

  get info(): StrategyInfo {
    if (this.lastFromDesign) return initialDesignInfo(this.design, this.baseInfo);
    return this.lastFit ? { name: this.baseInfo.name, settings: { ...this.baseInfo.settings, fit: this.lastFit } } : this.baseInfo;
  }

  async ask(request: MultiAskRequest): Promise<MultiProposal[]> {
    const { space, n } = request;
    const constraints = request.constraints ?? [];
    const names = outcomeNames(request.objectives, constraints);
    this.lastFromDesign = false;
    if (n <= 0) return [];
    const enc = new Encoder(space, this.o.encoding);
    const valid = (p: Params) => space.check(p).length === 0;
    const observed = request.observations.filter((o) => valid(o.params));
    const succeeded = observed.filter((o) => complete(o, names));
    const pendingParams = request.pending.filter(valid);
    const counts = { observed: observed.length, pending: request.pending.length, succeeded: succeeded.length };
    if (inInitialDesign(counts, initialDesignSize(space, this.o.initialDesign))) {
      this.lastFromDesign = true;
      return this.designed(request, [...observed.map((o) => o.params), ...request.pending], n);
    }

    const X = succeeded.map((o) => enc.encode(o.params));
    const values = succeeded.map((o) => o.values as Record<string, number>);
    const models = await this.fit(
      request,
      X,
      values,
      observed.map((o) => enc.encode(o.params)),
      observed.map((o) => complete(o, names)),
    );
    const kind = acquisitionKind(this.o, request.objectives.length);

    const seed = mixSeed(request.seed, observed.length, request.pending.length);
    const rng = new Rng(seed);
    const candidates = candidateSet(enc, this.centres(models), this.o, new Rng(seed ^ 0x5bd1e995), seed);
    const marginals = await marginalsAt(models.models, candidates);
    const logWeight = models.logWeight(candidates);
    const pending = pendingParams.map((p) => enc.encode(p));
    const believed = pending.filter((x) => believable(models, x));
    const z = quasiNormals(this.o.mcSamples, models.models.length, rng.nextUint32());

    const taken = new Set([...observed.map((o) => o.params), ...request.pending, ...(request.rejected ?? [])].map((p) => space.key(p)));
    const penalty = new Float64Array(candidates.length);
    const r2 = 2 * this.o.penaltyRadius ** 2;
    for (const c of pending) penalise(penalty, candidates, enc, c, r2);
    const chosen: Chosen[] = [];
    while (chosen.length < n) {
      const acq = this.acquisition(kind, models, marginals, believed, z, rng);
      let best = -1;
      let bestScore = -Infinity;
      for (let i = 0; i < candidates.length; i++) {
        const s = acq[i] + logWeight[i] + penalty[i];
        if (s > bestScore && !taken.has(space.key(enc.decode(candidates[i])))) {
          best = i;
          bestScore = s;
        }
      }
      if (best < 0) break;
      const x = candidates[best];
      taken.add(space.key(enc.decode(x)));
      chosen.push({ index: best, value: acq[best] + logWeight[best] });
      penalise(penalty, candidates, enc, x, r2);
      if (believable(models, x)) believed.push(x);
    }
    this.lastFit = {
      acquisition: kind,
      ref: models.ref.map((r, i) => models.signs[i] * r),
      refSource: models.refSource,
      front: models.front.length,
      candidates: candidates.length,
      ...this.surrogate.fitted?.(models.models[0]),
    };
    const proposals = chosen.map((c) => this.describe(enc, models, candidates[c.index], c.value));
    if (proposals.length < n) {
      // A tiny discrete space nearly exhausted: the design fills in, never repeating a point.
      const more = await this.designed(
        request,
        [...observed.map((o) => o.params), ...request.pending, ...proposals.map((p) => p.params)],
        n - proposals.length,
      );
      proposals.push(...more);
    }
    return proposals;
  }

  private designed(request: MultiAskRequest, pending: Params[], n: number): Promise<MultiProposal[]> {
    return this.design.ask({ space: request.space, direction: 'maximize', observations: [], pending, n, seed: request.seed });
  }

  /** One model per objective (maximisation outcomes) and per limited outcome, and P(success) where runs failed. */
  private async fit(
    request: MultiAskRequest,
    X: number[][],
    values: Record<string, number>[],
    allX: number[][],
    succeeded: boolean[],
  ): Promise<FittedOutcomes<M>> {
    const constraints = request.constraints ?? [];
    const Y = signedOutcomes(request.objectives, values);
    const fitOne = async (k: number, y: number[]) => {
      const model = this.surrogate.create(request.seed + 7919 * (k + 1));
      await model.fit(X, y);
      return model;
    };
    const models: M[] = [];
    for (let i = 0; i < request.objectives.length; i++)
      models.push(
        await fitOne(
          i,
          Y.map((row) => row[i]),
        ),
      );
    const limitModels: M[] = [];
    for (let k = 0; k < constraints.length; k++)
      limitModels.push(
        await fitOne(
          request.objectives.length + k,
          values.map((v) => v[constraints[k].name]),
        ),
      );
    let feasibility: ForestSuccess | undefined;
    if (succeeded.some((s) => !s)) {
      const forest = new ExtraTrees({ seed: request.seed + 1, ...this.o.trees });
      forest.fit(
        allX,
        succeeded.map((s) => (s ? 1 : 0)),
      );
      feasibility = new ForestSuccess(forest);
    }
    return new FittedOutcomes<M>(request.objectives, constraints, { X, values }, { models, limitModels, feasibility }, this.o.refMargin);
  }

  /** The front's points, spread over it when it has more than localCentres; with no front, the points likeliest to meet the limits. */
  private centres(models: FittedOutcomes<M>): number[][] {
    const L = this.o.localCentres;
    const F = models.frontX;
    if (F.length > 0) return F.length <= L ? F : Array.from({ length: L }, (_, k) => F[Math.floor((k * F.length) / L)]);
    const w = models.logWeight(models.X);
    return Array.from(models.X.keys())
      .sort((a, b) => w[b] - w[a])
      .slice(0, L)
      .map((k) => models.X[k]);
  }

  private acquisition(
    kind: 'ehvi' | 'parego',
    models: FittedOutcomes<M>,
    marginals: Marginals,
    believed: number[][],
    z: Float64Array[],
    rng: Rng,
  ): Float64Array {
    const beliefs = meansAt(models, believed);
    if (kind === 'ehvi') return marginalEhvi(marginals, new PreparedFront([...models.front, ...beliefs], models.ref), z);
    // ParEGO: fresh weights per pick; the incumbent the best scalarised front point or believed pending point.
    const m = models.objectives.length;
    const { lo, hi } = chebyshevBounds(models.Y, m, models.ref);
    const s = { weights: simplexWeights(m, rng), rho: this.o.paregoRho, lo, hi };
    const incumbents = [...models.front, ...beliefs];
    const best = incumbents.length > 0 ? Math.max(...incumbents.map((y) => chebyshev(y, s.weights, s.rho, lo, hi))) : 0;
    return marginalParego(marginals, s, best, z);
  }

  private describe(enc: Encoder, models: FittedOutcomes<M>, x: number[], value: number): MultiProposal {
    const proposal: MultiProposal = { params: enc.decode(x), predictions: models.predictions(x), acquisition: value };
    const nearest = nearestDistance(enc, x, models.X);
    if (nearest > this.o.extrapolationDistance) {
      proposal.extrapolation = `no measured point within ${this.o.extrapolationDistance} (nearest at ${nearest.toFixed(2)}, RMS distance per parameter on the unit scale): the models extrapolate`;
    }
    return proposal;
  }
}

/** Each objective model's posterior mean and sd at the candidates (read asynchronously where a model can). */
async function marginalsAt(models: readonly Surrogate[], X: number[][]): Promise<Marginals> {
  const mean: Float64Array[] = [];
  const sd: Float64Array[] = [];
  for (const m of models) {
    const post = await readPosterior(m, X);
    mean.push(post.mean);
    sd.push(post.variance.map((v) => Math.sqrt(Math.max(v, 0))));
  }
  return { mean, sd };
}

/** The objectives' predicted means (maximisation) at each point. */
function meansAt(models: FittedOutcomes<Surrogate>, X: number[][]): number[][] {
  if (X.length === 0) return [];
  const means = models.models.map((g) => g.posterior(X).mean);
  return X.map((_, a) => means.map((mu) => mu[a]));
}

/** Whether a pending point is believed onto the front: its predicted limited outcomes meet every limit, and it likely succeeds. */
function believable(models: FittedOutcomes<Surrogate>, x: number[]): boolean {
  const meets = models.constraints.every((c, k) => {
    const mu = models.limitModels[k].posterior([x]).mean[0];
    return c.op === '<=' ? mu <= c.value : mu >= c.value;
  });
  return meets && models.success([x])[0] >= 0.5;
}

/** Extremely randomised trees for every outcome: thousands of observations in seconds. */
export class MultiObjectiveTreesStrategy extends MultiObjectiveCandidateStrategy<ExtraTrees> {
  constructor(options: MultiCandidateOptions = {}) {
    super(options, {
      name: 'bayesian/extra-trees-multi-objective',
      settings: { surrogate: 'extremely randomised trees per outcome, law-of-total-variance uncertainty' },
      create: (seed) => new ExtraTrees({ ...options.trees, seed }),
    });
  }
}
