import { createHash, randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { type ExperimentStatus, type FailureScope, queryRows } from '#persistence';
import { AuditService } from '../audit/audit.service.js';
import { DomainError } from '../common/errors.js';
import { CLOCK, type Clock } from '../common/ports.js';
import { UUID } from '../common/uuid.js';
import { EXPERIMENT_STATUS, judgeRepeat, type ReportedOutcome } from './experiment-lifecycle.js';

/** An experiment as a repeated report is judged against: where it runs and what it ended with. */
export interface StoredRow {
  id: string;
  campaign_id: string;
  status: ExperimentStatus;
  device_id: string | null;
  attempt: number;
  values: Record<string, number | null> | null;
  objective: number | null;
  failure_scope: FailureScope | null;
  failure_reason: string | null;
}

/** A final report as the device sent it, with what it says happened. */
export interface FinalReport {
  deviceId: string;
  attempt: number;
  outcome: ReportedOutcome;
  /** The campaign objective's value in a result, when it has one. */
  objective: number | null;
  /** A failure's reason (a result the service cannot use: why). */
  reason: string | null;
  /** The report's own `ts`. */
  reportedAt: string;
}

/** What a final report came to: `ok` to the device unless it conflicts with the stored outcome. */
export type Ingested = { outcome: 'stored' | 'duplicate' } | { outcome: 'conflict'; reportId: string; message: string };

/** A conflicting report as the API lists it. */
export interface ConflictView {
  id: string;
  experimentId: string;
  experimentIndex: number;
  deviceId: string;
  attempt: number;
  outcome: ReportedOutcome['status'];
  values: Record<string, number | null> | null;
  objective: number | null;
  failureScope: FailureScope | null;
  failureReason: string | null;
  /** What the experiment had ended with when the report came. */
  stored: Record<string, string | number | null>;
  reportedAt: Date | null;
  receivedAt: Date;
  deliveries: number;
  lastReceivedAt: Date;
}

/**
 * Final reports that changed nothing. An exact repeat of the stored outcome (a
 * redelivery, a re-send) is a duplicate, acknowledged `ok`; a report of another
 * outcome (another value, failed where it completed: a forged report stored first,
 * a rig that ran it twice) is kept in conflicting_reports with an audit entry and
 * acknowledged `conflict`, so neither side's value is lost and an operator sees both.
 */
@Injectable()
export class ConflictsService {
  private readonly logger = new Logger('results');

  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /**
   * Judges a report that changed nothing against the experiment as it is now (read after the write).
   * Throws when the experiment has not ended: nothing is stored, so the report is left unacknowledged.
   */
  async settle(row: StoredRow, report: FinalReport): Promise<Ingested> {
    const judged = judgeRepeat({ status: row.status, values: row.values, failureScope: row.failure_scope }, report.outcome);
    if (judged === 'same') return { outcome: 'duplicate' };
    if (judged === 'unfinished')
      throw new Error(`a report from ${report.deviceId} for experiment ${row.id} changed nothing, yet the experiment is ${row.status}`);
    return this.keep(row, report);
  }

  /** The conflicting reports of a campaign, oldest first. */
  async list(campaignId: string): Promise<ConflictView[]> {
    const [campaign] = UUID.test(campaignId)
      ? await queryRows<{ id: string }>(this.dataSource, `SELECT id FROM campaigns WHERE id = $1`, [campaignId])
      : [];
    if (!campaign) throw new DomainError('not_found', `campaign ${campaignId} not found`);
    const rows = await queryRows<ConflictRow>(
      this.dataSource,
      `SELECT r.*, e.index AS experiment_index FROM conflicting_reports r JOIN experiments e ON e.id = r.experiment_id
       WHERE r.campaign_id = $1 ORDER BY r.received_at, r.id LIMIT 1000`,
      [campaignId],
    );
    return rows.map(view);
  }

  /** Stores the report once (its re-sends count as deliveries), audits it the first time, and says so to the device. */
  private async keep(row: StoredRow, report: FinalReport): Promise<Ingested> {
    const now = this.clock.now();
    const stored = {
      status: row.status,
      objective: row.objective,
      failureScope: row.failure_scope,
      failureReason: row.failure_reason,
    };
    const values = report.outcome.status === EXPERIMENT_STATUS.completed ? report.outcome.values : null;
    const scope = report.outcome.status === EXPERIMENT_STATUS.failed ? report.outcome.scope : null;
    const fingerprint = createHash('sha256')
      .update(JSON.stringify([report.deviceId, report.attempt, report.outcome.status, sorted(values), scope, report.reason]))
      .digest('hex');
    const reported = describeReport(report);
    const message = `experiment ${row.id} already ended ${describeStored(row)}; this report (${reported}) is kept apart as a conflicting report for an operator`;
    const reportId = await this.dataSource.transaction(async (m) => {
      const [r] = await queryRows<{ id: string; first: boolean }>(
        m,
        `INSERT INTO conflicting_reports (id, campaign_id, experiment_id, device_id, attempt, outcome, "values", objective, failure_scope,
                                          failure_reason, stored, reported_at, received_at, last_received_at, fingerprint)
         VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9, $10, $11::jsonb, $12, $13, $13, $14)
         ON CONFLICT (experiment_id, fingerprint) DO UPDATE
           SET deliveries = conflicting_reports.deliveries + 1, last_received_at = EXCLUDED.last_received_at
         RETURNING id, (xmax = 0) AS first`,
        [
          randomUUID(),
          row.campaign_id,
          row.id,
          report.deviceId,
          report.attempt,
          report.outcome.status,
          values === null ? null : JSON.stringify(values),
          report.objective,
          scope,
          report.reason,
          JSON.stringify(stored),
          new Date(report.reportedAt),
          now,
          fingerprint,
        ],
      );
      if (r.first) {
        await this.audit.record(
          {
            actor: `device:${report.deviceId}`,
            action: 'report.conflict',
            campaignId: row.campaign_id,
            experimentId: row.id,
            deviceId: report.deviceId,
            details: {
              reportId: r.id,
              attempt: report.attempt,
              reported: { outcome: report.outcome.status, values, objective: report.objective, failureScope: scope, reason: report.reason },
              stored,
            },
          },
          m,
        );
        this.logger.warn(`conflicting report ${r.id} from ${report.deviceId}: ${message}`);
      }
      return r.id;
    });
    return { outcome: 'conflict', reportId, message: message.slice(0, 1024) };
  }
}

interface ConflictRow {
  id: string;
  experiment_id: string;
  experiment_index: number;
  device_id: string;
  attempt: number;
  outcome: ReportedOutcome['status'];
  values: Record<string, number | null> | null;
  objective: number | null;
  failure_scope: FailureScope | null;
  failure_reason: string | null;
  stored: Record<string, string | number | null>;
  reported_at: Date | null;
  received_at: Date;
  deliveries: number;
  last_received_at: Date;
}

function view(r: ConflictRow): ConflictView {
  return {
    id: r.id,
    experimentId: r.experiment_id,
    experimentIndex: r.experiment_index,
    deviceId: r.device_id,
    attempt: r.attempt,
    outcome: r.outcome,
    values: r.values,
    objective: r.objective,
    failureScope: r.failure_scope,
    failureReason: r.failure_reason,
    stored: r.stored,
    reportedAt: r.reported_at,
    receivedAt: r.received_at,
    deliveries: r.deliveries,
    lastReceivedAt: r.last_received_at,
  };
}

/** Values in key order, so that one report's re-sends have one fingerprint. */
function sorted(values: Record<string, number | null> | null): [string, number | null][] | null {
  return values === null ? null : Object.entries(values).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function describeStored(row: StoredRow): string {
  if (row.status === EXPERIMENT_STATUS.completed) return `completed with ${JSON.stringify(row.values)}`;
  if (row.status === EXPERIMENT_STATUS.failed)
    return `failed (${row.failure_scope ?? 'unknown scope'}: ${row.failure_reason ?? 'no reason'})`;
  return row.status;
}

function describeReport(report: FinalReport): string {
  const o = report.outcome;
  return o.status === EXPERIMENT_STATUS.completed
    ? `values ${JSON.stringify(o.values)}`
    : `failed (${o.scope}: ${report.reason ?? 'no reason'})`;
}
