import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Candidate lists: tables of rows (up to 100,000) a campaign proposes from,
 * one row of the table per candidate, never one JSON document; and the rows
 * an operator excluded from a campaign, each with who, when and why. A list
 * is immutable once uploaded, so campaigns may share it.
 */
export class CandidateLists1797400000000 implements MigrationInterface {
  name = 'CandidateLists1797400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE candidate_lists (
        id uuid PRIMARY KEY,
        name text NOT NULL,
        columns text[] NOT NULL,
        descriptors text[] NOT NULL,
        row_count integer NOT NULL,
        created_by text NOT NULL,
        created_at timestamptz NOT NULL
      )`);
    await q.query(`
      CREATE TABLE candidate_rows (
        list_id uuid NOT NULL REFERENCES candidate_lists(id) ON DELETE CASCADE,
        index integer NOT NULL,
        cells jsonb NOT NULL,
        PRIMARY KEY (list_id, index)
      )`);
    await q.query(`
      CREATE TABLE candidate_exclusions (
        campaign_id uuid NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
        row_index integer NOT NULL,
        reason text NOT NULL,
        excluded_by text NOT NULL,
        excluded_at timestamptz NOT NULL,
        PRIMARY KEY (campaign_id, row_index)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE candidate_exclusions`);
    await q.query(`DROP TABLE candidate_rows`);
    await q.query(`DROP TABLE candidate_lists`);
  }
}
