import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * A table of candidates uploaded for campaigns to propose from: its columns
 * (parameter names, and the numeric descriptors named in `descriptors`), its
 * rows in candidate_rows. Never changed once stored.
 */
@Entity({ name: 'candidate_lists' })
export class CandidateListEntity {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('text')
  name!: string;

  /** Every column of the table, in its order. */
  @Column('text', { array: true })
  columns!: string[];

  /** The columns that are numeric descriptors of a row, not parameters. */
  @Column('text', { array: true })
  descriptors!: string[];

  @Column('integer', { name: 'row_count' })
  rowCount!: number;

  @Column('text', { name: 'created_by' })
  createdBy!: string;

  @Column('timestamptz', { name: 'created_at' })
  createdAt!: Date;
}

/** One row of a candidate list: its cells as given (CSV text, or JSON numbers and strings), by column. */
@Entity({ name: 'candidate_rows' })
export class CandidateRowEntity {
  @PrimaryColumn('uuid', { name: 'list_id' })
  listId!: string;

  /** 0, 1, 2, ... in the order of the upload (row 1 of a problem message is index 0). */
  @PrimaryColumn('integer')
  index!: number;

  @Column('jsonb')
  cells!: Record<string, string | number>;
}

/** A row of its candidate list that a campaign no longer proposes, and who excluded it, when and why. */
@Entity({ name: 'candidate_exclusions' })
export class CandidateExclusionEntity {
  @PrimaryColumn('uuid', { name: 'campaign_id' })
  campaignId!: string;

  @PrimaryColumn('integer', { name: 'row_index' })
  rowIndex!: number;

  @Column('text')
  reason!: string;

  @Column('text', { name: 'excluded_by' })
  excludedBy!: string;

  @Column('timestamptz', { name: 'excluded_at' })
  excludedAt!: Date;
}
