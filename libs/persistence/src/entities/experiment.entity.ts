import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { ExperimentStatus, FailureScope } from '../states.js';

export interface StoredPrediction {
  mean?: number;
  sd?: number;
  acquisition?: number;
  extrapolation?: string;
  /** Several objectives: the predicted mean and sd of every objective and limited outcome. */
  outcomes?: Record<string, { mean: number; sd: number }>;
  /** Several objectives: the probability of meeting each outcome limit. */
  limits?: { name: string; op: '<=' | '>='; value: number; probability: number }[];
  /** Several objectives: the objectives whose predicted means beat the measured front. */
  improves?: string[];
}

@Entity({ name: 'experiments' })
export class ExperimentEntity {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('uuid', { name: 'campaign_id' })
  campaignId!: string;

  @Column('uuid', { name: 'batch_id' })
  batchId!: string;

  /** 0, 1, 2, ... within the campaign. */
  @Column('integer')
  index!: number;

  @Column('jsonb')
  params!: Record<string, number | string>;

  @Column('text')
  status!: ExperimentStatus;

  @Column('text', { name: 'device_id', nullable: true })
  deviceId!: string | null;

  /** Number of dispatches so far (a device failure re-dispatches). */
  @Column('integer', { default: 0 })
  attempt!: number;

  /** Every value the device reported, by name. */
  @Column('jsonb', { nullable: true })
  values!: Record<string, number | null> | null;

  /** The metadata its result came with (instrument settings, raw file names), at most 16 KiB of JSON. */
  @Column('jsonb', { nullable: true })
  metadata?: Record<string, string | number | boolean> | null;

  /** Who reported the outcome of an experiment a person ran (`<role>:<name>`); null for a device's. */
  @Column('text', { name: 'reported_by', nullable: true })
  reportedBy?: string | null;

  /** The campaign objective's value, when the experiment completed. */
  @Column('double precision', { nullable: true })
  objective!: number | null;

  @Column('text', { name: 'failure_scope', nullable: true })
  failureScope!: FailureScope | null;

  @Column('text', { name: 'failure_reason', nullable: true })
  failureReason!: string | null;

  /** Why no online device can take this queued experiment (no device of the kind, outside every device's limits); null otherwise. */
  @Column('text', { name: 'waiting_reason', nullable: true })
  waitingReason?: string | null;

  /** Devices on which it had a device failure (crash, silence, timeout): re-dispatch prefers others. */
  @Column('text', { name: 'failed_on', array: true, default: () => "'{}'" })
  failedOn?: string[];

  /** What the strategy said of this proposal: predicted mean and sd, acquisition, extrapolation flag. */
  @Column('jsonb', { nullable: true })
  prediction!: StoredPrediction | null;

  @Column('timestamptz', { name: 'created_at' })
  createdAt!: Date;

  @Column('timestamptz', { name: 'dispatched_at', nullable: true })
  dispatchedAt!: Date | null;

  @Column('timestamptz', { name: 'last_sent_at', nullable: true })
  lastSentAt!: Date | null;

  @Column('timestamptz', { name: 'accepted_at', nullable: true })
  acceptedAt!: Date | null;

  /** The device's last progress event for it: pushes its liveness deadline back. */
  @Column('timestamptz', { name: 'last_progress_at', nullable: true })
  lastProgressAt?: Date | null;

  @Column('timestamptz', { name: 'finished_at', nullable: true })
  finishedAt!: Date | null;
}
