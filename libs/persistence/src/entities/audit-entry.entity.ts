import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { JsonObject } from '../states.js';

/** Append-only record of who did what and why: approvals, re-dispatches, refused results. */
@Entity({ name: 'audit_log' })
export class AuditEntryEntity {
  @PrimaryGeneratedColumn('increment', { type: 'bigint' })
  id!: string;

  @Column('timestamptz')
  at!: Date;

  /** "operator:<name>", "service", "device:<id>". */
  @Column('text')
  actor!: string;

  @Column('text')
  action!: string;

  @Column('uuid', { name: 'campaign_id', nullable: true })
  campaignId!: string | null;

  @Column('uuid', { name: 'experiment_id', nullable: true })
  experimentId!: string | null;

  @Column('text', { name: 'device_id', nullable: true })
  deviceId!: string | null;

  @Column('jsonb', { default: () => "'{}'::jsonb" })
  details!: JsonObject;
}
