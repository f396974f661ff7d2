import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { queryRows } from '#persistence';
import { AuditService } from '../audit/audit.service.js';
import { APP_CONFIG, type AppConfig } from '../common/config.js';
import { EventBus } from '../common/events.js';
import { CLOCK, type Clock } from '../common/ports.js';
import { ON_DEVICE, sqlStatuses } from '../experiments/experiment-lifecycle.js';
import { RedispatchService } from '../experiments/redispatch.service.js';
import { logIds } from '../common/logger.js';

/** A device silent for this many of its declared heartbeat intervals is taken as offline (protocol v1). */
export const SILENT_INTERVALS = 3;

/** An experiment on a device that declares its typical duration is overdue after this many of it without a result or progress. */
export const OVERDUE_FACTOR = 3;

/** Experiments looked at per pass. */
const BATCH = 200;

interface ActiveRow {
  id: string;
  campaign_id: string;
  device_id: string;
  attempt: number;
}

/**
 * Watches devices and the experiments on them, once per loop step:
 * - a device silent (no heartbeat or other message) for 3 × its declared
 *   heartbeat interval, or DEVICE_SILENT_AFTER_MS when it declares none, is
 *   marked offline;
 * - experiments dispatched to or running on an offline device are taken off
 *   it as a device failure: at once when it fell silent, after
 *   DEVICE_OFFLINE_GRACE_MS when it announced offline (its Last Will);
 * - experiments on a device longer than their campaign's experimentTimeoutS
 *   are taken off it likewise;
 * - without a timeout, an experiment still has a liveness deadline: on a device
 *   that declares its typical duration T (capabilities.typicalDurationS), no
 *   result and no progress event for OVERDUE_FACTOR × T since it was sent,
 *   accepted or last reported progress takes it off the device likewise. On
 *   any device, a campaign that stops moving is marked stalled
 *   (stall-monitor.service.ts), and an operator re-dispatches or fails what it
 *   waits for.
 * Silence and time on a device are counted from when this service instance
 * started at the earliest: what happened while it was down, it did not see
 * (a device's result may be waiting in its outbox).
 */
@Injectable()
export class DeviceMonitorService {
  private readonly logger = new Logger('device-monitor');
  private readonly startedAt: Date;

  constructor(
    private readonly dataSource: DataSource,
    private readonly redispatch: RedispatchService,
    private readonly audit: AuditService,
    private readonly bus: EventBus,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.startedAt = clock.now();
  }

  async check(): Promise<void> {
    await this.markSilent();
    await this.takeOffOfflineDevices();
    await this.expireTimedOut();
    await this.expireOverdue();
  }

  /** Marks silent devices offline; returns their ids. */
  async markSilent(): Promise<string[]> {
    const now = this.clock.now();
    const rows = await queryRows<{ id: string; silent_after_s: number; last_seen_at: Date }>(
      this.dataSource,
      `UPDATE devices d SET status = 'offline', offline_cause = 'silent', status_changed_at = $1,
         status_reason = format('silent: no heartbeat or other message for more than %s s', round(s.after_s::numeric, 1))
       FROM (SELECT id, COALESCE(heartbeat_interval_s * $3::float8, NULLIF($4::float8, 0)) AS after_s FROM devices WHERE status = 'online') s
       WHERE d.id = s.id AND d.status = 'online' AND s.after_s IS NOT NULL
         AND GREATEST(d.last_seen_at, $2::timestamptz) < $1::timestamptz - make_interval(secs => s.after_s)
       RETURNING d.id, s.after_s AS silent_after_s, d.last_seen_at`,
      [now, this.startedAt, SILENT_INTERVALS, this.config.deviceSilentAfterMs / 1000],
    );
    for (const r of rows) {
      const reason = `silent: no heartbeat or other message for more than ${Math.round(r.silent_after_s * 10) / 10} s`;
      this.logger.warn(`device ${r.id} taken offline: ${reason}`, logIds({ deviceId: r.id }));
      await this.audit.record({
        actor: 'service',
        action: 'device.offline',
        deviceId: r.id,
        details: { reason, lastSeenAt: r.last_seen_at.toISOString() },
      });
      this.bus.emit('device.updated', { deviceId: r.id, status: 'offline' });
    }
    return rows.map((r) => r.id);
  }

  /**
   * Experiments still on a device that is offline go to another device (or fail, past maxAttempts):
   * at once for a silent device (it has been silent for three heartbeat intervals already), after
   * DEVICE_OFFLINE_GRACE_MS for one that announced offline. A broker restart fires every device's
   * Last Will; a device back within the grace keeps what it still holds (DevicesService.reclaimLost).
   */
  async takeOffOfflineDevices(): Promise<number> {
    const rows = await queryRows<ActiveRow & { status_reason: string | null }>(
      this.dataSource,
      `SELECT e.id, e.campaign_id, e.device_id, e.attempt, d.status_reason
       FROM experiments e JOIN devices d ON d.id = e.device_id
       WHERE e.status IN ${sqlStatuses(ON_DEVICE)} AND d.status = 'offline'
         AND (d.offline_cause IS DISTINCT FROM 'announced' OR d.status_changed_at <= $2::timestamptz - make_interval(secs => $3::float8))
       ORDER BY e.dispatched_at LIMIT $1`,
      [BATCH, this.clock.now(), this.config.deviceOfflineGraceMs / 1000],
    );
    let moved = 0;
    for (const r of rows) {
      const outcome = await this.redispatch.deviceFailure(
        { id: r.id, campaignId: r.campaign_id, deviceId: r.device_id, attempt: r.attempt },
        { cause: 'offline', reason: `device ${r.device_id} went offline: ${r.status_reason ?? 'offline'}`, actor: 'service' },
      );
      if (outcome) moved++;
    }
    return moved;
  }

  /** Experiments on a device for longer than their campaign's experimentTimeoutS are a device failure. */
  async expireTimedOut(): Promise<number> {
    const now = this.clock.now();
    const rows = await queryRows<ActiveRow & { timeout_s: number; dispatched_at: Date }>(
      this.dataSource,
      `SELECT e.id, e.campaign_id, e.device_id, e.attempt, e.dispatched_at, (c.definition->>'experimentTimeoutS')::float8 AS timeout_s
       FROM experiments e JOIN campaigns c ON c.id = e.campaign_id
       WHERE e.status IN ${sqlStatuses(ON_DEVICE)} AND e.device_id IS NOT NULL
         AND c.definition->>'experimentTimeoutS' IS NOT NULL
         AND GREATEST(e.dispatched_at, $2::timestamptz) < $1::timestamptz - make_interval(secs => (c.definition->>'experimentTimeoutS')::float8)
       ORDER BY e.dispatched_at LIMIT $3`,
      [now, this.startedAt, BATCH],
    );
    let moved = 0;
    for (const r of rows) {
      const outcome = await this.redispatch.deviceFailure(
        { id: r.id, campaignId: r.campaign_id, deviceId: r.device_id, attempt: r.attempt },
        {
          cause: 'timeout',
          reason: `no result from device ${r.device_id} within the experiment timeout of ${r.timeout_s} s (dispatched ${r.dispatched_at.toISOString()})`,
          actor: 'service',
        },
      );
      if (outcome) moved++;
    }
    return moved;
  }

  /**
   * Experiments with no result and no progress event for OVERDUE_FACTOR × their device's declared typical
   * duration (capabilities.typicalDurationS) since they were sent, accepted or last reported progress
   * are a device failure: the device lost or hung on them, even where the campaign sets no timeout.
   */
  async expireOverdue(): Promise<number> {
    const rows = await queryRows<ActiveRow & { typical_s: number; last_sign: Date }>(
      this.dataSource,
      `SELECT e.id, e.campaign_id, e.device_id, e.attempt, s.typical_s, s.last_sign
       FROM experiments e JOIN devices d ON d.id = e.device_id
       CROSS JOIN LATERAL (SELECT (d.capabilities->>'typicalDurationS')::float8 AS typical_s,
                                  GREATEST(e.dispatched_at, e.accepted_at, e.last_progress_at) AS last_sign) s
       WHERE e.status IN ${sqlStatuses(ON_DEVICE)} AND d.capabilities->>'typicalDurationS' IS NOT NULL
         AND GREATEST(s.last_sign, $2::timestamptz) < $1::timestamptz - make_interval(secs => s.typical_s * $3::float8)
       ORDER BY e.dispatched_at LIMIT $4`,
      [this.clock.now(), this.startedAt, OVERDUE_FACTOR, BATCH],
    );
    let moved = 0;
    for (const r of rows) {
      const outcome = await this.redispatch.deviceFailure(
        { id: r.id, campaignId: r.campaign_id, deviceId: r.device_id, attempt: r.attempt },
        {
          cause: 'timeout',
          reason:
            `no result and no progress from device ${r.device_id} for ${OVERDUE_FACTOR} × its typical duration of ${r.typical_s} s ` +
            `(last sign ${r.last_sign.toISOString()})`,
          actor: 'service',
        },
      );
      if (outcome) moved++;
    }
    return moved;
  }
}
