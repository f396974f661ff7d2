/**
 * Asks over a campaign's candidate list: a GP over the encoded rows (the
 * optimizer's PoolStrategy) proposes only eligible rows, never a pending one,
 * with batches by the incremental Kriging believer.
 */
import {
  DEFAULT_ACQUISITION,
  encodePool,
  PoolStrategy,
  type AcquisitionChoice,
  type PoolRow,
  type Proposal,
  type Space,
  type StrategyInfo,
  type Direction,
} from '#optimizer';

/** A candidate list as an ask sees it: plain data, cloned to a worker thread. */
export interface CandidateJob {
  /** The list this is (its encoding is kept per list: lists never change). */
  listId: string;
  rows: PoolRow[];
  /** Rows that may be proposed: not excluded, not yet proposed `replicates` times. */
  eligible: number[];
  /** Results at rows of the list (results elsewhere, e.g. from an edit, are not rows: not used). */
  observations: { row: number; value?: number; failed?: boolean }[];
  pending: number[];
  replicates: number;
}

/** Encoded lists kept by this thread, most recent last. */
const encoded = new Map<string, { ids: string[]; X: number[][] }>();
const KEPT = 2;

function encodingOf(space: Space, job: CandidateJob): { ids: string[]; X: number[][] } {
  const key = `${job.listId}:${job.rows.length}`;
  let e = encoded.get(key);
  if (!e) {
    e = { ids: job.rows.map((r) => r.id), X: encodePool(space, job.rows) };
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
        candidates: { list: job.listId, rows: job.rows.length, eligible: job.eligible.length, replicates: job.replicates },
        phase: modelled ? `gp-${acquisition.kind.toLowerCase()}-believer` : 'maximin-design',
        acquisitionChoice: { ...acquisition },
        rows: picks.map((p) => Number(p.id) + 1),
      },
    },
  };
}
