import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Campaign definitions that change mid-campaign (budget, batch size, strategy, target): a campaign
 * carries the version of its definition, and each version is kept with who made it, when and why,
 * so that every proposal's provenance can say under which settings it was made. Version 1 is the
 * definition as created; its row is written with the first change.
 */
export class DefinitionVersions1797200000000 implements MigrationInterface {
  name = 'DefinitionVersions1797200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE campaigns ADD COLUMN definition_version integer NOT NULL DEFAULT 1`);
    await q.query(
      `CREATE TABLE campaign_definitions (
         campaign_id uuid NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
         version integer NOT NULL,
         definition jsonb NOT NULL,
         changed_at timestamptz NOT NULL,
         changed_by text,
         reason text,
         changes jsonb NOT NULL DEFAULT '{}'::jsonb,
         PRIMARY KEY (campaign_id, version)
       )`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE campaign_definitions`);
    await q.query(`ALTER TABLE campaigns DROP COLUMN definition_version`);
  }
}
