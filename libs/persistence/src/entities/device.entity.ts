import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { DeviceStatus, JsonObject } from '../states.js';

/** Why a device is offline: it said so (availability `offline`, its Last Will included), or it fell silent. */
export type OfflineCause = 'announced' | 'silent';

@Entity({ name: 'devices' })
export class DeviceEntity {
  @PrimaryColumn('text')
  id!: string;

  @Column('text', { nullable: true })
  kind!: string | null;

  @Column('text')
  status!: DeviceStatus;

  @Column('integer', { default: 1 })
  capacity!: number;

  /** What the device declared it can run (protocol `capabilities`: parameter limits, objectives); null: nothing declared. */
  @Column('jsonb', { nullable: true })
  capabilities!: JsonObject | null;

  /** Declared seconds between heartbeats; silent for three intervals, the device is taken as offline. */
  @Column('double precision', { name: 'heartbeat_interval_s', nullable: true })
  heartbeatIntervalS!: number | null;

  @Column('timestamptz', { name: 'last_heartbeat_at', nullable: true })
  lastHeartbeatAt!: Date | null;

  /** Experiments in progress by the device's own count (its last heartbeat). */
  @Column('integer', { name: 'reported_running', nullable: true })
  reportedRunning!: number | null;

  @Column('text', { name: 'offline_cause', nullable: true })
  offlineCause!: OfflineCause | null;

  /** Why the device is offline, in words. */
  @Column('text', { name: 'status_reason', nullable: true })
  statusReason!: string | null;

  @Column('timestamptz', { name: 'status_changed_at', nullable: true })
  statusChangedAt!: Date | null;

  /** Set while an operator has the device stopped (emergency stop): nothing is sent to it until it is resumed. */
  @Column('timestamptz', { name: 'stopped_at', nullable: true })
  stoppedAt?: Date | null;

  @Column('text', { name: 'stopped_by', nullable: true })
  stoppedBy?: string | null;

  @Column('text', { name: 'stop_reason', nullable: true })
  stopReason?: string | null;

  @Column('timestamptz', { name: 'first_seen_at' })
  firstSeenAt!: Date;

  /** Digest of the last `online` announcement read live (see the migration DeviceAnnouncement1796600000000). */
  @Column('text', { name: 'announcement_digest', nullable: true })
  announcementDigest!: string | null;

  /** Last message of any kind from the device (availability, heartbeat, event). */
  @Column('timestamptz', { name: 'last_seen_at' })
  lastSeenAt!: Date;
}
