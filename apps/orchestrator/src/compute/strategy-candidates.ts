/**
 * Asks over a campaign's candidate list: a GP over the encoded rows (the
 * optimizer's PoolStrategy) proposes only eligible rows, never a pending one,
 * with batches by the incremental Kriging believer; with several objectives
 * or outcome limits, one GP per outcome over the rows and expected
 * hypervolume improvement scored at every eligible row
 * (MultiObjectivePoolStrategy).
 */
import {
  DEFAULT_ACQUISITION,
  encodePool,
  MultiObjectivePoolStrategy,
  PoolStrategy,
  resolveMultiObjectiveOptions,
  type AcquisitionChoice,
  type MultiObjectiveOptions,
  type PoolRow,
  type Prediction,
  type Proposal,
  type Space,
  type StrategyInfo,
  type Direction,
} from '#optimizer';
import type { Outcomes } from '../campaigns/outcomes-definition.js';

/** A candidate list as an ask sees it: plain data, cloned to a worker thread. */
export interface CandidateJob {
  /** The list this is (its encoding is kept per list: lists never change). */
  listId: string;
  rows: PoolRow[];
  /** Rows that may be proposed: not excluded, not yet proposed `replicates` times. */
  eligible: number[];
  /** Results at rows of the list (results elsewhere, e.g. from an edit, are not rows: not used). */
  observations: { row: number; value?: number; failed?: boolean; values?: Record<string, number> }[];
  pending: number[];
  replicates: number;
}

/** Encoded lists kept by this thread, most recent last. */
const encoded = new Map<string, { ids: string[]; X: number[][] }>();
const KEPT = 2;

function encodingOf(space: Space, job: CandidateJob, maxOneHot?: number): { ids: string[]; X: number[][] } {
  const key = `${job.listId}:${job.rows.length}:${maxOneHot ?? 'default'}`;
  let e = encoded.get(key);
  if (!e) {
    e = { ids: job.rows.map((r) => r.id), X: encodePool(space, job.rows, maxOneHot) };
    if (encoded.size >= KEPT) encoded.delete(encoded.keys().next().value as string);
    encoded.set(key, e);
  }
  return e;
}

export function askCandidates(
  space: Space,
  job: CandidateJob,
  request: { direction: Direction; n: number; seed: number },
  acquisition: AcquisitionChoice = DEFAULT_ACQUISITION,
): { proposals: Proposal[]; info: StrategyInfo } {
  const { ids, X } = encodingOf(space, job);
  const pool = new PoolStrategy(ids, X, undefined, { acquisition });
  const picks = pool.ask({
    direction: request.direction,
    observations: job.observations.map((o) => ({ id: String(o.row), ...(o.failed ? { failed: true } : { value: o.value }) })),
    pending: job.pending.map(String),
    eligible: job.eligible.map(String),
    n: request.n,
    seed: request.seed,
  });
  const proposals = picks.map((p) => {
    const row = job.rows[Number(p.id)];
    return {
      params: { ...row.params },
      ...(p.prediction ? { prediction: p.prediction } : {}),
      ...(p.acquisition !== undefined ? { acquisition: p.acquisition } : {}),
    };
  });
  const modelled = picks.some((p) => p.prediction);
  return {
    proposals,
    info: {
      name: 'pool',
      settings: {
        candidates: listSettings(job),
        phase: modelled ? `gp-${acquisition.kind.toLowerCase()}-believer` : 'maximin-design',
        acquisitionChoice: { ...acquisition },
        rows: picks.map((p) => Number(p.id) + 1),
      },
    },
  };
}

/** What a batch's provenance says of the list it chose from, on either path. */
function listSettings(job: CandidateJob): { list: string; rows: number; eligible: number; replicates: number } {
  return { list: job.listId, rows: job.rows.length, eligible: job.eligible.length, replicates: job.replicates };
}

/** A proposal over a list with several outcomes: every outcome's prediction with the pick. */
export interface ParetoCandidateProposal {
  params: Proposal['params'];
  predictions?: Record<string, Prediction>;
  acquisition?: number;
}

/**
 * Several objectives or outcome limits over a candidate list: one GP per
 * outcome over the rows' encoding (their descriptors alone where they have
 * some, see multiObjectiveOptions.poolMaxOneHot), a farthest-point design of
 * max(5, min(10, d + 1)) rows, then each pick the eligible row of the highest
 * expected hypervolume improvement times the probability of meeting every
 * limit, the batch's earlier picks and the pending rows counted as pending.
 */
export function askCandidatesPareto(
  space: Space,
  job: CandidateJob,
  outcomes: Outcomes,
  request: { n: number; seed: number },
  options: MultiObjectiveOptions = {},
): { proposals: ParetoCandidateProposal[]; info: StrategyInfo } {
  const { ids, X } = encodingOf(space, job, resolveMultiObjectiveOptions(options).poolMaxOneHot);
  const design = Math.max(5, Math.min(10, (X[0]?.length ?? 1) + 1));
  const pool = new MultiObjectivePoolStrategy(ids, X, design, options);
  const picks = pool.ask({
    objectives: outcomes.objectives,
    constraints: outcomes.constraints,
    observations: job.observations.map((o) =>
      o.values && !o.failed ? { id: String(o.row), values: o.values } : { id: String(o.row), failed: true },
    ),
    pending: job.pending.map(String),
    eligible: job.eligible.map(String),
    n: request.n,
    seed: request.seed,
  });
  const proposals = picks.map((p) => ({
    params: { ...job.rows[Number(p.id)].params },
    ...(p.predictions ? { predictions: p.predictions } : {}),
    ...(p.acquisition !== undefined ? { acquisition: p.acquisition } : {}),
  }));
  const fit = pool.fit;
  return {
    proposals,
    info: {
      name: 'pool/multi-objective',
      settings: {
        candidates: listSettings(job),
        phase: fit ? `gp-${String(fit.acquisition)}` : 'maximin-design',
        ...(fit ? { fit } : {}),
        rows: picks.map((p) => Number(p.id) + 1),
      },
    },
  };
}
