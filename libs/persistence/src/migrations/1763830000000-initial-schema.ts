import type { MigrationInterface, QueryRunner } from 'typeorm';

export class InitialSchema1763830000000 implements MigrationInterface {
  name = 'InitialSchema1763830000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE campaigns (
        id uuid PRIMARY KEY,
        name text NOT NULL,
        status text NOT NULL CHECK (status IN ('running','paused','completed','cancelled')),
        definition jsonb NOT NULL,
        seed integer NOT NULL,
        stop_reason text,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        completed_at timestamptz
      )`);
    await q.query(`CREATE INDEX campaigns_status_idx ON campaigns (status)`);
    await q.query(`
      CREATE TABLE batches (
        id uuid PRIMARY KEY,
        campaign_id uuid NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
        index integer NOT NULL,
        status text NOT NULL CHECK (status IN ('proposed','approved','rejected','completed')),
        strategy jsonb NOT NULL,
        proposed_at timestamptz NOT NULL,
        decided_at timestamptz,
        decided_by text,
        decision_note text,
        UNIQUE (campaign_id, index)
      )`);
    await q.query(`
      CREATE TABLE experiments (
        id uuid PRIMARY KEY,
        campaign_id uuid NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
        batch_id uuid NOT NULL REFERENCES batches(id) ON DELETE CASCADE,
        index integer NOT NULL,
        params jsonb NOT NULL,
        status text NOT NULL CHECK (status IN ('proposed','queued','dispatched','running','completed','failed','rejected','cancelled')),
        device_id text,
        attempt integer NOT NULL DEFAULT 0,
        "values" jsonb,
        objective double precision,
        failure_scope text CHECK (failure_scope IN ('device','experiment')),
        failure_reason text,
        prediction jsonb,
        created_at timestamptz NOT NULL,
        dispatched_at timestamptz,
        last_sent_at timestamptz,
        accepted_at timestamptz,
        finished_at timestamptz,
        UNIQUE (campaign_id, index),
        CHECK (status <> 'completed' OR objective IS NOT NULL)
      )`);
    await q.query(`CREATE INDEX experiments_campaign_status_idx ON experiments (campaign_id, status)`);
    await q.query(
      `CREATE INDEX experiments_active_idx ON experiments (status, device_id) WHERE status IN ('queued','dispatched','running')`,
    );
    await q.query(`
      CREATE TABLE devices (
        id text PRIMARY KEY,
        kind text,
        status text NOT NULL CHECK (status IN ('online','offline')),
        capacity integer NOT NULL DEFAULT 1 CHECK (capacity >= 1),
        first_seen_at timestamptz NOT NULL,
        last_seen_at timestamptz NOT NULL
      )`);
    await q.query(`
      CREATE TABLE audit_log (
        id bigserial PRIMARY KEY,
        at timestamptz NOT NULL,
        actor text NOT NULL,
        action text NOT NULL,
        campaign_id uuid,
        experiment_id uuid,
        device_id text,
        details jsonb NOT NULL DEFAULT '{}'::jsonb
      )`);
    await q.query(`CREATE INDEX audit_log_campaign_idx ON audit_log (campaign_id, at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE audit_log`);
    await q.query(`DROP TABLE devices`);
    await q.query(`DROP TABLE experiments`);
    await q.query(`DROP TABLE batches`);
    await q.query(`DROP TABLE campaigns`);
  }
}
