import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { type DeviceStatus, type ExperimentStatus, type JsonObject, queryRows } from '#persistence';
import { AuditService } from '../audit/audit.service.js';
import { APP_CONFIG, type AppConfig } from '../common/config.js';
import { EventBus } from '../common/events.js';
import { CLOCK, type Clock } from '../common/ports.js';
import {
  EXPERIMENT_STATUS,
  ON_DEVICE,
  sqlStatus,
  sqlStatuses,
  UNFINISHED,
  WAITING_FOR_PERSON,
} from '../experiments/experiment-lifecycle.js';

/** What a stalled campaign waits for, at most this many experiments named. */
const NAMED = 20;

/** An unfinished experiment of a stalled campaign, as the stall's reason names it. */
interface Waiting {
  id: string;
  index: number;
  status: ExperimentStatus;
  device_id: string | null;
  since: Date | null;
  waiting_reason: string | null;
  device_status: DeviceStatus | null;
  reported_running: number | null;
}

/**
 * No silent stall: a running campaign this replica holds that has made no
 * progress for CAMPAIGN_STALL_AFTER_MS is marked stalled, with an audited
 * `campaign.stalled` naming what it waits for (experiments on devices with no
 * result, experiments no device takes, a proposal that never came). Progress
 * is anything that moves it: an experiment proposed, sent, accepted, finished
 * or reporting progress, an operator's decision, a resume. A batch waiting for
 * an operator is not a stall (the console asks for it), nor are experiments
 * that all wait for a person to run them (a "deviceKind": "manual" campaign:
 * the console asks for each one's result; a person may take days). The mark goes, with a
 * `campaign.stall_cleared` entry, at the first progress after it. Time is
 * counted from this instance's start at the earliest, as device silence is.
 */
@Injectable()
export class StallMonitorService {
  private readonly logger = new Logger('stalls');
  private readonly startedAt: Date;
  private lastCheck = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly bus: EventBus,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.startedAt = clock.now();
  }

  /** Looks at these campaigns (those this replica holds), at most four times per stall period. */
  async check(campaignIds: readonly string[]): Promise<void> {
    const now = this.clock.now();
    const every = Math.min(60_000, Math.max(200, this.config.campaignStallAfterMs / 4));
    if (now.getTime() - this.lastCheck < every || campaignIds.length === 0) return;
    this.lastCheck = now.getTime();
    const rows = await queryRows<{ id: string; name: string; stalled_at: Date | null; last_progress_at: Date; awaiting_people: boolean }>(
      this.dataSource,
      `SELECT c.id, c.name, c.stalled_at,
         GREATEST(c.created_at, c.updated_at, $2::timestamptz,
           (SELECT GREATEST(max(e.created_at), max(e.dispatched_at), max(e.accepted_at), max(e.finished_at), max(e.last_progress_at))
            FROM experiments e WHERE e.campaign_id = c.id),
           (SELECT GREATEST(max(b.proposed_at), max(b.decided_at)) FROM batches b WHERE b.campaign_id = c.id)) AS last_progress_at,
         EXISTS (SELECT 1 FROM batches b WHERE b.campaign_id = c.id AND b.status = 'proposed')
         OR (EXISTS (SELECT 1 FROM experiments e WHERE e.campaign_id = c.id AND e.status IN ${sqlStatuses(UNFINISHED)})
             AND NOT EXISTS (SELECT 1 FROM experiments e WHERE e.campaign_id = c.id AND e.status IN ${sqlStatuses(UNFINISHED)}
                             AND (e.status <> ${sqlStatus(EXPERIMENT_STATUS.queued)} OR e.waiting_reason IS DISTINCT FROM $3))) AS awaiting_people
       FROM campaigns c WHERE c.id = ANY($1::uuid[]) AND c.status = 'running'`,
      [campaignIds, this.startedAt, WAITING_FOR_PERSON],
    );
    for (const c of rows) {
      const idleMs = now.getTime() - c.last_progress_at.getTime();
      const stalled = !c.awaiting_people && idleMs >= this.config.campaignStallAfterMs;
      if (stalled && c.stalled_at === null) await this.markStalled(c, now, idleMs);
      else if (!stalled && c.stalled_at !== null) await this.clear(c, now);
    }
  }

  private async markStalled(c: { id: string; name: string; last_progress_at: Date }, now: Date, idleMs: number): Promise<void> {
    const waiting = await queryRows<Waiting & { total: number }>(
      this.dataSource,
      `SELECT e.id, e.index, e.status, e.device_id, COALESCE(e.last_progress_at, e.accepted_at, e.dispatched_at) AS since, e.waiting_reason,
              d.status AS device_status, d.reported_running, count(*) OVER ()::int AS total
       FROM experiments e LEFT JOIN devices d ON d.id = e.device_id
       WHERE e.campaign_id = $1 AND e.status IN ${sqlStatuses(UNFINISHED)} ORDER BY e.index LIMIT $2`,
      [c.id, NAMED],
    );
    const reason = stallReason(waiting, waiting[0]?.total ?? 0, Math.round(idleMs / 1000));
    const stall: JsonObject = {
      since: c.last_progress_at.toISOString(),
      reason,
      waitingFor: waiting.map((w) => ({
        experimentId: w.id,
        index: w.index,
        status: w.status,
        deviceId: w.device_id,
        since: w.since?.toISOString() ?? null,
        waitingReason: w.waiting_reason,
      })),
    };
    const marked = await this.dataSource.transaction(async (m) => {
      const r = await queryRows<{ id: string }>(
        m,
        `UPDATE campaigns SET stalled_at = $2, stall = $3::jsonb WHERE id = $1 AND status = 'running' AND stalled_at IS NULL RETURNING id`,
        [c.id, now, JSON.stringify(stall)],
      );
      if (r.length === 0) return false;
      await this.audit.record({ actor: 'service', action: 'campaign.stalled', campaignId: c.id, details: stall }, m);
      return true;
    });
    if (!marked) return;
    this.logger.warn(`campaign ${c.name} (${c.id}) stalled: ${reason}`);
    this.bus.emit('campaign.updated', { campaignId: c.id, status: 'running' });
  }

  private async clear(c: { id: string; name: string; stalled_at: Date | null; last_progress_at: Date }, now: Date): Promise<void> {
    const cleared = await this.dataSource.transaction(async (m) => {
      const r = await queryRows<{ id: string }>(
        m,
        `UPDATE campaigns SET stalled_at = NULL, stall = NULL WHERE id = $1 AND stalled_at IS NOT NULL RETURNING id`,
        [c.id],
      );
      if (r.length === 0) return false;
      await this.audit.record(
        {
          actor: 'service',
          action: 'campaign.stall_cleared',
          campaignId: c.id,
          details: { stalledAt: c.stalled_at?.toISOString() ?? null, progressAt: c.last_progress_at.toISOString(), at: now.toISOString() },
        },
        m,
      );
      return true;
    });
    if (!cleared) return;
    this.logger.log(`campaign ${c.name} (${c.id}) moves again`);
    this.bus.emit('campaign.updated', { campaignId: c.id, status: 'running' });
  }
}

/** What a stalled campaign waits for, in words: each experiment named (up to NAMED), or the proposal that never came. */
export function stallReason(waiting: readonly Waiting[], total: number, idleS: number): string {
  const head = `no progress for ${idleS} s`;
  if (total === 0) return `${head}: no experiment is in progress and no batch was proposed (see the service log for the strategy's errors)`;
  const named = waiting.map((w) => {
    const since = w.since ? ` since ${w.since.toISOString()}` : '';
    if (ON_DEVICE.includes(w.status)) {
      const device = w.device_status === null ? '' : `; the device is ${w.device_status}`;
      const count = w.reported_running === null ? '' : ` and reports ${w.reported_running} running`;
      const what = w.status === EXPERIMENT_STATUS.dispatched ? 'sent to' : 'running on';
      return `experiment ${w.index} ${what} ${w.device_id}${since}, no result${device}${count}`;
    }
    if (w.status === EXPERIMENT_STATUS.queued) return `experiment ${w.index} queued: ${w.waiting_reason ?? 'waiting for a free device'}`;
    return `experiment ${w.index} ${w.status}`;
  });
  const more = total > waiting.length ? `; and ${total - waiting.length} more` : '';
  return `${head}; waits for ${named.join('; ')}${more}`;
}
