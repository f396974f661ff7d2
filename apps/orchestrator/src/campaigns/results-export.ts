import type { Params } from '#optimizer';
import { FAILED_COLUMN, REASON_COLUMN, toCsv } from '#tables';
import type { ExperimentEntity, ImportedResultEntity } from '#persistence';
import { EXPERIMENT_STATUS } from '../experiments/experiment-lifecycle.js';
import { spaceOf, type CampaignDefinition } from './campaign-definition.js';
import { outcomesOf } from './outcomes-definition.js';
import { paretoOf } from './pareto.js';

/** The column that marks the results on a campaign's Pareto front (campaigns of several objectives or with outcome limits). */
export const PARETO_COLUMN = 'pareto';

/** Columns of a results table besides the parameters and the objective: where each result comes from. */
const ORIGIN = ['source', 'experiment', 'batch', 'device', 'finished_at'] as const;

/**
 * A campaign's results as CSV: its imported results (source: where they came
 * from), then every experiment that gave a value or failed as an experiment
 * (source "campaign"), with one column per parameter (compositions as
 * `<name>.<component>`), the objective, `failed` and `failure_reason`: the
 * table an import reads (POST /api/campaigns/:id/imports), so one campaign's
 * results can start another. A device failure is not a result and is left out.
 * A campaign of several objectives or with outcome limits has a column per
 * objective and limited outcome (imported results' too), and `pareto` (true
 * for the campaign's own results on its front: non-dominated among those that
 * meet every limit; empty for imported results, which are not the campaign's,
 * as they are not on its front in GET /api/campaigns/:id). A last column
 * holds each result's metadata (JSON).
 */
export function resultsCsv(
  definition: CampaignDefinition,
  experiments: readonly Pick<
    ExperimentEntity,
    | 'id'
    | 'index'
    | 'batchId'
    | 'params'
    | 'status'
    | 'objective'
    | 'values'
    | 'failureScope'
    | 'failureReason'
    | 'deviceId'
    | 'finishedAt'
    | 'metadata'
  >[],
  batchIndex: ReadonlyMap<string, number>,
  imported: readonly Pick<ImportedResultEntity, 'params' | 'objective' | 'values' | 'failed' | 'failureReason' | 'source' | 'importedAt'>[],
): string {
  const keys = spaceOf(definition).names;
  const outcomes = outcomesOf(definition);
  const names = outcomes.pareto ? outcomes.names : [definition.objective.name];
  const taken = new Set([...keys, ...names]);
  const summary = paretoOf(definition, experiments);
  const front = summary ? new Set(summary.front.map((f) => f.experimentId)) : undefined;
  const pareto = front && !taken.has(PARETO_COLUMN) ? PARETO_COLUMN : front ? `#${PARETO_COLUMN}` : undefined;
  // A parameter named like an origin column keeps its name; the origin column gets a '#' (no parameter name starts so).
  const origin = ORIGIN.map((c) => (taken.has(c) ? `#${c}` : c));
  // A parameter named "failed" or "failure_reason" leaves the table no column to mark failures in (tableResults reads it as the parameter).
  const failures = !taken.has(FAILED_COLUMN) && !taken.has(REASON_COLUMN);
  const values = (params: Params) => keys.map((k) => params[k]);
  const rows: (string | number | null | undefined)[][] = [];
  const outcome = (value: (number | null)[], failed: boolean, reason: string | null) =>
    failures ? [...value, String(failed), reason] : value;
  for (const r of imported) {
    if (r.failed && !failures) continue;
    rows.push([
      r.source,
      null,
      null,
      null,
      r.importedAt.toISOString(),
      ...values(r.params),
      // Rows imported with one value (before imports held every outcome's) have only the objective's.
      ...outcome(
        names.map((n, k) => r.values?.[n] ?? (k === 0 ? r.objective : null)),
        r.failed,
        r.failureReason,
      ),
      ...(front ? [null] : []),
      null,
    ]);
  }
  for (const e of experiments) {
    const failed = e.status === EXPERIMENT_STATUS.failed && e.failureScope === 'experiment';
    if (!(e.status === EXPERIMENT_STATUS.completed || (failed && failures))) continue;
    rows.push([
      'campaign',
      e.index,
      batchIndex.get(e.batchId),
      e.deviceId,
      e.finishedAt?.toISOString(),
      ...values(e.params),
      ...outcome(
        outcomes.pareto ? names.map((n) => (failed ? null : (e.values?.[n] ?? null))) : [failed ? null : e.objective],
        failed,
        failed ? e.failureReason : null,
      ),
      ...(front ? [String(front.has(e.id))] : []),
      e.metadata ? JSON.stringify(e.metadata) : null,
    ]);
  }
  // The metadata each result came with, as JSON (an import lists the column as ignored).
  const metadata = taken.has('metadata') ? '#metadata' : 'metadata';
  return toCsv(
    [...origin, ...keys, ...names, ...(failures ? [FAILED_COLUMN, REASON_COLUMN] : []), ...(pareto ? [pareto] : []), metadata],
    rows,
  );
}
