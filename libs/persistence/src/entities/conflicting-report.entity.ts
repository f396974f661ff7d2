import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { FailureScope } from '../states.js';

/** What a report said happened to its experiment: a result, or a failure of that scope. */
export type ReportedOutcome = 'completed' | 'failed';

/**
 * A report on an experiment that had already ended with another outcome (another value, or failed
 * where it completed, or the reverse): a forged report, a rig that re-ran a condition, a bug. The
 * experiment keeps the outcome stored first; this one is kept beside it, acknowledged `conflict`,
 * for an operator to judge, and never learned from. Repeats of one report (its re-sends) are one row.
 */
@Entity({ name: 'conflicting_reports' })
export class ConflictingReportEntity {
  /** The report's id, given to the device in its `conflict` acknowledgement. */
  @PrimaryColumn('uuid')
  id!: string;

  @Column('uuid', { name: 'campaign_id' })
  campaignId!: string;

  @Column('uuid', { name: 'experiment_id' })
  experimentId!: string;

  @Column('text', { name: 'device_id' })
  deviceId!: string;

  @Column('integer')
  attempt!: number;

  @Column('text')
  outcome!: ReportedOutcome;

  /** The values reported (a result, or a failure that carried some). */
  @Column('jsonb', { nullable: true })
  values!: Record<string, number | null> | null;

  /** The campaign objective's value in the report, when it had one. */
  @Column('double precision', { nullable: true })
  objective!: number | null;

  @Column('text', { name: 'failure_scope', nullable: true })
  failureScope!: FailureScope | null;

  @Column('text', { name: 'failure_reason', nullable: true })
  failureReason!: string | null;

  /** The experiment's outcome in the database when the report came: status, objective, failure. */
  @Column('jsonb')
  stored!: Record<string, string | number | null>;

  /** The report's own time (`ts`), as the device wrote it. */
  @Column('timestamptz', { name: 'reported_at', nullable: true })
  reportedAt!: Date | null;

  @Column('timestamptz', { name: 'received_at' })
  receivedAt!: Date;

  /** Deliveries of this same report (a device re-sends until acknowledged). */
  @Column('integer', { default: 1 })
  deliveries!: number;

  @Column('timestamptz', { name: 'last_received_at' })
  lastReceivedAt!: Date;

  /** Identifies one report among its re-sends: device, attempt, outcome, values, failure. */
  @Column('text')
  fingerprint!: string;
}
