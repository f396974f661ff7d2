import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Earlier results imported into a campaign (a literature table, a lab
 * notebook): the strategy learns from them as from the campaign's own
 * experiments, but nothing runs them, so they live beside the experiments
 * and never count toward the budget or the target. One import is one
 * request, with its source; each row is a point of the campaign's space and
 * its objective value, or a failure.
 */
export class ImportedResults1796530000000 implements MigrationInterface {
  name = 'ImportedResults1796530000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE imported_results (
        id uuid PRIMARY KEY,
        campaign_id uuid NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
        import_id uuid NOT NULL,
        index integer NOT NULL,
        params jsonb NOT NULL,
        objective double precision,
        failed boolean NOT NULL DEFAULT false,
        failure_reason text,
        source text NOT NULL,
        imported_by text NOT NULL,
        imported_at timestamptz NOT NULL,
        UNIQUE (campaign_id, index),
        CHECK (failed OR objective IS NOT NULL),
        CHECK (NOT failed OR objective IS NULL)
      )`);
    await q.query(`CREATE INDEX imported_results_import_idx ON imported_results (import_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE imported_results`);
  }
}
