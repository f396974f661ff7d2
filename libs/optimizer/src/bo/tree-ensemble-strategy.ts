/**
 * Bayesian optimisation over a candidate set, for surrogates that are cheap
 * to evaluate at many points but have no useful gradient (trees), or whose
 * fit dominates the cost (a neural-network ensemble): log expected
 * improvement is evaluated on scrambled Sobol points plus perturbations of the
 * best observations (categoricals on exact choices) and the best candidates
 * taken. Batches and pending experiments are kept apart by local penalisation
 * (González et al., AISTATS 2016): the acquisition is multiplied by
 * 1 − exp(−d²/2r²) around every chosen or pending point. Where experiments
 * failed, an extremely-randomised-trees forest learns P(feasible) from 1/0
 * labels, whatever the objective's surrogate.
 *
 * TreeEnsembleStrategy is this with extremely randomised trees (uncertainty by
 * the law of total variance), for campaigns with thousands of observations
 * where an exact GP is too slow; the TensorFlow.js ensemble of
 * libs/surrogates-tfjs plugs in the same way (NeuralEnsembleStrategy).
 */
import { logExpectedImprovement } from '../acquisition/analytic.js';
import {
  acquisitionProblems,
  candidateAcquisition,
  describeAcquisition,
  resolvedAcquisition,
  type AcquisitionChoice,
} from '../acquisition/choice.js';
import { DesignStrategy } from '../design/design-strategy.js';
import { Rng } from '#random';
import type { Params } from '../space.js';
import type { AskRequest, Proposal, Strategy, StrategyInfo } from '../strategy-interface.js';
import { ExtraTrees, type ExtraTreesOptions } from '../surrogates/extra-trees.js';
import { readPosterior, type Surrogate } from '../surrogates/surrogate.js';
import { Encoder, encoderDefaults, type EncoderOptions } from './encoding.js';
import { candidateSet, FEASIBILITY_FLOOR, nearestDistance, penalise } from './candidate-set.js';
import { inInitialDesign, initialDesignInfo, initialDesignSize } from './initial-design.js';

export interface CandidateStrategyOptions {
  /** Design points (observed or pending) before the model takes over; default max(5, d + 1). */
  initialDesign?: number;
  /** Sobol candidates per proposal. Default 4096. */
  rawSamples?: number;
  /** Best observations around which candidates are perturbed. Default 16. */
  localCentres?: number;
  /** Perturbations per centre. Default 64. */
  perturbations?: number;
  /** Radius of the local penalty around chosen and pending points (RMS distance per parameter). Default 0.1. */
  penaltyRadius?: number;
  /** A proposal farther than this from every observation is flagged (RMS distance per parameter). Default 0.25. */
  extrapolationDistance?: number;
  /** Options of the feasibility forest (and of the objective's, for TreeEnsembleStrategy). */
  trees?: ExtraTreesOptions;
  /** How categorical choices with descriptors and compositions reach the model (see EncoderOptions); default descriptors for both. */
  encoding?: EncoderOptions;
  /** The acquisition (see acquisition/choice.ts); default log EI. */
  acquisition?: AcquisitionChoice;
}

/** The objective's surrogate of a CandidateStrategy. */
export interface CandidateSurrogate<M extends Surrogate = Surrogate> {
  /** The strategy's name, e.g. 'bayesian/extra-trees-logei'. */
  name: string;
  /** What the surrogate is, for the provenance of each proposal. */
  settings: Record<string, unknown>;
  /** A fresh model for one ask (seeded by the ask's seed). */
  create(seed: number): M;
  /** Facts known only after a fit (e.g. the backend it ran on), added to the provenance. */
  fitted?(model: M): Record<string, unknown>;
}

/** A candidate picked for the batch: its acquisition value and the model's posterior there. */
interface Chosen {
  x: number[];
  value: number;
  mean: number;
  variance: number;
}

export class CandidateStrategy<M extends Surrogate = Surrogate> implements Strategy {
  private readonly o: Required<Omit<CandidateStrategyOptions, 'initialDesign' | 'trees' | 'encoding' | 'acquisition'>> &
    Pick<CandidateStrategyOptions, 'initialDesign' | 'trees'> & { encoding: EncoderOptions };
  private readonly design = new DesignStrategy({ kind: 'sobol' });
  private readonly baseInfo: StrategyInfo;
  private lastFit: Record<string, unknown> | undefined;
  /** Whether the last ask was answered by the initial design (its provenance is then the design's). */
  private lastFromDesign = false;
  private readonly acquisition: AcquisitionChoice;

  constructor(
    options: CandidateStrategyOptions,
    private readonly surrogate: CandidateSurrogate<M>,
  ) {
    this.o = {
      initialDesign: options.initialDesign,
      rawSamples: options.rawSamples ?? 4096,
      localCentres: options.localCentres ?? 16,
      perturbations: options.perturbations ?? 64,
      penaltyRadius: options.penaltyRadius ?? 0.1,
      extrapolationDistance: options.extrapolationDistance ?? 0.25,
      trees: options.trees,
      encoding: { ...options.encoding },
    };
    this.acquisition = resolvedAcquisition(options.acquisition);
    const problems = acquisitionProblems(options.acquisition ?? this.acquisition);
    if (problems.length > 0) throw new Error(`${surrogate.name}: ${problems.join('; ')}`);
    const kind = this.acquisition.kind;
    this.baseInfo = {
      // The name ends in the acquisition (e.g. bayesian/extra-trees-logei, bayesian/extra-trees-ucb).
      name: kind === 'logEI' ? surrogate.name : `${surrogate.name.replace(/-logei$/, '')}-${kind.toLowerCase()}`,
      settings: {
        ...surrogate.settings,
        acquisition: describeAcquisition(this.acquisition, true),
        acquisitionChoice: { ...this.acquisition },
        feasibility: 'extremely randomised trees on 1/0 labels',
        batch: 'local penalisation',
        ...this.o,
        trees: { ...options.trees },
        encoding: encoderDefaults(this.o.encoding),
      },
    };
  }

  /** The strategy and its settings, with what the last fit reported (e.g. its backend). */
  get info(): StrategyInfo {
    if (this.lastFromDesign) return initialDesignInfo(this.design, this.baseInfo);
    return this.lastFit ? { name: this.baseInfo.name, settings: { ...this.baseInfo.settings, fit: this.lastFit } } : this.baseInfo;
  }

  async ask(request: AskRequest): Promise<Proposal[]> {
    const { space, n } = request;
    this.lastFromDesign = false;
    if (n <= 0) return [];
    const enc = new Encoder(space, this.o.encoding);
    const valid = (p: Params) => space.check(p).length === 0;
    const observed = request.observations.filter((o) => valid(o.params));
    const ok = observed.filter((o) => !o.failed && typeof o.value === 'number' && Number.isFinite(o.value));
    if (
      inInitialDesign(
        { observed: observed.length, pending: request.pending.length, succeeded: ok.length },
        initialDesignSize(space, this.o.initialDesign),
      )
    ) {
      this.lastFromDesign = true;
      return this.design.ask(request);
    }

    const sign = request.direction === 'maximize' ? 1 : -1;
    const X = ok.map((o) => enc.encode(o.params));
    const y = ok.map((o) => sign * (o.value as number));
    const model = this.surrogate.create(request.seed);
    await model.fit(X, y);
    this.lastFit = this.surrogate.fitted?.(model);
    const best = Math.max(...y);

    // Where experiments failed, a second forest learns P(feasible) from 1/0 labels.
    const failures = observed.filter((o) => o.failed).length;
    let feasibility: ExtraTrees | undefined;
    if (failures > 0) {
      feasibility = new ExtraTrees({ seed: request.seed + 1, ...this.o.trees });
      feasibility.fit(
        observed.map((o) => enc.encode(o.params)),
        observed.map((o) => (o.failed ? 0 : 1)),
      );
    }

    const rng = new Rng(request.seed ^ (observed.length * 7919));
    const candidates = this.candidates(enc, X, y, rng, request.seed + observed.length);
    // One posterior over the whole candidate set (asynchronously where the model can: a GPU reads back so).
    const post = await readPosterior(model, candidates);
    // log EI as it always was; another acquisition reports its own values and ranks by a log-scale score (choice.ts).
    // Thompson sampling draws a new sample for each pick, from an rng of its own.
    const thompsonRng = new Rng((request.seed ^ 0x5bd1e995 ^ observed.length) >>> 0);
    const scored = () => candidateAcquisition(this.acquisition, post.mean, post.variance, best, thompsonRng);
    let reported: Float64Array | undefined;
    let base: Float64Array;
    if (this.acquisition.kind === 'logEI') {
      base = Float64Array.from(post.mean, (m, i) => logExpectedImprovement(m, Math.sqrt(Math.max(post.variance[i], 0)), best));
    } else {
      const s = scored();
      base = s.score;
      reported = s.value;
    }
    const logFeasible = feasibility
      ? Float64Array.from(feasibility.posterior(candidates).mean, (p) => Math.log(Math.min(1, Math.max(FEASIBILITY_FLOOR, p))))
      : undefined;
    if (logFeasible) for (let i = 0; i < candidates.length; i++) base[i] += logFeasible[i];

    const taken = new Set<string>([
      ...observed.map((o) => space.key(o.params)),
      ...request.pending.map((p) => space.key(p)),
      ...(request.rejected ?? []).map((p) => space.key(p)),
    ]);
    const centres = request.pending.filter(valid).map((p) => enc.encode(p));
    const r2 = 2 * this.o.penaltyRadius ** 2;
    const score = Float64Array.from(base);
    // Thompson sampling: the penalties kept apart, so that each pick's new sample gets them too.
    const penalties = this.acquisition.kind === 'thompson' ? new Float64Array(candidates.length) : undefined;
    for (const c of centres) penalise(penalties ?? score, candidates, enc, c, r2);

    const chosen: Chosen[] = [];
    while (chosen.length < n) {
      if (penalties) {
        const s = chosen.length === 0 ? { score: base, value: reported as Float64Array } : scored();
        reported = s.value;
        for (let i = 0; i < candidates.length; i++)
          score[i] = Number.isFinite(score[i])
            ? s.score[i] + (chosen.length > 0 && logFeasible ? logFeasible[i] : 0) + penalties[i]
            : -Infinity;
      }
      let bestIndex = -1;
      for (let i = 0; i < candidates.length; i++) {
        if (Number.isFinite(score[i]) && (bestIndex < 0 || score[i] > score[bestIndex]) && !taken.has(space.key(enc.decode(candidates[i]))))
          bestIndex = i;
      }
      if (bestIndex < 0) break;
      const x = candidates[bestIndex];
      taken.add(space.key(enc.decode(x)));
      chosen.push({ x, value: (reported ?? base)[bestIndex], mean: post.mean[bestIndex], variance: post.variance[bestIndex] });
      penalise(penalties ?? score, candidates, enc, x, r2);
      score[bestIndex] = -Infinity;
    }
    if (chosen.length < n) {
      // A finite space nearly exhausted: fill from the design, which never repeats a point.
      const more = await this.design.ask({
        ...request,
        n: n - chosen.length,
        pending: [...request.pending, ...chosen.map((c) => enc.decode(c.x))],
      });
      return [...this.describe(chosen, enc, X, sign), ...more];
    }
    return this.describe(chosen, enc, X, sign);
  }

  private candidates(enc: Encoder, X: number[][], y: number[], rng: Rng, seed: number): number[][] {
    const order = y.map((v, i) => [v, i] as const).sort((a, b) => b[0] - a[0]);
    const centres = order.slice(0, this.o.localCentres).map(([, i]) => X[i]);
    return candidateSet(enc, centres, this.o, rng, seed);
  }

  private describe(chosen: Chosen[], enc: Encoder, X: number[][], sign: number): Proposal[] {
    return chosen.map((c) => {
      const nearest = nearestDistance(enc, c.x, X);
      const proposal: Proposal = {
        params: enc.decode(c.x),
        prediction: { mean: sign * c.mean, sd: Math.sqrt(Math.max(c.variance, 0)) },
        acquisition: c.value,
      };
      if (nearest > this.o.extrapolationDistance) {
        proposal.extrapolation = `no measured point within ${this.o.extrapolationDistance} (nearest at ${nearest.toFixed(2)}, RMS distance per parameter on the unit scale): the model extrapolates`;
      }
      return proposal;
    });
  }
}

/** Extremely randomised trees as the objective's surrogate: thousands of observations in seconds. */
export class TreeEnsembleStrategy extends CandidateStrategy<ExtraTrees> {
  constructor(options: CandidateStrategyOptions = {}) {
    super(options, {
      name: 'bayesian/extra-trees-logei',
      settings: { surrogate: 'extremely randomised trees, law-of-total-variance uncertainty' },
      create: (seed) => new ExtraTrees({ seed, ...options.trees }),
    });
  }
}

/** Options of TreeEnsembleStrategy (its `trees` also shape the objective's forest). */
export type TreeStrategyOptions = CandidateStrategyOptions;
