/**
 * Bayesian optimisation as a Strategy: a scrambled-Sobol initial design, then
 * a GP surrogate (Matérn-5/2, MAP hyperparameters) and log expected
 * improvement, multiplied by P(feasible) once experiments have failed.
 * Batches and pending experiments use the Kriging believer: each chosen or
 * pending point is added to the model with its posterior mean as a fantasy
 * value (hyperparameters fixed), so the next point goes elsewhere. Local
 * penalisation and posterior fantasies are the alternatives (option `batch`).
 * In mixed spaces a stall escape searches another combination of categorical
 * choices when the best stops improving (see stall-escape.ts). The options and
 * their defaults are in bayesian-options.ts; the measurements that chose them
 * in bench/results/README.md.
 */
import { type Acquisition, logProbabilityFeasible } from '../acquisition/analytic.js';
import {
  acquisitionFor,
  acquisitionProblems,
  describeAcquisition,
  isLogScale,
  resolvedAcquisition,
  withFeasibility,
  type AcquisitionChoice,
} from '../acquisition/choice.js';
import { DesignStrategy } from '../design/design-strategy.js';
import { Rng } from '#random';
import type { Params } from '../space.js';
import type { AskRequest, Proposal, Strategy, StrategyInfo } from '../strategy-interface.js';
import { FeasibilityModel } from '../surrogates/feasibility.js';
import type { GaussianProcess } from '../surrogates/gp.js';
import { Encoder, encoderDefaults, type EncoderOptions } from './encoding.js';
import { maximizeAcquisition } from './optimize.js';
import { fantasyLogEI } from './fantasy.js';
import { inInitialDesign, initialDesignInfo, initialDesignSize } from './initial-design.js';
import { ObjectiveModel } from './model.js';
import { resolveBayesianOptions, type BayesianStrategyOptions, type ResolvedBayesianOptions } from './bayesian-options.js';
import { combinationOf, leastTriedCombination, stalledFor, withinCombination } from './stall-escape.js';
import { paretoExploration } from './explore.js';
import { lipschitzEstimate, locallyPenalised, type PenaltyCentre } from './penalisation.js';
import type { OutcomeWarp } from './warp.js';
import { nearAny, noiselessModel } from './noiseless.js';

/**
 * Above this many results, where each posterior variance is a triangular
 * solve of O(N²): the acquisition search screens its raw candidates by an
 * upper bound of the acquisition (the same starts, fewer solves), and its
 * local search takes the acquisition's analytic gradient (two solves per
 * step) instead of forward differences (d + 1 solves). Up to it the search
 * keeps the differences that the defaults were measured with, and its
 * proposals stay as they were.
 */
const LARGE_SEARCH = 100;

export class BayesianStrategy implements Strategy {
  private readonly modelInfo: StrategyInfo;
  /** Whether the last ask was answered by the initial design (its provenance is then the design's). */
  private lastFromDesign = false;
  private readonly options: ResolvedBayesianOptions;
  private readonly encoding: EncoderOptions;
  private readonly objective: ObjectiveModel;
  private feasibility: FeasibilityModel | undefined;
  /** The objective model of the last ask (for provenance and diagnostics). */
  lastFit: { gp: GaussianProcess; warp: OutcomeWarp } | undefined;
  /** The same as plain data, for the provenance of the proposals (see info). */
  private lastFitInfo: Record<string, unknown> | undefined;
  private readonly design = new DesignStrategy({ kind: 'sobol' });
  private readonly acquisition: AcquisitionChoice;

  constructor(options: BayesianStrategyOptions = {}) {
    this.options = resolveBayesianOptions(options);
    this.acquisition = resolvedAcquisition(options.acquisition);
    const problems = acquisitionProblems(options.acquisition ?? this.acquisition);
    const kind = this.acquisition.kind;
    if (this.options.batch === 'fantasies' && kind !== 'logEI') problems.push(`batch 'fantasies' averages log EI: not with ${kind}`);
    if (this.options.batch === 'penalisation' && !isLogScale(kind))
      problems.push(`batch 'penalisation' needs a log-scale acquisition (logEI, PI): not ${kind}`);
    if (problems.length > 0) throw new Error(`BayesianStrategy: ${problems.join('; ')}`);
    this.objective = new ObjectiveModel(options.gp, this.options.warp, this.options.warpFractions);
    this.encoding = { ...options.encoding };
    this.modelInfo = {
      name: `bayesian/gp-${kind.toLowerCase()}`,
      settings: {
        surrogate: 'GP Matérn-5/2 ARD, constant mean, MAP hyperparameters (L-BFGS-B)',
        acquisition: describeAcquisition(this.acquisition),
        acquisitionChoice: { ...this.acquisition },
        kernel: options.gp?.kernel ?? 'matern52',
        encoding: encoderDefaults(this.encoding),
        ...this.options,
      },
    };
  }

  /** What produced the last proposals: the model, its settings and fitted hyperparameters, or the initial design it started with. */
  get info(): StrategyInfo {
    if (this.lastFromDesign) return initialDesignInfo(this.design, this.modelInfo);
    return this.lastFitInfo
      ? { name: this.modelInfo.name, settings: { ...this.modelInfo.settings, fit: this.lastFitInfo } }
      : this.modelInfo;
  }

  async ask(request: AskRequest): Promise<Proposal[]> {
    const { space, n } = request;
    this.lastFromDesign = false;
    const enc = new Encoder(space, this.encoding);
    const valid = (p: Params) => space.check(p).length === 0;
    const observed = request.observations.filter((o) => valid(o.params));
    const succeeded = observed.filter((o) => !o.failed && typeof o.value === 'number' && Number.isFinite(o.value));
    const nInit = initialDesignSize(space, this.options.initialDesign);
    if (n <= 0) return [];
    if (inInitialDesign({ observed: observed.length, pending: request.pending.length, succeeded: succeeded.length }, nInit)) {
      this.lastFromDesign = true;
      return this.design.ask(request);
    }

    const sign = request.direction === 'maximize' ? 1 : -1;
    const X = succeeded.map((o) => enc.encode(o.params));
    const raw = succeeded.map((o) => sign * (o.value as number));
    const blocks = succeeded.some((o) => o.block !== undefined) ? succeeded.map((o) => o.block ?? null) : undefined;
    const { gp, warp } = this.objective.fit(X, raw, blocks);
    this.lastFit = { gp, warp };
    const fitInfo: Record<string, unknown> = {
      warp: warp.label,
      // In standardised units of the warped outcome (see standardisation): y_std = (warp(y) - shift) / scale.
      hyperparameters: { ...gp.hyperparameters },
      standardisation: gp.standardisation,
      ...(blocks ? { blocks: new Set(blocks.filter((b) => b !== null)).size } : {}),
    };
    this.lastFitInfo = fitInfo;
    const y = raw.map((v) => warp.forward(v));
    const allX = observed.map((o) => enc.encode(o.params));
    const failedAny = observed.some((o) => !succeeded.includes(o));
    if (failedAny) {
      this.feasibility ??= new FeasibilityModel(enc.dim);
      this.feasibility.fit(
        allX,
        observed.map((o) => (succeeded.includes(o) ? 1 : 0)),
      );
    }

    const taken = new Set<string>();
    for (const p of [...observed.map((o) => o.params), ...request.pending, ...(request.rejected ?? [])]) taken.add(space.key(p));
    // Noiseless data (see noiseless.ts): the acquisition on the noiseless model, and no candidate a hair from a point
    // evaluated, pending or chosen.
    const quiet = this.options.repeatRadius > 0 ? noiselessModel(gp) : undefined;
    if (this.options.repeatRadius > 0) fitInfo.noise = quiet ? 'negligible' : 'material';
    const visited = [...allX, ...request.pending.filter(valid).map((p) => enc.encode(p))];
    const near = quiet ? nearAny(visited, gp.hyperparameters.lengthscales, this.options.repeatRadius) : () => false;
    const excluded = (x: number[]) => taken.has(space.key(enc.decode(x))) || near(x);

    // Pending points and earlier picks of the batch: the Kriging believer adds them
    // to the model with their posterior mean; local penalisation damps the
    // acquisition around them instead.
    const rng = new Rng(mixSeed(request.seed, observed.length, request.pending.length));
    const penalise = this.options.batch === 'penalisation';
    let model = quiet ?? gp;
    // With block offsets an observed value holds its block's offset: EI's incumbent is the best result
    // net of its block's estimated offset (the best result itself where the offsets come out near zero).
    const offsets = gp.blockOffsets();
    let best = Math.max(...y.map((v, i) => v - offsets[i]));
    const centres: PenaltyCentre[] = [];
    const lipschitz = penalise ? lipschitzEstimate(gp, enc, X, rng.nextUint32()) : 0;
    const fantasise = this.options.batch === 'fantasies';
    const fantasyPoints: number[][] = [];
    const remember = (points: number[][]) => {
      if (points.length === 0) return;
      if (fantasise) {
        fantasyPoints.push(...points);
        return;
      }
      const post = gp.posterior(points);
      if (penalise) {
        points.forEach((x, i) => centres.push({ x, mean: post.mean[i], sd: Math.sqrt(post.variance[i]) }));
      } else {
        const believed = Array.from(model.posterior(points).mean);
        model = model.conditioned(points, believed);
        best = Math.max(best, ...believed);
      }
    };
    remember(request.pending.filter(valid).map((p) => enc.encode(p)));

    // Stall escape (see stall-escape.ts). With a margin, the escape's EI asks
    // for an improvement by that much: near the incumbent the posterior sd is
    // tiny, so that EI vanishes there and the search goes to the best-looking
    // unresolved region. Only model-chosen points count: the design is no stall.
    // Results measured in blocks are compared net of their blocks' offsets: a plate that reads low throughout is no stall.
    const net = blocks ? y.map((v, i) => warp.inverse(v - offsets[i])) : raw;
    const stalled = this.options.stallAfter > 0 ? Math.min(stalledFor(net, this.options.stallThreshold), succeeded.length - nInit) : 0;
    const stalling = this.options.stallAfter > 0 && stalled >= this.options.stallAfter;
    const margin = this.options.stallMargin * Math.sqrt(gp.hyperparameters.outputscale) * gp.standardisation.scale;

    const escapeCombo = stalling
      ? leastTriedCombination(enc, [...allX, ...request.pending.filter(valid).map((p) => enc.encode(p))], X[y.indexOf(Math.max(...y))])
      : undefined;
    // An escape acts only where it changes the search: another combination of choices, or an EI margin.
    const acts = stalling && (escapeCombo !== undefined || margin > 0);
    const escape = (b: number) => acts && (n > 1 ? b === n - 1 : (stalled - this.options.stallAfter) % this.options.stallPeriod === 0);

    const proposals: Proposal[] = [];
    // The escape's target: the best (warped) outcome seen in its combination, or the overall best if it has none.
    const escapeBest =
      escapeCombo === undefined
        ? -Infinity
        : y.reduce((m, v, i) => (combinationOf(enc, X[i]) === escapeCombo ? Math.max(m, v) : m), -Infinity);

    let escapes = 0;
    let escapedTo: Record<string, string> | undefined;
    for (let b = 0; b < n; b++) {
      const escaping = escape(b);
      if (escaping) escapes++;
      const target = escaping ? (escapeBest > -Infinity ? escapeBest : best) + margin : best;
      const thompson = this.acquisition.kind === 'thompson';
      // Thompson sampling draws from an rng of its own, so that the other acquisitions' draws stay as they were.
      let acq: Acquisition =
        fantasyPoints.length > 0
          ? fantasyLogEI(gp, fantasyPoints, target, this.options.fantasies, rng)
          : acquisitionFor(this.acquisition, model, target, thompson ? new Rng(rng.nextUint32()) : rng);
      if (failedAny && this.feasibility) acq = withFeasibility(this.acquisition.kind, acq, logProbabilityFeasible(this.feasibility));
      if (escaping && escapeCombo !== undefined) acq = withinCombination(acq, enc, escapeCombo);
      if (centres.length > 0) acq = locallyPenalised(acq, centres, lipschitz, best);
      const exploring =
        this.options.explore > 0 && rng.next() < this.options.explore ? paretoExploration(model, enc, rng, excluded) : undefined;
      const found = exploring
        ? { x: exploring, value: acq.evaluate([exploring])[0] }
        : maximizeAcquisition(acq, enc, {
            seed: rng.nextUint32(),
            rawSamples: this.options.rawSamples,
            // A Thompson sample is known on the candidates only: no local search around them.
            starts: thompson ? 0 : this.options.starts,
            extra: this.localCandidates(enc, X, y, rng),
            excluded,
            gradient: X.length > LARGE_SEARCH ? 'analytic' : 'differences',
            screen: X.length > LARGE_SEARCH,
          });
      if (!found) break;
      const params = enc.decode(found.x);
      const x = enc.encode(params);
      if (escaping && escapeCombo !== undefined && !escapedTo) {
        escapedTo = Object.fromEntries(
          space.parameters.filter((p) => p.type === 'categorical').map((p) => [p.name, String(params[p.name])]),
        );
      }
      taken.add(space.key(params));
      visited.push(x);
      proposals.push(this.describe(params, x, found.value, sign, gp, warp, enc, allX));
      if (b < n - 1) remember([x]);
    }
    // Provenance: model-chosen results since the last significant improvement, the proposals the escape changed,
    // and the combination of categorical choices it searched.
    fitInfo.stall = { evaluations: stalled, escapes, ...(escapedTo ? { escapedTo } : {}) };
    if (proposals.length < n) {
      // A tiny discrete space may be exhausted by the model search: let the design fill in.
      const rest = await this.design.ask({
        ...request,
        n: n - proposals.length,
        pending: [...request.pending, ...proposals.map((p) => p.params)],
      });
      proposals.push(...rest);
    }
    return proposals;
  }

  /** Gaussian perturbations (sd 0.02 and 0.1 of the unit range) of the best observations. */
  private localCandidates(enc: Encoder, X: number[][], y: number[], rng: Rng): number[][] {
    const order = Array.from(y.keys())
      .sort((a, b) => y[b] - y[a])
      .slice(0, 4);
    const out: number[][] = [];
    for (let k = 0; k < this.options.localCandidates; k++) {
      const base = X[order[k % order.length]];
      const sd = k % 2 === 0 ? 0.02 : 0.1;
      const p = base.map((v) => v);
      for (const i of enc.continuous) p[i] = Math.min(1, Math.max(0, p[i] + sd * rng.normal()));
      for (const { index, levels } of enc.integers) {
        if (rng.next() < 0.3) p[index] = Math.min(1, Math.max(0, p[index] + (rng.next() < 0.5 ? -1 : 1) / Math.max(1, levels - 1)));
      }
      out.push(enc.snap(p));
    }
    return out;
  }

  private describe(
    params: Params,
    x: number[],
    acquisition: number,
    sign: number,
    gp: GaussianProcess,
    warp: OutcomeWarp,
    enc: Encoder,
    observedX: number[][],
  ): Proposal {
    const post = gp.posterior([x]);
    const wsd = Math.sqrt(post.variance[0]);
    // Back through the (monotone) warp: the median maps exactly, the sd as half
    // the width of the image of mean ± 1 sd.
    const mean = warp.inverse(post.mean[0]);
    const sd = Math.abs(warp.inverse(post.mean[0] + wsd) - warp.inverse(post.mean[0] - wsd)) / 2;
    const proposal: Proposal = { params, prediction: { mean: sign * mean, sd }, acquisition };
    const priorSd = Math.sqrt(gp.hyperparameters.outputscale) * gp.standardisation.scale;
    const nearest = observedX.reduce((m, o) => Math.min(m, enc.distance(o, x)), Infinity);
    if (wsd > this.options.extrapolationSd * priorSd) {
      proposal.extrapolation =
        `posterior sd is ${Math.round((100 * wsd) / priorSd)}% of the prior sd: ` +
        `no observation within the model's lengthscales (nearest at normalised distance ${nearest.toFixed(3)})`;
    }
    return proposal;
  }
}

function mixSeed(seed: number, observations: number, pending: number): number {
  let h = (Math.trunc(seed) ^ 0x2545f491) >>> 0;
  h = Math.imul(h ^ observations, 0x9e3779b1) >>> 0;
  h = Math.imul(h ^ pending, 0x85ebca6b) >>> 0;
  return (h ^ (h >>> 15)) >>> 0;
}
