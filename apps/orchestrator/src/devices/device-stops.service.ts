import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { queryRows } from '#persistence';
import { AuditService } from '../audit/audit.service.js';
import { DeviceCommandsService } from '../commands/device-commands.service.js';
import { DomainError } from '../common/errors.js';
import { EventBus } from '../common/events.js';
import { logIds } from '../common/logger.js';
import { parseInput } from '../common/parse-input.js';
import { CLOCK, type Clock } from '../common/ports.js';
import { ON_DEVICE, sqlStatuses } from '../experiments/experiment-lifecycle.js';
import { RedispatchService } from '../experiments/redispatch.service.js';

export const stopRequestSchema = z.object({ reason: z.string().trim().min(1).max(1024).optional() }).strict();

/**
 * Emergency stop and resume of a device. A stopped device is sent nothing (the dispatcher skips it, also
 * across its restarts) until an operator resumes it; the device is told to stop (abort everything it holds,
 * run nothing) and to resume, each command re-sent until it acknowledges. The experiments it held go to
 * other devices (a device failure of cause `stopped`, within the retry budget), never learned from.
 */
@Injectable()
export class DeviceStopsService {
  private readonly logger = new Logger('devices');

  constructor(
    private readonly dataSource: DataSource,
    private readonly commands: DeviceCommandsService,
    private readonly redispatch: RedispatchService,
    private readonly audit: AuditService,
    private readonly bus: EventBus,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async stop(deviceId: string, body: unknown, actor: string): Promise<{ deviceId: string; commandId: string; requeued: number }> {
    const { reason } = parseInput(stopRequestSchema, body, 'stop');
    const why = reason ?? `emergency stop by ${actor}`;
    const now = this.clock.now();
    const commandId = await this.dataSource.transaction(async (m) => {
      const [d] = await queryRows<{ id: string; stopped_at: Date | null; stopped_by: string | null }>(
        m,
        `SELECT id, stopped_at, stopped_by FROM devices WHERE id = $1 FOR UPDATE`,
        [deviceId],
      );
      if (!d) throw new DomainError('not_found', `device ${deviceId} not found`);
      if (d.stopped_at)
        throw new DomainError(
          'invalid_state',
          `device ${deviceId} is already stopped (by ${d.stopped_by} at ${d.stopped_at.toISOString()})`,
        );
      await m.query(`UPDATE devices SET stopped_at = $2, stopped_by = $3, stop_reason = $4 WHERE id = $1`, [deviceId, now, actor, why]);
      const id = await this.commands.issue(m, deviceId, { type: 'stop', reason: why }, actor);
      await this.audit.record({ actor, action: 'device.stopped', deviceId, details: { reason: why, commandId: id } }, m);
      return id;
    });
    this.logger.warn(`device ${deviceId} stopped by ${actor}: ${why}`, logIds({ deviceId }));
    await this.commands.sendDue();
    // Finish nothing: what it held goes to other devices.
    const held = await queryRows<{ id: string; campaign_id: string; attempt: number }>(
      this.dataSource,
      `SELECT id, campaign_id, attempt FROM experiments WHERE device_id = $1 AND status IN ${sqlStatuses(ON_DEVICE)}`,
      [deviceId],
    );
    let requeued = 0;
    for (const e of held) {
      const outcome = await this.redispatch.deviceFailure(
        { id: e.id, campaignId: e.campaign_id, deviceId, attempt: e.attempt },
        { cause: 'stopped', reason: `device ${deviceId} stopped by ${actor}: ${why}`, actor },
      );
      if (outcome !== undefined) requeued++;
    }
    this.bus.emit('device.updated', { deviceId, status: 'online' });
    this.bus.emit('device.controlled', { deviceId, action: 'stopped', by: actor, reason: why, commandId });
    return { deviceId, commandId, requeued };
  }

  async resume(deviceId: string, actor: string): Promise<{ deviceId: string; commandId: string }> {
    const commandId = await this.dataSource.transaction(async (m) => {
      const [d] = await queryRows<{ id: string; stopped_at: Date | null }>(
        m,
        `SELECT id, stopped_at FROM devices WHERE id = $1 FOR UPDATE`,
        [deviceId],
      );
      if (!d) throw new DomainError('not_found', `device ${deviceId} not found`);
      if (!d.stopped_at) throw new DomainError('invalid_state', `device ${deviceId} is not stopped`);
      await m.query(`UPDATE devices SET stopped_at = NULL, stopped_by = NULL, stop_reason = NULL WHERE id = $1`, [deviceId]);
      const id = await this.commands.issue(m, deviceId, { type: 'resume' }, actor);
      await this.audit.record({ actor, action: 'device.resumed', deviceId, details: { commandId: id } }, m);
      return id;
    });
    this.logger.log(`device ${deviceId} resumed by ${actor}`, logIds({ deviceId }));
    await this.commands.sendDue();
    this.bus.emit('device.updated', { deviceId, status: 'online' });
    this.bus.emit('device.controlled', { deviceId, action: 'resumed', by: actor, reason: null, commandId });
    return { deviceId, commandId };
  }
}
