import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { CampaignStatus, JsonObject } from '../states.js';

@Entity({ name: 'campaigns' })
export class CampaignEntity {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('text')
  name!: string;

  @Column('text')
  status!: CampaignStatus;

  /** The validated campaign definition (parameters, objective, budget, policy, strategy). */
  @Column('jsonb')
  definition!: JsonObject;

  @Column('integer')
  seed!: number;

  /** The version of `definition`: 1 as created, one more with each change (campaign_definitions keeps them all). */
  @Column('integer', { name: 'definition_version', default: 1 })
  definitionVersion?: number;

  @Column('text', { name: 'stop_reason', nullable: true })
  stopReason!: string | null;

  @Column('timestamptz', { name: 'created_at' })
  createdAt!: Date;

  @Column('timestamptz', { name: 'updated_at' })
  updatedAt!: Date;

  @Column('timestamptz', { name: 'completed_at', nullable: true })
  completedAt!: Date | null;

  /** When the service found the campaign stalled (no progress for CAMPAIGN_STALL_AFTER_MS); null while it moves. */
  @Column('timestamptz', { name: 'stalled_at', nullable: true })
  stalledAt?: Date | null;

  /** Why it stalled: since when nothing moved, and what it waits for. */
  @Column('jsonb', { nullable: true })
  stall?: JsonObject | null;
}
