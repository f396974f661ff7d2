import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { type DeviceCommandAck, type DeviceCommandType, type JsonObject, queryRows } from '#persistence';
import { PROTOCOL_VERSION, type CommandAckEvent, type ControlCommand } from '#protocol';
import { APP_CONFIG, type AppConfig } from '../common/config.js';
import { EventBus } from '../common/events.js';
import { CLOCK, COMMAND_PUBLISHER, type Clock, type CommandPublisher } from '../common/ports.js';
import { logIds } from '../common/logger.js';
import { UUID } from '../common/uuid.js';

/** A control command to log and send: its protocol fields without `v`, `commandId` and `issuedAt`. */
export type ControlPayload = DistributiveOmit<ControlCommand, 'v' | 'commandId' | 'issuedAt'>;
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** A logged command as the API lists it. */
export interface CommandView {
  id: string;
  deviceId: string;
  type: DeviceCommandType;
  experimentId: string | null;
  campaignId: string | null;
  attempt: number | null;
  payload: JsonObject;
  issuedBy: string;
  issuedAt: Date;
  sends: number;
  lastSentAt: Date | null;
  ackedAt: Date | null;
  ackStatus: DeviceCommandAck | null;
  ackDetail: string | null;
}

interface CommandRow {
  id: string;
  device_id: string;
  type: DeviceCommandType;
  experiment_id: string | null;
  campaign_id: string | null;
  attempt: number | null;
  payload: JsonObject;
  issued_by: string;
  issued_at: Date;
  sends: number;
  last_sent_at: Date | null;
  acked_at: Date | null;
  ack_status: DeviceCommandAck | null;
  ack_detail: string | null;
}

/** Most commands one listing returns (newest first). */
const LIST_LIMIT = 1000;

/**
 * The device command log, and the sender of the control commands (abort, stop, resume). Every command sent
 * to a device is a row with its acknowledgement: run commands are written with their dispatch and
 * acknowledged by the device's `accepted` (ExperimentsRepository), control commands are written here (or in
 * the statement that aborts an experiment) and re-sent, while the device is online, until the device answers
 * with a `command_ack` of their id. A command is logged before it is published, so a restart re-sends it.
 */
@Injectable()
export class DeviceCommandsService {
  private readonly logger = new Logger('commands');

  constructor(
    private readonly dataSource: DataSource,
    @Inject(COMMAND_PUBLISHER) private readonly publisher: CommandPublisher,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly bus: EventBus,
  ) {}

  /**
   * Logs a control command for a device (in the caller's transaction); it is published by sendDue. A stop or
   * resume supersedes one of the opposite kind the device has not acknowledged yet (never sent after it).
   */
  async issue(
    m: EntityManager,
    deviceId: string,
    payload: ControlPayload,
    issuedBy: string,
    ids: { experimentId?: string; campaignId?: string; attempt?: number } = {},
  ): Promise<string> {
    const id = randomUUID();
    const now = this.clock.now();
    if (payload.type === 'stop' || payload.type === 'resume') {
      await m.query(
        `UPDATE device_commands SET acked_at = $3, ack_status = 'superseded', ack_detail = $4
         WHERE device_id = $1 AND type = $2 AND acked_at IS NULL`,
        [deviceId, payload.type === 'stop' ? 'resume' : 'stop', now, `superseded by a ${payload.type} issued by ${issuedBy}`],
      );
    }
    await m.query(
      `INSERT INTO device_commands (id, device_id, type, experiment_id, campaign_id, attempt, payload, issued_by, issued_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9)`,
      [
        id,
        deviceId,
        payload.type,
        ids.experimentId ?? null,
        ids.campaignId ?? null,
        ids.attempt ?? null,
        JSON.stringify(payload),
        issuedBy,
        now,
      ],
    );
    return id;
  }

  /**
   * Publishes control commands not yet acknowledged whose device is online: those never sent at once, the
   * others again after COMMAND_RESEND_MS (the device de-duplicates by commandId). Returns how many went out.
   */
  async sendDue(): Promise<number> {
    const now = this.clock.now();
    const before = new Date(now.getTime() - this.config.commandResendMs);
    const rows = await queryRows<CommandRow>(
      this.dataSource,
      `UPDATE device_commands dc SET sends = dc.sends + 1, last_sent_at = $1
       FROM (SELECT c.id FROM device_commands c JOIN devices d ON d.id = c.device_id
             WHERE c.acked_at IS NULL AND c.type <> 'run' AND d.status = 'online' AND (c.last_sent_at IS NULL OR c.last_sent_at < $2)
             ORDER BY c.issued_at LIMIT 500 FOR UPDATE OF c SKIP LOCKED) due
       WHERE dc.id = due.id
       RETURNING dc.*`,
      [now, before],
    );
    rows.sort((a, b) => a.issued_at.getTime() - b.issued_at.getTime());
    for (const r of rows) {
      const command = {
        v: PROTOCOL_VERSION,
        ...(r.payload as unknown as ControlPayload),
        commandId: r.id,
        issuedAt: r.issued_at.toISOString(),
      };
      try {
        await this.publisher.send(r.device_id, command);
      } catch (e) {
        // Logged and re-sent at the next pass.
        this.logger.warn(
          `could not send ${r.type} command ${r.id} to ${r.device_id}: ${(e as Error).message}`,
          logIds({ deviceId: r.device_id }),
        );
      }
    }
    return rows.length;
  }

  /** A device answered a control command: the answer is logged and the command is not sent again. False for an unknown or answered one. */
  async onAck(deviceId: string, event: CommandAckEvent): Promise<boolean> {
    if (!UUID.test(event.commandId)) {
      this.logger.debug?.(`command_ack from ${deviceId} for ${event.commandId}: not a command of this service`);
      return false;
    }
    const detail = event.error ? `${event.error.code}: ${event.error.message}` : (event.detail ?? null);
    const r = await queryRows<Pick<CommandRow, 'id' | 'type' | 'experiment_id' | 'campaign_id'>>(
      this.dataSource,
      `UPDATE device_commands SET acked_at = $3, ack_status = $4, ack_detail = $5
       WHERE id = $1 AND device_id = $2 AND acked_at IS NULL AND type <> 'run' RETURNING id, type, experiment_id, campaign_id`,
      [event.commandId, deviceId, this.clock.now(), event.status, detail],
    );
    if (r.length === 0) {
      this.logger.debug?.(`command_ack from ${deviceId} for ${event.commandId}: unknown or already answered`);
      return false;
    }
    if (event.status === 'error')
      this.logger.warn(`device ${deviceId} could not do command ${event.commandId}: ${detail}`, logIds({ deviceId }));
    const [c] = r;
    this.bus.emit('command.acknowledged', {
      commandId: c.id,
      deviceId,
      type: c.type,
      status: event.status,
      detail,
      experimentId: c.experiment_id,
      campaignId: c.campaign_id,
    });
    return true;
  }

  /** A device answered a run command otherwise than by accepting it (a rejection, with its reason). */
  async runAnswered(experimentId: string, attempt: number, deviceId: string, status: DeviceCommandAck, detail: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE device_commands SET acked_at = $5, ack_status = $4, ack_detail = $6
       WHERE experiment_id = $1 AND attempt = $2 AND device_id = $3 AND type = 'run' AND acked_at IS NULL`,
      [experimentId, attempt, deviceId, status, this.clock.now(), detail.slice(0, 1024)],
    );
  }

  /** The commands sent to a device, or about an experiment, oldest first (at most the newest 1000). */
  async list(filter: { deviceId: string } | { experimentId: string }): Promise<CommandView[]> {
    const [column, value] = 'deviceId' in filter ? ['device_id', filter.deviceId] : ['experiment_id', filter.experimentId];
    const rows = await queryRows<CommandRow>(
      this.dataSource,
      `SELECT * FROM (SELECT * FROM device_commands WHERE ${column} = $1 ORDER BY issued_at DESC, id LIMIT ${LIST_LIMIT}) c ORDER BY issued_at, id`,
      [value],
    );
    return rows.map(view);
  }
}

function view(r: CommandRow): CommandView {
  return {
    id: r.id,
    deviceId: r.device_id,
    type: r.type,
    experimentId: r.experiment_id,
    campaignId: r.campaign_id,
    attempt: r.attempt,
    payload: r.payload,
    issuedBy: r.issued_by,
    issuedAt: r.issued_at,
    sends: r.sends,
    lastSentAt: r.last_sent_at,
    ackedAt: r.acked_at,
    ackStatus: r.ack_status,
    ackDetail: r.ack_detail,
  };
}
