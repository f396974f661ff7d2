import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The device registry keeps what a device declares (capabilities with safe
 * parameter limits, heartbeat interval) and why it is offline; an experiment
 * keeps why it waits and on which devices it failed (re-dispatch goes elsewhere).
 */
export class DeviceRegistry1763910000000 implements MigrationInterface {
  name = 'DeviceRegistry1763910000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE devices
        ADD COLUMN capabilities jsonb,
        ADD COLUMN heartbeat_interval_s double precision CHECK (heartbeat_interval_s > 0),
        ADD COLUMN last_heartbeat_at timestamptz,
        ADD COLUMN reported_running integer,
        ADD COLUMN offline_cause text CHECK (offline_cause IN ('announced', 'silent')),
        ADD COLUMN status_reason text,
        ADD COLUMN status_changed_at timestamptz`);
    await q.query(`
      ALTER TABLE experiments
        ADD COLUMN waiting_reason text,
        ADD COLUMN failed_on text[] NOT NULL DEFAULT '{}'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE experiments DROP COLUMN waiting_reason, DROP COLUMN failed_on`);
    await q.query(`
      ALTER TABLE devices
        DROP COLUMN capabilities, DROP COLUMN heartbeat_interval_s, DROP COLUMN last_heartbeat_at, DROP COLUMN reported_running,
        DROP COLUMN offline_cause, DROP COLUMN status_reason, DROP COLUMN status_changed_at`);
  }
}
