import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The digest of the last `online` announcement the service read as it was
 * sent (not replayed by the broker). A retained announcement replayed at
 * start with the same digest was already reconciled against what the device
 * held; one with another digest was sent while no service was listening, and
 * is reconciled then (DevicesService.onAvailability).
 */
export class DeviceAnnouncement1796600000000 implements MigrationInterface {
  name = 'DeviceAnnouncement1796600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE devices ADD COLUMN announcement_digest text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE devices DROP COLUMN announcement_digest`);
  }
}
