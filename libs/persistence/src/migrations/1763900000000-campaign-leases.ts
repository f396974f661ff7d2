import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Several orchestrator replicas share one database: each running campaign is
 * leased to one replica at a time, and replicas announce themselves so the
 * others can tell which are alive.
 */
export class CampaignLeases1763900000000 implements MigrationInterface {
  name = 'CampaignLeases1763900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE campaigns ADD COLUMN lease_owner text, ADD COLUMN lease_expires_at timestamptz`);
    await q.query(`
      CREATE TABLE orchestrator_replicas (
        id text PRIMARY KEY,
        started_at timestamptz NOT NULL,
        heartbeat_at timestamptz NOT NULL
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE orchestrator_replicas`);
    await q.query(`ALTER TABLE campaigns DROP COLUMN lease_owner, DROP COLUMN lease_expires_at`);
  }
}
