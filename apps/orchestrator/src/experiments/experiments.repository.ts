import { Injectable } from '@nestjs/common';
import { DataSource, In, type EntityManager } from 'typeorm';
import { ExperimentEntity, type ExperimentStatus, type FailureScope, queryRows } from '#persistence';
import {
  EXPERIMENT_STATUS,
  EXPERIMENT_TRANSITIONS as T,
  MANUAL_DEVICE_KIND,
  ON_DEVICE,
  sqlStatus,
  sqlStatuses,
  type Transition,
} from './experiment-lifecycle.js';

/** `status = <to>`: the status a transition sets. */
const set = (t: Transition, column = 'status') => `${column} = ${sqlStatus(t.to)}`;
/** `status IN (<from>, ...)`: the statuses a transition applies to. */
const from = (t: Transition, column = 'status') => `${column} IN ${sqlStatuses(t.from)}`;

/** An experiment on a device, as the caller saw it; a write applies only if it is still so. */
export interface OnDevice {
  id: string;
  deviceId: string;
  attempt: number;
}

/**
 * Every write to the experiments table, and so every state change of an
 * experiment. Each is conditional on the status its transition starts from
 * (experiment-lifecycle.ts): a row it did not change was no longer in that
 * state, which callers read as "already done" (a duplicate) or "moved on".
 * Writes that touch many experiments take them all in one statement (arrays
 * unnested into rows), which keeps ingestion and dispatch at a round trip per group.
 */
@Injectable()
export class ExperimentsRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** An operator's decision on a batch moves its proposed experiments on: queued (approved) or rejected. */
  async decideBatch(m: EntityManager, batchId: string, decision: 'approved' | 'rejected', now: Date): Promise<void> {
    const t = decision === 'approved' ? T.approve : T.reject;
    await m.update(
      ExperimentEntity,
      { batchId, status: In([...t.from]) },
      t === T.reject ? { status: t.to, finishedAt: now } : { status: t.to },
    );
  }

  /** Edit-and-approve changes a proposal's values before its batch is approved. */
  async editProposal(m: EntityManager, id: string, params: Record<string, number | string>): Promise<void> {
    await m.update(ExperimentEntity, { id, status: In([...T.approve.from]) }, { params });
  }

  /** Edit-and-approve leaves a proposal out: rejected, never run. */
  async excludeProposal(m: EntityManager, id: string, now: Date): Promise<void> {
    await m.update(ExperimentEntity, { id, status: In([...T.reject.from]) }, { status: T.reject.to, finishedAt: now });
  }

  /** The campaign ended (cancelled or completed): proposals not yet sent are cancelled; experiments on devices finish and are stored. */
  async cancelUnsent(m: EntityManager, campaignId: string, now: Date): Promise<void> {
    await m.query(`UPDATE experiments SET ${set(T.cancel)}, finished_at = $2 WHERE campaign_id = $1 AND ${from(T.cancel)}`, [
      campaignId,
      now,
    ]);
  }

  /**
   * Assigns queued experiments to devices in one statement; each row only if it is still queued, its
   * campaign running and its device online with the capabilities the plan was made against.
   * Returns the experiments assigned, with their new attempt.
   */
  async dispatch(
    plan: { id: string; deviceId: string; kind: string | null; capabilities: string | null }[],
    now: Date,
  ): Promise<{ id: string; attempt: number; device_id: string }[]> {
    // The run commands go into the device command log in the same statement (acknowledged by the acceptance).
    return queryRows(
      this.dataSource,
      `WITH d AS (
         UPDATE experiments e SET ${set(T.dispatch)}, device_id = v.device_id, attempt = e.attempt + 1, dispatched_at = $1,
           last_sent_at = $1, accepted_at = NULL, waiting_reason = NULL
         FROM unnest($2::uuid[], $3::text[], $4::text[], $5::jsonb[]) AS v(id, device_id, kind, capabilities)
         WHERE e.id = v.id AND ${from(T.dispatch, 'e.status')}
           AND EXISTS (SELECT 1 FROM campaigns c WHERE c.id = e.campaign_id AND c.status = 'running')
           AND EXISTS (SELECT 1 FROM devices d WHERE d.id = v.device_id AND d.status = 'online' AND d.stopped_at IS NULL
                       AND d.kind IS NOT DISTINCT FROM v.kind AND d.capabilities IS NOT DISTINCT FROM v.capabilities)
         RETURNING e.id, e.attempt, e.device_id, e.campaign_id, e.params
       ), c AS (
         INSERT INTO device_commands (id, device_id, type, experiment_id, campaign_id, attempt, payload, issued_by, issued_at, sends, last_sent_at)
         SELECT gen_random_uuid(), d.device_id, 'run', d.id, d.campaign_id, d.attempt,
           jsonb_build_object('type', 'run', 'experimentId', d.id, 'campaignId', d.campaign_id, 'attempt', d.attempt, 'params', d.params),
           'service', $1, 1, $1
         FROM d
       )
       SELECT id, attempt, device_id FROM d`,
      [now, plan.map((p) => p.id), plan.map((p) => p.deviceId), plan.map((p) => p.kind), plan.map((p) => p.capabilities)],
    );
  }

  /** Records a re-send of a command not yet accepted; false when the experiment has moved on (accepted, taken off the device). */
  async markResent(id: string, deviceId: string, now: Date): Promise<boolean> {
    const r = await queryRows<{ id: string }>(
      this.dataSource,
      `WITH u AS (
         UPDATE experiments SET last_sent_at = $3 WHERE id = $1 AND device_id = $2 AND status = ${sqlStatus(EXPERIMENT_STATUS.dispatched)}
         RETURNING id, attempt
       ), c AS (
         UPDATE device_commands dc SET sends = dc.sends + 1, last_sent_at = $3 FROM u
         WHERE dc.experiment_id = u.id AND dc.attempt = u.attempt AND dc.type = 'run'
       )
       SELECT id FROM u`,
      [id, deviceId, now],
    );
    return r.length > 0;
  }

  /** Why no online device can take a queued experiment (null: it only waits for a free one); true when that changed. */
  async setWaitingReason(id: string, reason: string | null): Promise<boolean> {
    const r = await queryRows<{ id: string }>(
      this.dataSource,
      `UPDATE experiments SET waiting_reason = $2 WHERE id = $1 AND status = ${sqlStatus(EXPERIMENT_STATUS.queued)} AND waiting_reason IS DISTINCT FROM $2 RETURNING id`,
      [id, reason],
    );
    return r.length > 0;
  }

  /** Devices accepted these commands (one statement for all); returns the experiments that changed. */
  async accept(reports: { id: string; deviceId: string; receivedAt?: Date }[], now: Date): Promise<{ id: string; campaign_id: string }[]> {
    // Accepted when the acceptance arrived (never later than now): a device's list of what it holds is judged
    // against that time, not against when a busy service got round to storing it.
    return queryRows(
      this.dataSource,
      `WITH a AS (
         UPDATE experiments e SET ${set(T.accept)}, accepted_at = LEAST(COALESCE(v.received_at, $1), $1)
         FROM unnest($2::uuid[], $3::text[], $4::timestamptz[]) AS v(id, device_id, received_at)
         WHERE e.id = v.id AND e.device_id = v.device_id AND ${from(T.accept, 'e.status')}
         RETURNING e.id, e.campaign_id, e.attempt, e.accepted_at
       ), c AS (
         UPDATE device_commands dc SET acked_at = a.accepted_at, ack_status = 'accepted' FROM a
         WHERE dc.experiment_id = a.id AND dc.attempt = a.attempt AND dc.type = 'run' AND dc.acked_at IS NULL
       )
       SELECT id, campaign_id FROM a`,
      [now, reports.map((r) => r.id), reports.map((r) => r.deviceId), reports.map((r) => r.receivedAt ?? null)],
    );
  }

  /**
   * Stores results (one statement for all), each only for the device and attempt that ran it; an
   * acceptance the result overtook is recorded with it. Returns the ids stored: the others were not
   * (or no longer) this device's current attempt, or already stored.
   */
  async complete(
    results: { id: string; deviceId: string; attempt: number; values: string; objective: number; metadata: string | null }[],
    now: Date,
  ): Promise<string[]> {
    const rows = await queryRows<{ id: string }>(
      this.dataSource,
      `WITH r AS (
         UPDATE experiments e SET ${set(T.complete)}, "values" = v.vals, objective = v.objective, metadata = v.metadata, finished_at = $1,
           accepted_at = COALESCE(e.accepted_at, $1)
         FROM unnest($2::uuid[], $3::text[], $4::int[], $5::jsonb[], $6::float8[], $7::jsonb[]) AS v(id, device_id, attempt, vals, objective, metadata)
         WHERE e.id = v.id AND e.device_id = v.device_id AND e.attempt = v.attempt AND ${from(T.complete, 'e.status')}
         RETURNING e.id, e.attempt
       ), c AS (
         UPDATE device_commands dc SET acked_at = $1, ack_status = 'accepted' FROM r
         WHERE dc.experiment_id = r.id AND dc.attempt = r.attempt AND dc.type = 'run' AND dc.acked_at IS NULL
       )
       SELECT id FROM r`,
      [
        now,
        results.map((r) => r.id),
        results.map((r) => r.deviceId),
        results.map((r) => r.attempt),
        results.map((r) => r.values),
        results.map((r) => r.objective),
        results.map((r) => r.metadata),
      ],
    );
    return rows.map((r) => r.id);
  }

  /** The condition failed (scope "experiment"): data for the optimizer. False when the report was already stored or is not current. */
  async failExperiment(
    m: EntityManager,
    e: OnDevice,
    reason: string,
    now: Date,
    values: string | null,
    metadata: string | null = null,
  ): Promise<boolean> {
    const r = await queryRows<{ id: string }>(
      m,
      `UPDATE experiments SET ${set(T.fail)}, failure_scope = 'experiment', failure_reason = $3, finished_at = $4,
         "values" = COALESCE($6::jsonb, "values"), metadata = COALESCE($7::jsonb, metadata)
       WHERE id = $1 AND device_id = $2 AND attempt = $5 AND ${from(T.fail)} RETURNING id`,
      [e.id, e.deviceId, reason, now, e.attempt, values, metadata],
    );
    return r.length > 0;
  }

  /** A device failure past the retry budget (or after the campaign ended): failed with scope "device", never data for the optimizer. */
  async failOnDevice(m: EntityManager, e: OnDevice, reason: string, now: Date): Promise<boolean> {
    const r = await queryRows<{ id: string }>(
      m,
      `UPDATE experiments SET ${set(T.fail)}, failure_scope = 'device', failure_reason = $4, finished_at = $5,
         failed_on = array_append(failed_on, device_id)
       WHERE id = $1 AND device_id = $2 AND attempt = $3 AND ${from(T.fail)} RETURNING id`,
      [e.id, e.deviceId, e.attempt, reason, now],
    );
    return r.length > 0;
  }

  /** A device failure within the retry budget: queued again, remembering the device so that another is preferred. */
  async requeue(m: EntityManager, e: OnDevice): Promise<boolean> {
    const r = await queryRows<{ id: string }>(
      m,
      `UPDATE experiments SET ${set(T.requeue)}, device_id = NULL, accepted_at = NULL, last_sent_at = NULL, waiting_reason = NULL,
         failed_on = array_append(failed_on, device_id)
       WHERE id = $1 AND device_id = $2 AND attempt = $3 AND ${from(T.requeue)} RETURNING id`,
      [e.id, e.deviceId, e.attempt],
    );
    return r.length > 0;
  }

  /** A progress event from the device running it: its liveness deadline moves back. False when it is not on that device. */
  async recordProgress(id: string, deviceId: string, now: Date): Promise<boolean> {
    const r = await queryRows<{ id: string }>(
      this.dataSource,
      `UPDATE experiments SET last_progress_at = $3 WHERE id = $1 AND device_id = $2 AND ${from(T.complete)} RETURNING id`,
      [id, deviceId, now],
    );
    return r.length > 0;
  }

  /**
   * An operator acts on experiments of a stalled campaign, whatever device and attempt they are at:
   * `requeue` sends those on a device to another (remembering the device), `abandon` fails them with
   * scope "device" (never learned from). Returns those changed, with the device they were on.
   */
  async operatorRelease(
    m: EntityManager,
    campaignId: string,
    ids: string[] | null,
    action: 'requeue' | 'abandon',
    reason: string,
    now: Date,
  ): Promise<{ id: string; device_id: string | null; attempt: number }[]> {
    const t = action === 'requeue' ? T.requeue : T.abandon;
    const changes =
      action === 'requeue'
        ? `${set(T.requeue)}, device_id = NULL, accepted_at = NULL, last_sent_at = NULL, waiting_reason = NULL,
           failed_on = array_append(e.failed_on, e.device_id)`
        : `${set(T.abandon)}, failure_scope = 'device', failure_reason = $3, finished_at = $4, waiting_reason = NULL,
           failed_on = CASE WHEN e.device_id IS NULL THEN e.failed_on ELSE array_append(e.failed_on, e.device_id) END`;
    return queryRows(
      m,
      `WITH old AS (
         SELECT id, device_id FROM experiments
         WHERE campaign_id = $1 AND ${from(t)} AND ($2::uuid[] IS NULL OR id = ANY($2::uuid[])) FOR UPDATE
       )
       UPDATE experiments e SET ${changes} FROM old
       WHERE e.id = old.id AND ${from(t, 'e.status')}
       RETURNING e.id, old.device_id, e.attempt`,
      action === 'requeue' ? [campaignId, ids] : [campaignId, ids, reason, now],
    );
  }

  /**
   * Aborts experiments that have not finished (by id, or every one of a campaign still on a device), in one
   * statement with the abort commands for those on a device (logged, unsent: the command sender publishes
   * them). Returns those aborted, with the status and device they had and the abort command's id.
   */
  async abort(
    m: EntityManager,
    target: { ids: string[] } | { campaignId: string },
    reason: string,
    actor: string,
    now: Date,
  ): Promise<
    { id: string; campaign_id: string; was: ExperimentStatus; device_id: string | null; attempt: number; command_id: string | null }[]
  > {
    const byCampaign = 'campaignId' in target;
    return queryRows(
      m,
      `WITH old AS (
         SELECT id, status, device_id FROM experiments
         WHERE ${byCampaign ? `campaign_id = $1 AND status IN ${sqlStatuses(ON_DEVICE)}` : 'id = ANY($1::uuid[])'} AND ${from(T.abort)}
         FOR UPDATE
       ), a AS (
         UPDATE experiments e SET ${set(T.abort)}, failure_reason = $2, finished_at = $4, waiting_reason = NULL
         FROM old WHERE e.id = old.id AND ${from(T.abort, 'e.status')}
         RETURNING e.id, e.campaign_id, old.status AS was, old.device_id, e.attempt
       ), x AS (
         SELECT gen_random_uuid() AS command_id, a.* FROM a WHERE a.was IN ${sqlStatuses(ON_DEVICE)} AND a.device_id IS NOT NULL
       ), c AS (
         INSERT INTO device_commands (id, device_id, type, experiment_id, campaign_id, attempt, payload, issued_by, issued_at)
         SELECT x.command_id, x.device_id, 'abort', x.id, x.campaign_id, x.attempt,
           jsonb_build_object('type', 'abort', 'experimentId', x.id, 'attempt', x.attempt, 'reason', $2::text), $3, $4
         FROM x
       )
       SELECT a.id, a.campaign_id, a.was, a.device_id, a.attempt, x.command_id FROM a LEFT JOIN x ON x.id = a.id`,
      [byCampaign ? target.campaignId : target.ids, reason, actor, now],
    );
  }

  /**
   * Stores the outcome a person reported for an experiment of a campaign of the manual device kind, once:
   * only while it is queued (waiting for the person). False when it is not (any more).
   */
  async reportByPerson(
    m: EntityManager,
    id: string,
    outcome:
      | { status: 'completed'; values: string; objective: number; metadata: string | null }
      | { status: 'failed'; scope: FailureScope; reason: string; values: string | null; metadata: string | null },
    reportedBy: string,
    now: Date,
  ): Promise<boolean> {
    const manual = `EXISTS (SELECT 1 FROM campaigns c WHERE c.id = experiments.campaign_id AND c.definition->>'deviceKind' = $4)`;
    const r =
      outcome.status === 'completed'
        ? await queryRows<{ id: string }>(
            m,
            `UPDATE experiments SET ${set(T.reportByPerson)}, "values" = $5::jsonb, objective = $6, metadata = $7::jsonb, reported_by = $2,
               finished_at = $3, waiting_reason = NULL
             WHERE id = $1 AND ${from(T.reportByPerson)} AND ${manual} RETURNING id`,
            [id, reportedBy, now, MANUAL_DEVICE_KIND, outcome.values, outcome.objective, outcome.metadata],
          )
        : await queryRows<{ id: string }>(
            m,
            `UPDATE experiments SET ${set(T.reportFailureByPerson)}, failure_scope = $5, failure_reason = $6, "values" = $7::jsonb,
               metadata = $8::jsonb, reported_by = $2, finished_at = $3, waiting_reason = NULL
             WHERE id = $1 AND ${from(T.reportFailureByPerson)} AND ${manual} RETURNING id`,
            [id, reportedBy, now, MANUAL_DEVICE_KIND, outcome.scope, outcome.reason, outcome.values, outcome.metadata],
          );
    return r.length > 0;
  }
}
