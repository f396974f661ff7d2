import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * No silent stall: an experiment on a device remembers its last progress event (which pushes its
 * liveness deadline back), and a campaign that made no progress for a while carries why it stalled
 * (what it waits for) until it moves again.
 */
export class Liveness1796610000000 implements MigrationInterface {
  name = 'Liveness1796610000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE experiments ADD COLUMN last_progress_at timestamptz`);
    await q.query(`ALTER TABLE campaigns ADD COLUMN stalled_at timestamptz, ADD COLUMN stall jsonb`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE campaigns DROP COLUMN stall, DROP COLUMN stalled_at`);
    await q.query(`ALTER TABLE experiments DROP COLUMN last_progress_at`);
  }
}
