/**
 * Bayesian optimisation of several objectives under outcome limits: a
 * scrambled-Sobol initial design, then one GP per objective and per limited
 * outcome on the shared encoding of the space, and a batch by expected
 * hypervolume improvement (or ParEGO, see multi-options.ts) times the
 * probability of meeting every limit and of not failing. The same models
 * score the rows of a finite pool (MultiObjectivePoolStrategy).
 */
import { DesignStrategy } from '../design/design-strategy.js';
import type { Params, Space } from '../space.js';
import type { Prediction, StrategyInfo } from '../strategy-interface.js';
import type { GaussianProcess } from '../surrogates/gp.js';
import { Encoder, type EncoderOptions } from '../bo/encoding.js';
import { inInitialDesign, initialDesignSize } from '../bo/initial-design.js';
import { maximizeAcquisition } from '../bo/optimize.js';
import { maximinRows } from '../bo/pool.js';
import { Rng } from '#random';
import {
  outcomeGpOptions,
  poolSamples,
  resolveMultiObjectiveOptions,
  type MultiObjectiveOptions,
  type ResolvedMultiObjectiveOptions,
} from './multi-options.js';
import { type ObjectiveSpec, type OutcomeConstraint, type OutcomeData, OutcomeModels } from './outcome-models.js';
import { acquisitionKind, proposeBatch } from './propose.js';

export interface MultiObservation {
  params: Params;
  /** Every objective's and limited outcome's value; absent when the experiment failed. */
  values?: Readonly<Record<string, number>>;
  failed?: boolean;
}

export interface MultiAskRequest {
  space: Space;
  objectives: readonly ObjectiveSpec[];
  constraints?: readonly OutcomeConstraint[];
  observations: readonly MultiObservation[];
  pending: readonly Params[];
  rejected?: readonly Params[];
  n: number;
  seed: number;
}

export interface MultiProposal {
  params: Params;
  /** Predicted value of every objective and limited outcome (absent for design points). */
  predictions?: Record<string, Prediction>;
  /** log of the acquisition (EHVI x P(meets limits), or ParEGO's log EI). */
  acquisition?: number;
  /** Why the models extrapolate there, where they do (a proposal far from every measured point). */
  extrapolation?: string;
}

/** Whether an observation gave a finite value for every outcome the models need. */
export function complete(o: MultiObservation, names: readonly string[]): boolean {
  return !o.failed && o.values !== undefined && names.every((k) => typeof o.values?.[k] === 'number' && Number.isFinite(o.values[k]));
}

/** Every outcome modelled: the objectives, then the limited outcomes not among them. */
export function outcomeNames(objectives: readonly ObjectiveSpec[], constraints: readonly OutcomeConstraint[]): string[] {
  return [...new Set([...objectives.map((o) => o.name), ...constraints.map((c) => c.name)])];
}

export class MultiObjectiveStrategy {
  private readonly options: ResolvedMultiObjectiveOptions;
  private readonly encoding: EncoderOptions;
  private readonly gps = new Map<string, GaussianProcess>();
  private readonly design = new DesignStrategy({ kind: 'sobol' });
  private lastFit: Record<string, unknown> | undefined;
  private lastFromDesign = false;

  constructor(private readonly raw: MultiObjectiveOptions = {}) {
    this.options = resolveMultiObjectiveOptions(raw);
    this.encoding = { ...raw.encoding };
  }

  get info(): StrategyInfo {
    const settings = { ...this.options, ...(this.lastFit ? { fit: this.lastFit } : {}) };
    return this.lastFromDesign
      ? { name: this.design.info.name, settings: { ...this.design.info.settings, initialDesignOf: 'bayesian/multi-objective' } }
      : { name: 'bayesian/multi-objective', settings };
  }

  async ask(request: MultiAskRequest): Promise<MultiProposal[]> {
    const { space, n } = request;
    const constraints = request.constraints ?? [];
    const names = outcomeNames(request.objectives, constraints);
    this.lastFromDesign = false;
    if (n <= 0) return [];
    const enc = new Encoder(space, this.encoding);
    const valid = (p: Params) => space.check(p).length === 0;
    const observed = request.observations.filter((o) => valid(o.params));
    const succeeded = observed.filter((o) => complete(o, names));
    const nInit = initialDesignSize(space, this.options.initialDesign);
    if (inInitialDesign({ observed: observed.length, pending: request.pending.length, succeeded: succeeded.length }, nInit)) {
      this.lastFromDesign = true;
      return this.design.ask({
        space,
        direction: 'maximize',
        observations: [],
        pending: [...observed.map((o) => o.params), ...request.pending],
        n,
        seed: request.seed,
      });
    }
    const data: OutcomeData = {
      X: succeeded.map((o) => enc.encode(o.params)),
      values: succeeded.map((o) => o.values as Record<string, number>),
      allX: observed.map((o) => enc.encode(o.params)),
      succeeded: observed.map((o) => complete(o, names)),
    };
    const models = new OutcomeModels(
      request.objectives,
      constraints,
      data,
      this.gps,
      outcomeGpOptions(this.raw.gp),
      this.options.refMargin,
    );
    this.record(models);

    const taken = new Set<string>();
    for (const p of [...observed.map((o) => o.params), ...request.pending, ...(request.rejected ?? [])]) taken.add(space.key(p));
    const excluded = (x: number[]) => taken.has(space.key(enc.decode(x)));
    const seed = mixSeed(request.seed, observed.length, request.pending.length);
    const local = localCandidates(
      enc,
      models.frontX.length > 0 ? models.frontX : data.X,
      this.options.localCandidates,
      new Rng(seed ^ 0x5bd1e995),
    );
    const picks = proposeBatch(
      models,
      { pending: request.pending.filter(valid).map((p) => enc.encode(p)), n, seed },
      this.options,
      (acq, s) => {
        const found = maximizeAcquisition(acq, enc, {
          seed: s,
          rawSamples: this.options.rawSamples,
          starts: this.options.starts,
          extra: local,
          excluded,
        });
        if (!found) return undefined;
        const x = enc.encode(enc.decode(found.x));
        taken.add(space.key(enc.decode(x)));
        return { x, value: found.value };
      },
      this.raw.gp,
    );
    const proposals: MultiProposal[] = picks.map((p) => ({
      params: enc.decode(p.x),
      predictions: models.predictions(p.x),
      acquisition: p.value,
    }));
    if (proposals.length < n) {
      // A tiny discrete space may be exhausted by the model search: let the design fill in.
      const rest = await this.design.ask({
        space,
        direction: 'maximize',
        observations: [],
        pending: [...observed.map((o) => o.params), ...request.pending, ...proposals.map((p) => p.params)],
        n: n - proposals.length,
        seed: request.seed,
      });
      proposals.push(...rest);
    }
    return proposals;
  }

  private record(models: OutcomeModels): void {
    this.lastFit = {
      acquisition: acquisitionKind(this.options, models.objectives.length),
      ref: models.ref.map((r, i) => models.signs[i] * r),
      refSource: models.refSource,
      front: models.front.length,
    };
  }
}

/**
 * Several objectives over a finite pool of encoded rows (see pool.ts): a
 * farthest-point design, then the rows scored by the same acquisition as the
 * strategy above, the best free row picked each time.
 */
export class MultiObjectivePoolStrategy {
  private readonly options: ResolvedMultiObjectiveOptions;
  private readonly gps = new Map<string, GaussianProcess>();
  private readonly index: Map<string, number>;
  private lastFit: Record<string, unknown> | undefined;

  constructor(
    private readonly ids: readonly string[],
    private readonly X: readonly number[][],
    /** Size of the design unless the options' initialDesign says otherwise. */
    private readonly initialDesign: number,
    private readonly raw: MultiObjectiveOptions = {},
  ) {
    this.options = resolveMultiObjectiveOptions(raw);
    this.index = new Map(ids.map((id, i) => [id, i]));
  }

  /** The last model ask's acquisition, reference point (and where it came from) and front size; undefined after a design ask. */
  get fit(): Record<string, unknown> | undefined {
    return this.lastFit;
  }

  ask(request: {
    objectives: readonly ObjectiveSpec[];
    constraints?: readonly OutcomeConstraint[];
    observations: readonly { id: string; values?: Readonly<Record<string, number>>; failed?: boolean }[];
    pending: readonly string[];
    /**
     * Rows that may be proposed (e.g. not excluded, or observed fewer times
     * than replicates allow); pending rows are never proposed. Default: every
     * row neither observed nor pending.
     */
    eligible?: readonly string[];
    n: number;
    seed: number;
  }): { id: string; predictions?: Record<string, Prediction>; acquisition?: number }[] {
    const constraints = request.constraints ?? [];
    const names = outcomeNames(request.objectives, constraints);
    const known = request.observations.filter((o) => this.index.has(o.id));
    const taken = new Set<number>();
    for (const o of known) taken.add(this.index.get(o.id) as number);
    const pendingRows = request.pending.filter((id) => this.index.has(id)).map((id) => this.index.get(id) as number);
    for (const r of pendingRows) taken.add(r);
    const pendingSet = new Set(pendingRows);
    const free = request.eligible
      ? [...new Set(request.eligible.filter((id) => this.index.has(id)).map((id) => this.index.get(id) as number))]
          .filter((i) => !pendingSet.has(i))
          .sort((a, b) => a - b)
      : Array.from(this.ids.keys()).filter((i) => !taken.has(i));
    this.lastFit = undefined;
    const n = Math.min(request.n, free.length);
    const seed = mixSeed(request.seed, known.length, pendingRows.length);
    const ok = known.filter((o) => complete({ params: {}, ...o }, names));
    const design = this.options.initialDesign ?? this.initialDesign;
    if (inInitialDesign({ observed: ok.length, pending: pendingRows.length, succeeded: ok.length }, design)) {
      return maximinRows(this.X, [...taken], free, n, new Rng(seed)).map((i) => ({ id: this.ids[i] }));
    }
    const row = (id: string) => this.X[this.index.get(id) as number];
    const data: OutcomeData = {
      X: ok.map((o) => row(o.id)),
      values: ok.map((o) => o.values as Record<string, number>),
      allX: known.map((o) => row(o.id)),
      succeeded: known.map((o) => complete({ params: {}, ...o }, names)),
    };
    const models = new OutcomeModels(request.objectives, constraints, data, this.gps, this.raw.gp ?? {}, this.options.refMargin);
    const mcSamples = poolSamples(this.options, free.length);
    this.lastFit = {
      acquisition: acquisitionKind(this.options, models.objectives.length),
      ref: models.ref.map((r, i) => models.signs[i] * r),
      refSource: models.refSource,
      front: models.front.length,
      mcSamples,
    };
    const left = new Set(free);
    const picks = proposeBatch(
      models,
      { pending: pendingRows.map((r) => this.X[r]), n, seed },
      { ...this.options, mcSamples },
      (acq) => {
        const cand = [...left];
        if (cand.length === 0) return undefined;
        const v = acq.evaluate(cand.map((i) => this.X[i]));
        let k = 0;
        for (let j = 1; j < cand.length; j++) if (v[j] > v[k]) k = j;
        left.delete(cand[k]);
        return { x: this.X[cand[k]], value: v[k] };
      },
      this.raw.gp,
    );
    // A pick's x is the pool's own row array: its index names the row.
    return picks.map((p) => ({ id: this.ids[this.X.indexOf(p.x)], predictions: models.predictions(p.x), acquisition: p.value }));
  }
}

/** Gaussian perturbations (sd 0.02 and 0.1 of the unit range) of the front's points, snapped to the space. */
function localCandidates(enc: Encoder, base: number[][], count: number, rng: Rng): number[][] {
  const out: number[][] = [];
  if (base.length === 0) return out;
  for (let k = 0; k < count; k++) {
    const p = [...base[k % base.length]];
    const sd = k % 2 === 0 ? 0.02 : 0.1;
    for (const i of enc.continuous) p[i] = Math.min(1, Math.max(0, p[i] + sd * rng.normal()));
    out.push(enc.snap(p));
  }
  return out;
}

/** The seed of one ask: the request's, mixed with how many results and pending points it saw. */
export function mixSeed(seed: number, observations: number, pending: number): number {
  let h = (Math.trunc(seed) ^ 0x2545f491) >>> 0;
  h = Math.imul(h ^ observations, 0x9e3779b1) >>> 0;
  h = Math.imul(h ^ pending, 0x85ebca6b) >>> 0;
  return (h ^ (h >>> 15)) >>> 0;
}
