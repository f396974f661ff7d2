import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Campaign controls: an experiment may be aborted (status `aborted`: neither data nor run again) and keeps
 * the metadata its result came with (instrument settings, raw file names) and, for one a person ran, who
 * reported it; a device may be stopped (nothing is sent to it until it is resumed); and every command sent
 * to a device (run, abort, stop, resume) is logged with the device's acknowledgement.
 */
export class CampaignControls1797300000000 implements MigrationInterface {
  name = 'CampaignControls1797300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE experiments DROP CONSTRAINT experiments_status_check`);
    await q.query(
      `ALTER TABLE experiments ADD CONSTRAINT experiments_status_check
         CHECK (status IN ('proposed','queued','dispatched','running','completed','failed','rejected','cancelled','aborted'))`,
    );
    await q.query(`ALTER TABLE experiments ADD COLUMN metadata jsonb, ADD COLUMN reported_by text`);
    await q.query(`ALTER TABLE devices ADD COLUMN stopped_at timestamptz, ADD COLUMN stopped_by text, ADD COLUMN stop_reason text`);
    await q.query(
      `CREATE TABLE device_commands (
        id uuid PRIMARY KEY,
        device_id text NOT NULL,
        type text NOT NULL CHECK (type IN ('run', 'abort', 'stop', 'resume')),
        experiment_id uuid,
        campaign_id uuid,
        attempt integer,
        payload jsonb NOT NULL,
        issued_by text NOT NULL,
        issued_at timestamptz NOT NULL,
        sends integer NOT NULL DEFAULT 0,
        last_sent_at timestamptz,
        acked_at timestamptz,
        ack_status text CHECK (ack_status IN ('ok', 'error', 'accepted', 'rejected', 'superseded')),
        ack_detail text
      )`,
    );
    await q.query(`CREATE INDEX device_commands_device_idx ON device_commands (device_id, issued_at)`);
    await q.query(`CREATE INDEX device_commands_experiment_idx ON device_commands (experiment_id, attempt)`);
    await q.query(`CREATE INDEX device_commands_unacked_idx ON device_commands (last_sent_at) WHERE acked_at IS NULL AND type <> 'run'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE device_commands`);
    await q.query(`ALTER TABLE devices DROP COLUMN stop_reason, DROP COLUMN stopped_by, DROP COLUMN stopped_at`);
    await q.query(`ALTER TABLE experiments DROP COLUMN reported_by, DROP COLUMN metadata`);
    await q.query(`ALTER TABLE experiments DROP CONSTRAINT experiments_status_check`);
    await q.query(
      `ALTER TABLE experiments ADD CONSTRAINT experiments_status_check
         CHECK (status IN ('proposed','queued','dispatched','running','completed','failed','rejected','cancelled'))`,
    );
  }
}
