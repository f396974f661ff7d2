import { createHash } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { DeviceEntity, type DeviceStatus, type ExperimentStatus, type JsonObject, type OfflineCause, queryRows } from '#persistence';
import type { Availability, Heartbeat } from '#protocol';
import { AuditService } from '../audit/audit.service.js';
import { DomainError } from '../common/errors.js';
import { EventBus } from '../common/events.js';
import { CLOCK, type Clock } from '../common/ports.js';
import { UUID } from '../common/uuid.js';
import { EXPERIMENT_STATUS, ON_DEVICE, sqlStatus, sqlStatuses } from '../experiments/experiment-lifecycle.js';
import { RedispatchService } from '../experiments/redispatch.service.js';
import { HoldingsService } from './holdings.service.js';
import { logIds } from '../common/logger.js';

/** A device as the REST API shows it. */
export interface DeviceView {
  id: string;
  kind: string | null;
  status: DeviceStatus;
  /** Why it is offline (null when online). */
  statusReason: string | null;
  statusChangedAt: Date | null;
  capacity: number;
  /** Experiments the service has on it now (dispatched or running). */
  running: number;
  /** Experiments in progress by the device's own count (last heartbeat). */
  reportedRunning: number | null;
  capabilities: JsonObject | null;
  heartbeatIntervalS: number | null;
  firstSeenAt: Date;
  lastSeenAt: Date;
  lastHeartbeatAt: Date | null;
  /** Set while an operator has it stopped (POST /api/devices/:id/stop): nothing is sent to it until resumed. */
  stopped: { at: Date; by: string | null; reason: string | null } | null;
}

export interface DeviceDetail extends DeviceView {
  experiments: {
    id: string;
    campaignId: string;
    status: ExperimentStatus;
    attempt: number;
    dispatchedAt: Date | null;
    acceptedAt: Date | null;
  }[];
}

const ANNOUNCED_OFFLINE = 'the device announced offline (its Last Will or a shutdown)';

/**
 * The device registry, fed by retained availability messages (with their
 * capabilities and Last Will), heartbeats and any other message (last seen).
 * Silence is judged by the device monitor (loop/device-monitor.service.ts).
 */
/** How often an event may refresh its device's last-seen time in the database. */
const SEEN_WRITE_INTERVAL_MS = 1000;

@Injectable()
export class DevicesService {
  private readonly lastSeenWrite = new Map<string, number>();
  private readonly logger = new Logger('devices');

  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly bus: EventBus,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly redispatch: RedispatchService,
    private readonly holdings: HoldingsService,
  ) {}

  /**
   * An availability message. `retained`: replayed by the broker on subscribe,
   * so it says what the device last declared but is no sign that it is alive
   * now: it updates the declaration, not last_seen_at, and does not bring back
   * a device found silent. `receivedAt`: when the MQTT edge read it.
   *
   * Every `online` that lists what the device holds is reconciled against what
   * runs there (HoldingsService), not only one after an outage: a device that
   * restarted while the service was down comes back "online" to a registry
   * that already says online. A replayed one is reconciled once, if no
   * service read it live (its digest differs from the last one read live).
   */
  async onAvailability(deviceId: string, message: Availability, retained = false, receivedAt = this.clock.now()): Promise<void> {
    const now = this.clock.now();
    let back: Date | undefined;
    let unread = false;
    const digest = message.status === 'online' ? createHash('sha256').update(JSON.stringify(message)).digest('hex') : null;
    const transition = await this.dataSource.transaction(async (m) => {
      const [prev] = await queryRows<{
        status: DeviceStatus;
        offline_cause: OfflineCause | null;
        status_changed_at: Date;
        announcement_digest: string | null;
      }>(m, `SELECT status, offline_cause, status_changed_at, announcement_digest FROM devices WHERE id = $1 FOR UPDATE`, [deviceId]);
      unread = prev !== undefined && digest !== null && prev.announcement_digest !== digest;
      // Back from an outage, by its own word (a retained message is no sign of life).
      if (!retained && message.status === 'online' && prev?.status === 'offline') back = prev.status_changed_at;
      const staysSilent = message.status === 'online' && retained && prev?.status === 'offline' && prev.offline_cause === 'silent';
      const status: DeviceStatus = staysSilent ? 'offline' : message.status;
      const cause: OfflineCause | null = status === 'online' ? null : staysSilent ? 'silent' : 'announced';
      const changed = prev === undefined || prev.status !== status;
      const online = message.status === 'online';
      await m.query(
        `INSERT INTO devices (id, kind, status, capacity, capabilities, heartbeat_interval_s, offline_cause, status_reason, status_changed_at,
                              first_seen_at, last_seen_at, announcement_digest)
         VALUES ($1, $2, $3, $4, $5::jsonb, $6::float8, $7, $8, $9, $9, $9, $15::text)
         ON CONFLICT (id) DO UPDATE SET
           status = EXCLUDED.status,
           kind = COALESCE(EXCLUDED.kind, devices.kind),
           capacity = CASE WHEN $10::boolean THEN EXCLUDED.capacity ELSE devices.capacity END,
           capabilities = CASE WHEN $11::boolean THEN EXCLUDED.capabilities ELSE devices.capabilities END,
           heartbeat_interval_s = CASE WHEN $11::boolean THEN EXCLUDED.heartbeat_interval_s ELSE devices.heartbeat_interval_s END,
           offline_cause = EXCLUDED.offline_cause,
           status_reason = CASE WHEN $13::boolean THEN devices.status_reason ELSE EXCLUDED.status_reason END,
           status_changed_at = CASE WHEN $12::boolean THEN EXCLUDED.status_changed_at ELSE devices.status_changed_at END,
           last_seen_at = CASE WHEN $14::boolean THEN devices.last_seen_at ELSE EXCLUDED.last_seen_at END,
           announcement_digest = COALESCE($15::text, devices.announcement_digest)`,
        [
          deviceId,
          message.kind ?? null,
          status,
          message.capacity ?? 1,
          online && message.capabilities ? JSON.stringify(message.capabilities) : null,
          online ? (message.heartbeatIntervalS ?? null) : null,
          cause,
          status === 'online' ? null : ANNOUNCED_OFFLINE,
          now,
          message.capacity !== undefined,
          online, // an online announcement is the device's whole declaration; an offline one (a Last Will) declares nothing
          changed,
          staysSilent,
          // Retained: no sign of life now. An offline message is the broker's (Last Will) or a goodbye: not a sign of life either.
          retained || !online,
          digest,
        ],
      );
      if (changed && prev !== undefined) {
        await this.audit.record(
          {
            actor: retained ? 'service' : `device:${deviceId}`,
            action: status === 'online' ? 'device.online' : 'device.offline',
            deviceId,
            details: { reason: status === 'online' ? 'announced online' : ANNOUNCED_OFFLINE, retained },
          },
          m,
        );
      }
      return changed;
    });
    const what = message.kind ? ` (${message.kind}, capacity ${message.capacity ?? 1})` : '';
    if (transition || !retained)
      this.logger.log(`device ${deviceId} is ${message.status}${what}${retained ? ' (retained)' : ''}`, logIds({ deviceId }));
    this.bus.emit('device.updated', { deviceId, status: message.status });
    if (message.status !== 'online') return;
    if (message.holding !== undefined && (!retained || unread)) {
      // Live: the list is as of now. Replayed and never read live: sent while no service listened, so
      // before this one started; what was accepted since is not judged by it (heartbeats carry on).
      const asOf = retained ? new Date(Math.min(this.holdings.startedAt.getTime(), receivedAt.getTime())) : receivedAt;
      await this.holdings.reconcile(deviceId, message.holding, asOf, {
        cause: back ? 'offline' : 'lost',
        reason: back
          ? cameBackWithout(deviceId)
          : `device ${deviceId} announced online${retained ? ' (a retained announcement sent while the service was away)' : ''} without it: it restarted or dropped it`,
        actor: retained ? 'service' : `device:${deviceId}`,
      });
    } else if (back && message.holding === undefined) {
      await this.reclaimLost(deviceId, back);
    }
  }

  /**
   * A device back online after an outage that does not list what it holds is taken to hold nothing:
   * what it had accepted before it went offline goes to another device now. Experiments dispatched
   * but not yet accepted stay: their command is re-sent, and the device de-duplicates it. (A device
   * that lists what it holds is reconciled against its list, by HoldingsService.)
   */
  private async reclaimLost(deviceId: string, offlineSince: Date): Promise<void> {
    const lost = await queryRows<{ id: string; campaign_id: string; attempt: number }>(
      this.dataSource,
      `SELECT id, campaign_id, attempt FROM experiments
       WHERE device_id = $1 AND status = ${sqlStatus(EXPERIMENT_STATUS.running)} AND accepted_at <= $2
       ORDER BY accepted_at`,
      [deviceId, offlineSince],
    );
    for (const e of lost) {
      await this.redispatch.deviceFailure(
        { id: e.id, campaignId: e.campaign_id, deviceId, attempt: e.attempt },
        {
          cause: 'offline',
          reason: `device ${deviceId} came back online without listing what it holds: its run is taken as lost`,
          actor: `device:${deviceId}`,
        },
      );
    }
    if (lost.length > 0)
      this.logger.warn(`device ${deviceId} came back without ${lost.length} experiment(s) it had: sent elsewhere`, logIds({ deviceId }));
  }

  /**
   * An event shows its device is alive. A device seen less than a second ago
   * is not written again: under load every event would otherwise take the
   * device row's lock, one after the other. Heartbeats always go to touch().
   */
  async seen(deviceId: string, receivedAt = this.clock.now()): Promise<void> {
    const now = this.clock.now().getTime();
    if (now - (this.lastSeenWrite.get(deviceId) ?? -Infinity) < SEEN_WRITE_INTERVAL_MS) return;
    this.lastSeenWrite.set(deviceId, now);
    if (this.lastSeenWrite.size > 100_000) this.lastSeenWrite.clear();
    await this.touch(deviceId, undefined, receivedAt);
  }

  /**
   * Any message from a device shows it is alive; a heartbeat also records its
   * own running count and, when it lists what the device holds, is reconciled
   * against what runs there. A device taken offline for silence comes back
   * online; so does one taken offline by an `offline` (its Last Will, or a
   * forged one on an open broker) that it contradicts with a message read
   * after it: a device that speaks is not offline.
   */
  async touch(deviceId: string, heartbeat?: Heartbeat, receivedAt = this.clock.now()): Promise<void> {
    const now = this.clock.now();
    const rows = await queryRows<{ previous_cause: OfflineCause | null; back: boolean }>(
      this.dataSource,
      `UPDATE devices d SET
         last_seen_at = $2,
         last_heartbeat_at = CASE WHEN $3::boolean THEN $2 ELSE d.last_heartbeat_at END,
         reported_running = COALESCE($4::int, d.reported_running),
         status = CASE WHEN old.back THEN 'online' ELSE d.status END,
         status_reason = CASE WHEN old.back THEN NULL ELSE d.status_reason END,
         status_changed_at = CASE WHEN old.back THEN $2 ELSE d.status_changed_at END,
         offline_cause = CASE WHEN old.back THEN NULL ELSE d.offline_cause END
       FROM (SELECT offline_cause,
                    status = 'offline' AND (offline_cause = 'silent' OR (offline_cause = 'announced' AND status_changed_at < $5::timestamptz)) AS back
             FROM devices WHERE id = $1 FOR UPDATE) old
       WHERE d.id = $1
       RETURNING old.offline_cause AS previous_cause, old.back`,
      [deviceId, now, heartbeat !== undefined, heartbeat?.running ?? null, receivedAt],
    );
    if (rows[0]?.back) {
      const what = heartbeat ? 'heartbeat' : 'message';
      const reason =
        rows[0].previous_cause === 'silent' ? `${what} after silence` : `${what} after an offline announcement: the device is alive`;
      await this.audit.record({ actor: `device:${deviceId}`, action: 'device.online', deviceId, details: { reason } });
      this.logger.log(`device ${deviceId} is back online (${reason})`, logIds({ deviceId }));
      this.bus.emit('device.updated', { deviceId, status: 'online' });
    }
    // A heartbeat may overtake the device's own "online" (QoS 0 beside QoS 1): back from offline, it says the same.
    if (heartbeat?.holding !== undefined && rows.length > 0)
      await this.holdings.reconcile(deviceId, heartbeat.holding, receivedAt, {
        cause: rows[0].back ? 'offline' : 'lost',
        reason: rows[0].back
          ? cameBackWithout(deviceId)
          : `device ${deviceId} does not hold it by its heartbeat (it restarted or dropped it)`,
        actor: `device:${deviceId}`,
      });
  }

  /**
   * A final report this service cannot read (a protocol version it does not speak, values outside the
   * schema): the device is at fault (an adapter out of date or broken), not the condition. Its
   * experiment goes to another device, audited with
   * the reason; nothing reaches the optimizer. A report on an experiment not running on this device
   * changes nothing.
   */
  async onProtocolError(deviceId: string, experimentId: string, reason: string): Promise<void> {
    if (!UUID.test(experimentId)) return; // no experiment of ours (and text the database would refuse)
    const [e] = await queryRows<{ id: string; campaign_id: string; attempt: number }>(
      this.dataSource,
      `SELECT id, campaign_id, attempt FROM experiments
       WHERE id::text = lower($1) AND device_id = $2 AND status IN ${sqlStatuses(ON_DEVICE)}`,
      [experimentId, deviceId],
    );
    if (!e) return;
    await this.redispatch.deviceFailure(
      { id: e.id, campaignId: e.campaign_id, deviceId, attempt: e.attempt },
      {
        cause: 'protocol',
        reason: reason.slice(0, 1024),
        actor: `device:${deviceId}`,
      },
    );
  }

  async list(): Promise<DeviceView[]> {
    const devices = await this.dataSource.getRepository(DeviceEntity).find({ order: { id: 'ASC' } });
    const counts = await queryRows<{ device_id: string; n: number }>(
      this.dataSource,
      `SELECT device_id, count(*)::int AS n FROM experiments WHERE status IN ${sqlStatuses(ON_DEVICE)} AND device_id IS NOT NULL GROUP BY device_id`,
    );
    const running = new Map(counts.map((c) => [c.device_id, c.n]));
    return devices.map((d) => view(d, running.get(d.id) ?? 0));
  }

  async get(id: string): Promise<DeviceDetail> {
    const device = await this.dataSource.getRepository(DeviceEntity).findOne({ where: { id } });
    if (!device) throw new DomainError('not_found', `device ${id} not found`);
    const experiments = await queryRows<{
      id: string;
      campaign_id: string;
      status: ExperimentStatus;
      attempt: number;
      dispatched_at: Date | null;
      accepted_at: Date | null;
    }>(
      this.dataSource,
      `SELECT id, campaign_id, status, attempt, dispatched_at, accepted_at FROM experiments
       WHERE device_id = $1 AND status IN ${sqlStatuses(ON_DEVICE)} ORDER BY dispatched_at`,
      [id],
    );
    return {
      ...view(device, experiments.length),
      experiments: experiments.map((e) => ({
        id: e.id,
        campaignId: e.campaign_id,
        status: e.status,
        attempt: e.attempt,
        dispatchedAt: e.dispatched_at,
        acceptedAt: e.accepted_at,
      })),
    };
  }
}

function cameBackWithout(deviceId: string): string {
  return `device ${deviceId} came back online without it (it restarted or dropped it while offline)`;
}

function view(d: DeviceEntity, running: number): DeviceView {
  return {
    id: d.id,
    kind: d.kind,
    status: d.status,
    statusReason: d.statusReason,
    statusChangedAt: d.statusChangedAt,
    capacity: d.capacity,
    running,
    reportedRunning: d.reportedRunning,
    capabilities: d.capabilities,
    heartbeatIntervalS: d.heartbeatIntervalS,
    firstSeenAt: d.firstSeenAt,
    lastSeenAt: d.lastSeenAt,
    lastHeartbeatAt: d.lastHeartbeatAt,
    stopped: d.stoppedAt ? { at: d.stoppedAt, by: d.stoppedBy ?? null, reason: d.stopReason ?? null } : null,
  };
}
