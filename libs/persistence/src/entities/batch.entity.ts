import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { BatchStatus, JsonObject } from '../states.js';

@Entity({ name: 'batches' })
export class BatchEntity {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('uuid', { name: 'campaign_id' })
  campaignId!: string;

  /** 0, 1, 2, ... within the campaign; unique, so two proposers cannot both add batch k. */
  @Column('integer')
  index!: number;

  @Column('text')
  status!: BatchStatus;

  /** Provenance: strategy name and settings, seed, number of observations it saw. */
  @Column('jsonb')
  strategy!: JsonObject;

  @Column('timestamptz', { name: 'proposed_at' })
  proposedAt!: Date;

  @Column('timestamptz', { name: 'decided_at', nullable: true })
  decidedAt!: Date | null;

  @Column('text', { name: 'decided_by', nullable: true })
  decidedBy!: string | null;

  @Column('text', { name: 'decision_note', nullable: true })
  decisionNote!: string | null;
}
