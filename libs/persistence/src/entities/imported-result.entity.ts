import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * A result measured before or outside the campaign (a literature table, a lab
 * notebook), imported so the strategy learns from it. Never dispatched, never
 * counted toward the budget or the target.
 */
@Entity({ name: 'imported_results' })
export class ImportedResultEntity {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('uuid', { name: 'campaign_id' })
  campaignId!: string;

  /** The import (one request) this row came with. */
  @Column('uuid', { name: 'import_id' })
  importId!: string;

  /** 0, 1, 2, ... within the campaign, in the order imported. */
  @Column('integer')
  index!: number;

  @Column('jsonb')
  params!: Record<string, number | string>;

  /** The campaign objective's value (the first objective's, with several); null when the experiment failed. */
  @Column('double precision', { nullable: true })
  objective!: number | null;

  /** The value of every objective and limited outcome of the campaign, by name; null when the experiment failed. */
  @Column('jsonb', { nullable: true })
  values!: Record<string, number> | null;

  @Column('boolean', { default: false })
  failed!: boolean;

  @Column('text', { name: 'failure_reason', nullable: true })
  failureReason!: string | null;

  /** Where the results come from, as the importer stated it. */
  @Column('text')
  source!: string;

  @Column('text', { name: 'imported_by' })
  importedBy!: string;

  @Column('timestamptz', { name: 'imported_at' })
  importedAt!: Date;
}
