/**
 * Bayesian optimisation over a finite pool of candidates (e.g. molecules with
 * numeric descriptors): every unobserved, non-pending row is scored by log
 * EI (or the acquisition chosen, acquisition/choice.ts) on a GP over the row's encoded vector; batches use the Kriging believer.
 * The first rows are a farthest-point (maximin) design in the encoded space.
 */
import { acquisitionFor, acquisitionProblems, DEFAULT_ACQUISITION, type AcquisitionChoice } from '../acquisition/choice.js';
import { Rng } from '#random';
import { type Params, Space } from '../space.js';
import type { Direction, Prediction } from '../strategy-interface.js';
import { GaussianProcess } from '../surrogates/gp.js';
import { incrementalBelieverBatch, rescoringBelieverBatch } from './believer.js';
import { Encoder } from './encoding.js';
import { inInitialDesign } from './initial-design.js';

export interface PoolRow {
  id: string;
  params: Params;
  features?: Record<string, number>;
}

export interface PoolObservation {
  id: string;
  value?: number;
  failed?: boolean;
}

export interface PoolAskRequest {
  direction: Direction;
  observations: readonly PoolObservation[];
  pending: readonly string[];
  n: number;
  seed: number;
  /**
   * The rows that may be proposed (e.g. a list's rows not yet used up nor
   * excluded); pending rows are never proposed. Default: every row neither
   * observed nor pending.
   */
  eligible?: readonly string[];
}

export interface PoolProposal {
  id: string;
  prediction?: Prediction;
  acquisition?: number;
}

/**
 * Encodes pool rows: each numeric feature min-max scaled over the pool, then
 * the encoding of the row's parameters (one-hot for categorical ones). With
 * features present, categorical parameters of more than `maxOneHot` choices
 * are left to the features (a one-hot block that wide adds dimensions the
 * model cannot learn from a few dozen rows).
 */
export function encodePool(space: Space, rows: readonly PoolRow[], maxOneHot = 10): number[][] {
  const names = [...new Set(rows.flatMap((r) => Object.keys(r.features ?? {})))].sort();
  // Loops, not Math.min(...): a spread of 100,000 arguments overflows the stack.
  const lo = names.map((f) => rows.reduce((m, r) => Math.min(m, r.features?.[f] ?? 0), Infinity));
  const hi = names.map((f) => rows.reduce((m, r) => Math.max(m, r.features?.[f] ?? 0), -Infinity));
  const kept =
    names.length === 0 ? space.parameters : space.parameters.filter((p) => p.type !== 'categorical' || p.choices.length <= maxOneHot);
  const enc = kept.length > 0 ? new Encoder(new Space(kept)) : undefined;
  return rows.map((r) => [
    ...names.map((f, k) => (hi[k] > lo[k] ? ((r.features?.[f] ?? 0) - lo[k]) / (hi[k] - lo[k]) : 0.5)),
    ...(enc ? enc.encode(r.params) : []),
  ]);
}

export interface PoolStrategyOptions {
  /**
   * How a batch is built (bo/believer.ts): `incremental` (the default) updates
   * only what each pick changes; `rescoring` re-scores every row after each
   * pick (the plain Kriging believer, kept as the reference).
   */
  believer?: 'incremental' | 'rescoring';
  /**
   * The acquisition (acquisition/choice.ts); default log EI. Only log EI has
   * the bound the incremental believer relies on (a pick never raises another
   * row's value); the others re-score every row after each pick.
   */
  acquisition?: AcquisitionChoice;
}

export class PoolStrategy {
  private readonly gp = new GaussianProcess();
  private readonly index: Map<string, number>;
  private readonly acquisition: AcquisitionChoice;

  constructor(
    private readonly ids: readonly string[],
    private readonly X: readonly number[][],
    private readonly initialDesign = 6,
    private readonly options: PoolStrategyOptions = {},
  ) {
    this.index = new Map(ids.map((id, i) => [id, i]));
    this.acquisition = options.acquisition ?? DEFAULT_ACQUISITION;
    const problems = acquisitionProblems(this.acquisition);
    if (problems.length > 0) throw new Error(`PoolStrategy: ${problems.join('; ')}`);
  }

  ask(request: PoolAskRequest): PoolProposal[] {
    const taken = new Set<number>();
    const known = request.observations.filter((o) => this.index.has(o.id));
    for (const o of known) taken.add(this.index.get(o.id) as number);
    for (const id of request.pending) if (this.index.has(id)) taken.add(this.index.get(id) as number);
    const pendingIds = new Set(request.pending);
    const free = request.eligible
      ? [
          ...new Set(request.eligible.filter((id) => this.index.has(id) && !pendingIds.has(id)).map((id) => this.index.get(id) as number)),
        ].sort((a, b) => a - b)
      : Array.from(this.ids.keys()).filter((i) => !taken.has(i));
    const n = Math.min(request.n, free.length);
    const rng = new Rng((Math.trunc(request.seed) * 1_000_003 + known.length * 31 + request.pending.length) >>> 0);
    const ok = known.filter((o) => !o.failed && typeof o.value === 'number' && Number.isFinite(o.value));
    // The design rule of the other model-based strategies; here only rows with a result count as observed.
    const pendingRows = request.pending.filter((id) => this.index.has(id)).length;
    if (inInitialDesign({ observed: ok.length, pending: pendingRows, succeeded: ok.length }, this.initialDesign)) {
      return maximinRows(this.X, [...taken], free, n, rng).map((i) => ({ id: this.ids[i] }));
    }

    const sign = request.direction === 'maximize' ? 1 : -1;
    const Xo = ok.map((o) => this.X[this.index.get(o.id) as number]);
    this.gp.fit(
      Xo,
      ok.map((o) => sign * (o.value as number)),
    );
    let model = this.gp;
    // Plug-in incumbent: the best posterior mean at an observed row (robust to noise).
    let best = Math.max(...this.gp.posterior(Xo).mean);
    const pendingX = request.pending.filter((id) => this.index.has(id)).map((id) => this.X[this.index.get(id) as number]);
    if (pendingX.length > 0) {
      const mu = Array.from(this.gp.posterior(pendingX).mean);
      model = this.gp.conditioned(pendingX, mu);
      best = Math.max(best, ...mu);
    }
    const batch = this.options.believer === 'rescoring' ? rescoringBelieverBatch : incrementalBelieverBatch;
    const out: PoolProposal[] = [];
    if (this.acquisition.kind === 'logEI') {
      for (const { row, acquisition } of batch(model, this.X, free, n, best)) {
        const post = this.gp.posterior([this.X[row]]);
        out.push({ id: this.ids[row], acquisition, prediction: { mean: sign * post.mean[0], sd: Math.sqrt(post.variance[0]) } });
      }
      return out;
    }
    const left = new Set(free);
    for (let b = 0; b < n; b++) {
      const cand = [...left];
      // Thompson sampling draws one joint sample over the free rows per pick, from an rng of its own.
      const sampling = this.acquisition.kind === 'thompson' ? new Rng(rng.nextUint32() ^ b) : rng;
      const v = acquisitionFor(this.acquisition, model, best, sampling).evaluate(cand.map((i) => this.X[i]));
      let k = 0;
      for (let j = 1; j < cand.length; j++) if (v[j] > v[k]) k = j;
      const row = cand[k];
      left.delete(row);
      const x = this.X[row];
      const post = this.gp.posterior([x]);
      out.push({ id: this.ids[row], acquisition: v[k], prediction: { mean: sign * post.mean[0], sd: Math.sqrt(post.variance[0]) } });
      if (b < n - 1) {
        const mu = model.posterior([x]).mean[0];
        model = model.conditioned([x], [mu]);
        best = Math.max(best, mu);
      }
    }
    return out;
  }
}

/** Farthest-point picks among the free rows: each new row maximises its distance to the taken ones (random first row). */
export function maximinRows(X: readonly (readonly number[])[], taken: number[], free: number[], n: number, rng: Rng): number[] {
  const chosen = [...taken];
  const out: number[] = [];
  const left = new Set(free);
  for (let b = 0; b < n; b++) {
    let pick = -1;
    if (chosen.length === 0) pick = free[rng.int(free.length)];
    else {
      let bestD = -1;
      for (const i of left) {
        const d = Math.min(...chosen.map((c) => sqDist(X[i], X[c]))) + 1e-9 * rng.next();
        if (d > bestD) [bestD, pick] = [d, i];
      }
    }
    left.delete(pick);
    chosen.push(pick);
    out.push(pick);
  }
  return out;
}

function sqDist(a: readonly number[], b: readonly number[]): number {
  let s = 0;
  for (let k = 0; k < a.length; k++) s += (a[k] - b[k]) ** 2;
  return s;
}
