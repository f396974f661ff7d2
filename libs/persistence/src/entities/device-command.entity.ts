import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { JsonObject } from '../states.js';

export const DEVICE_COMMAND_TYPES = ['run', 'abort', 'stop', 'resume'] as const;
export type DeviceCommandType = (typeof DEVICE_COMMAND_TYPES)[number];

/**
 * How a device answered a command: `accepted` / `rejected` (a run), `ok` / `error` (an abort, stop or resume,
 * by its command_ack), `superseded` (a stop or resume not yet acknowledged when the opposite was issued).
 */
export type DeviceCommandAck = 'ok' | 'error' | 'accepted' | 'rejected' | 'superseded';

/** One command sent to a device, with its acknowledgement: the device command log. */
@Entity({ name: 'device_commands' })
export class DeviceCommandEntity {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('text', { name: 'device_id' })
  deviceId!: string;

  @Column('text')
  type!: DeviceCommandType;

  @Column('uuid', { name: 'experiment_id', nullable: true })
  experimentId!: string | null;

  @Column('uuid', { name: 'campaign_id', nullable: true })
  campaignId!: string | null;

  @Column('integer', { nullable: true })
  attempt!: number | null;

  /** The command as sent (its protocol payload, without `v` and `issuedAt`). */
  @Column('jsonb')
  payload!: JsonObject;

  /** "service" for runs and a cancelled campaign's aborts, else the operator (`<role>:<name>`). */
  @Column('text', { name: 'issued_by' })
  issuedBy!: string;

  @Column('timestamptz', { name: 'issued_at' })
  issuedAt!: Date;

  /** How many times it was published (re-sent until acknowledged). */
  @Column('integer', { default: 0 })
  sends!: number;

  @Column('timestamptz', { name: 'last_sent_at', nullable: true })
  lastSentAt!: Date | null;

  @Column('timestamptz', { name: 'acked_at', nullable: true })
  ackedAt!: Date | null;

  @Column('text', { name: 'ack_status', nullable: true })
  ackStatus!: DeviceCommandAck | null;

  /** What the device said it did, or why it refused. */
  @Column('text', { name: 'ack_detail', nullable: true })
  ackDetail!: string | null;
}
