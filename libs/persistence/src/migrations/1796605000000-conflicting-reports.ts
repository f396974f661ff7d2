import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Reports on an experiment that had already ended with another outcome (a forged report, a rig that
 * re-ran a condition): kept beside the experiment, which keeps the outcome stored first, for an
 * operator. One row per distinct report (the fingerprint), however often the device re-sent it.
 */
export class ConflictingReports1796605000000 implements MigrationInterface {
  name = 'ConflictingReports1796605000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE conflicting_reports (
        id uuid PRIMARY KEY,
        campaign_id uuid NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
        experiment_id uuid NOT NULL REFERENCES experiments(id) ON DELETE CASCADE,
        device_id text NOT NULL,
        attempt integer NOT NULL,
        outcome text NOT NULL CHECK (outcome IN ('completed', 'failed')),
        "values" jsonb,
        objective double precision,
        failure_scope text,
        failure_reason text,
        stored jsonb NOT NULL,
        reported_at timestamptz,
        received_at timestamptz NOT NULL,
        deliveries integer NOT NULL DEFAULT 1,
        last_received_at timestamptz NOT NULL,
        fingerprint text NOT NULL,
        UNIQUE (experiment_id, fingerprint)
      )`);
    await q.query(`CREATE INDEX conflicting_reports_campaign_idx ON conflicting_reports (campaign_id, received_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE conflicting_reports`);
  }
}
