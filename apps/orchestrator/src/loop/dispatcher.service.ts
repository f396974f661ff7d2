import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { queryRows } from '#persistence';
import { PROTOCOL_VERSION, type Capabilities } from '#protocol';
import { AuditService } from '../audit/audit.service.js';
import { APP_CONFIG, type AppConfig } from '../common/config.js';
import { EventBus } from '../common/events.js';
import { CLOCK, COMMAND_PUBLISHER, type Clock, type CommandPublisher } from '../common/ports.js';
import { explainWaiting, incompatibility, limitProblem, type Requirements } from '../devices/compatibility.js';
import {
  EXPERIMENT_STATUS,
  EXPERIMENT_TRANSITIONS,
  MANUAL_DEVICE_KIND,
  ON_DEVICE,
  sqlStatus,
  sqlStatuses,
  WAITING_FOR_PERSON,
} from '../experiments/experiment-lifecycle.js';
import { DeviceCommandsService } from '../commands/device-commands.service.js';
import { ExperimentsRepository } from '../experiments/experiments.repository.js';
import { RedispatchService } from '../experiments/redispatch.service.js';
import { logIds } from '../common/logger.js';

interface QueuedRow {
  id: string;
  campaign_id: string;
  params: Record<string, number | string>;
  device_kind: string | null;
  objective: string;
  /** The other objectives and limited outcomes of a campaign of several (empty for one objective). */
  outcomes: string[];
  failed_on: string[];
  waiting_reason: string | null;
}

interface OnlineDevice {
  id: string;
  kind: string | null;
  capabilities: Capabilities | null;
  free: number;
}

interface SentRow {
  id: string;
  campaign_id: string;
  device_id: string;
  params: Record<string, number | string>;
  attempt: number;
}

/** Queued experiments looked at per pass (oldest first). */
const QUEUE_WINDOW = 500;

/**
 * Sends queued experiments to free, compatible devices: of the campaign's
 * deviceKind, declaring limits that cover the parameters (the safety envelope:
 * a command outside a device's limits is never sent to it), and preferably not
 * one the experiment already failed on. The assignment is committed before the
 * command is published, and only if the device is still online with the same
 * declared capabilities; a command not yet accepted is re-sent (same
 * experiment id: the device de-duplicates) until it is. An experiment that no
 * online device can run says why (waiting_reason), once.
 */
@Injectable()
export class DispatcherService {
  private readonly logger = new Logger('dispatcher');

  constructor(
    private readonly dataSource: DataSource,
    private readonly experiments: ExperimentsRepository,
    private readonly audit: AuditService,
    private readonly redispatch: RedispatchService,
    private readonly bus: EventBus,
    @Inject(COMMAND_PUBLISHER) private readonly publisher: CommandPublisher,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly commands: DeviceCommandsService,
  ) {}

  /** Run commands published and not yet acknowledged by the broker (dispatchQueued does not wait for them). */
  private readonly sending = new Set<Promise<void>>();

  /** Waits for the run commands being published (at shutdown, and in tests after a step). */
  async sendsSettled(): Promise<void> {
    while (this.sending.size > 0) await Promise.all(this.sending);
  }

  async dispatchQueued(): Promise<number> {
    // The queue and the devices' free slots read side by side: one round trip's wait instead of two.
    const [queued, devices] = await Promise.all([
      queryRows<QueuedRow>(
        this.dataSource,
        `SELECT e.id, e.campaign_id, e.params, e.failed_on, e.waiting_reason,
              c.definition->>'deviceKind' AS device_kind, c.definition->'objective'->>'name' AS objective,
              ARRAY(SELECT DISTINCT x->>'name' FROM jsonb_array_elements(COALESCE(c.definition->'objectives', '[]'::jsonb)
                    || COALESCE(c.definition->'outcomeConstraints', '[]'::jsonb)) x) AS outcomes
       FROM experiments e JOIN campaigns c ON c.id = e.campaign_id
       WHERE e.status = ${sqlStatus(EXPERIMENT_STATUS.queued)} AND c.status = 'running'
         AND (c.definition->>'deviceKind' IS DISTINCT FROM $2 OR e.waiting_reason IS DISTINCT FROM $3)
       ORDER BY e.created_at, e.index
       LIMIT $1`,
        [QUEUE_WINDOW, MANUAL_DEVICE_KIND, WAITING_FOR_PERSON],
      ),
      queryRows<OnlineDevice>(
        this.dataSource,
        `SELECT d.id, d.kind, d.capabilities, d.capacity - COALESCE(a.n, 0) AS free
         FROM devices d
         LEFT JOIN (SELECT device_id, count(*)::int AS n FROM experiments WHERE status IN ${sqlStatuses(ON_DEVICE)} GROUP BY device_id) a ON a.device_id = d.id
         WHERE d.status = 'online' AND d.stopped_at IS NULL
         ORDER BY d.id`,
      ),
    ]);
    if (queued.length === 0) return 0;
    const planned: { e: QueuedRow; device: OnlineDevice }[] = [];
    for (const e of queued) {
      // A person runs it: it is never sent to a device, and waits for an operator's report.
      if (e.device_kind === MANUAL_DEVICE_KIND) {
        await this.setWaiting(e, WAITING_FOR_PERSON);
        continue;
      }
      const req: Requirements = { deviceKind: e.device_kind, objective: e.objective, outcomes: e.outcomes, params: e.params };
      const compatible = devices.filter((d) => incompatibility(d, req) === undefined);
      if (compatible.length === 0) {
        await this.markWaiting(e, req, devices);
        continue;
      }
      // A device the experiment failed on (crashed, hung, timed out) gets it again only when no other can run it.
      const fresh = compatible.filter((d) => !e.failed_on.includes(d.id));
      const eligible = fresh.length > 0 ? fresh : compatible;
      // The most free device first, which spreads a batch over the fleet.
      const device = eligible.filter((d) => d.free > 0).sort((a, b) => b.free - a.free || a.id.localeCompare(b.id))[0];
      if (!device) {
        if (e.waiting_reason !== null) await this.setWaiting(e, null); // it can run: it only waits for a free device
        continue;
      }
      device.free -= 1;
      planned.push({ e, device });
    }
    if (planned.length === 0) return 0;
    // One statement assigns the whole plan; each row still only if it is queued, its campaign
    // running and its device online with the capabilities the plan was made against.
    const now = this.clock.now();
    const assigned = await this.experiments.dispatch(
      planned.map((p) => ({
        id: p.e.id,
        deviceId: p.device.id,
        kind: p.device.kind,
        capabilities: p.device.capabilities === null ? null : JSON.stringify(p.device.capabilities),
      })),
      now,
    );
    const byId = new Map(planned.map((p) => [p.e.id, p.e]));
    for (const a of assigned) {
      const e = byId.get(a.id)!;
      this.bus.emit('experiment.updated', { campaignId: e.campaign_id, experimentId: e.id, status: EXPERIMENT_TRANSITIONS.dispatch.to });
      // Not awaited: each publish waits for its broker acknowledgement, and the next pass need not. The
      // assignment is stored; a command the broker never took is re-sent (resendUnaccepted).
      const sent = this.send({ id: e.id, campaign_id: e.campaign_id, device_id: a.device_id, params: e.params, attempt: a.attempt }, now);
      this.sending.add(sent);
      void sent.finally(() => this.sending.delete(sent));
    }
    return assigned.length;
  }

  /** Re-sends commands that no device has accepted yet (lost on the way, or sent before a restart). */
  async resendUnaccepted(): Promise<number> {
    const sends: Promise<void>[] = [];
    const before = new Date(this.clock.now().getTime() - this.config.commandResendMs);
    const rows = await queryRows<SentRow & { capabilities: Capabilities | null }>(
      this.dataSource,
      `SELECT e.id, e.campaign_id, e.device_id, e.params, e.attempt, d.capabilities
       FROM experiments e JOIN devices d ON d.id = e.device_id
       WHERE e.status = ${sqlStatus(EXPERIMENT_STATUS.dispatched)} AND d.status = 'online' AND d.stopped_at IS NULL AND (e.last_sent_at IS NULL OR e.last_sent_at < $1)
       ORDER BY e.last_sent_at NULLS FIRST LIMIT 500`,
      [before],
    );
    for (const r of rows) {
      // The device may have announced narrower limits since the dispatch: never re-send outside them.
      const problem = limitProblem(r.params, r.capabilities);
      if (problem !== undefined) {
        await this.redispatch.deviceFailure(
          { id: r.id, campaignId: r.campaign_id, deviceId: r.device_id, attempt: r.attempt },
          { cause: 'limits', reason: `device ${r.device_id} now ${problem}`, actor: 'service' },
        );
        continue;
      }
      const now = this.clock.now();
      if (!(await this.experiments.markResent(r.id, r.device_id, now))) continue;
      this.logger.debug?.(
        `re-sending experiment ${r.id} to ${r.device_id}`,
        logIds({ campaignId: r.campaign_id, experimentId: r.id, deviceId: r.device_id }),
      );
      sends.push(this.send(r, now));
    }
    await Promise.all(sends);
    return rows.length;
  }

  /** Publishes the abort, stop and resume commands not yet acknowledged (DeviceCommandsService). */
  sendControlCommands(): Promise<number> {
    return this.commands.sendDue();
  }

  /** Records why no online device can run the experiment; the audit entry is written once per new reason, not once per pass. */
  private async markWaiting(e: QueuedRow, req: Requirements, online: OnlineDevice[]): Promise<void> {
    const waiting = explainWaiting(req, online);
    if (waiting.reason === e.waiting_reason) return;
    const changed = await this.setWaiting(e, waiting.reason);
    if (changed && waiting.limits) {
      await this.audit.record({
        actor: 'service',
        action: 'experiment.waiting',
        campaignId: e.campaign_id,
        experimentId: e.id,
        details: { reason: waiting.reason, params: e.params, devices: waiting.devices },
      });
      this.logger.warn(`experiment ${e.id} waits: ${waiting.reason}`, logIds({ campaignId: e.campaign_id, experimentId: e.id }));
    }
  }

  private async setWaiting(e: QueuedRow, reason: string | null): Promise<boolean> {
    const changed = await this.experiments.setWaitingReason(e.id, reason);
    e.waiting_reason = reason;
    if (changed) this.bus.emit('experiment.updated', { campaignId: e.campaign_id, experimentId: e.id, status: EXPERIMENT_STATUS.queued });
    return changed;
  }

  private async send(r: SentRow, now: Date): Promise<void> {
    try {
      await this.publisher.send(r.device_id, {
        v: PROTOCOL_VERSION,
        type: 'run',
        experimentId: r.id,
        campaignId: r.campaign_id,
        attempt: r.attempt,
        params: r.params,
        issuedAt: now.toISOString(),
      });
    } catch (e) {
      // The assignment is stored: the command goes out again with the next re-send.
      this.logger.warn(
        `could not send experiment ${r.id} to ${r.device_id}: ${(e as Error).message}`,
        logIds({ campaignId: r.campaign_id, experimentId: r.id, deviceId: r.device_id }),
      );
    }
  }
}
