import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { type CampaignEntity, type CampaignStatus, type Json, type JsonObject, queryRows } from '#persistence';
import { AuditService } from '../audit/audit.service.js';
import { DomainError } from '../common/errors.js';
import { EventBus } from '../common/events.js';
import { parseInput } from '../common/parse-input.js';
import { CLOCK, type Clock } from '../common/ports.js';
import { UUID } from '../common/uuid.js';
import { EXPERIMENT_TRANSITIONS } from '../experiments/experiment-lifecycle.js';
import { ExperimentsRepository } from '../experiments/experiments.repository.js';

/**
 * What an operator does about a stalled campaign: `redispatch` sends the experiments stuck on devices
 * to other devices (a result their old device sends later is refused); `fail` gives up on them, and on
 * queued ones no device takes (failed with scope "device": spent from the budget, never learned from).
 * Without experimentIds: every experiment of the campaign the action applies to.
 */
export const stallResolutionSchema = z
  .object({
    action: z.enum(['redispatch', 'fail']),
    experimentIds: z.array(z.string().uuid()).min(1).max(10_000).optional(),
    note: z.string().max(2000).optional(),
  })
  .strict();

export interface StallResolution {
  action: 'redispatch' | 'fail';
  /** The experiments changed, with the device each was on. */
  experiments: { id: string; deviceId: string | null; attempt: number }[];
}

/** Why a running campaign is stalled, as its summary shows it (written by loop/stall-monitor.service.ts). */
export interface CampaignStall {
  /** When the service found it stalled. */
  detectedAt: Date;
  /** Its last progress. */
  since: string;
  /** What it waits for, in words. */
  reason: string;
  /** The experiments it waits for: id, index, status, device, since when, why queued. */
  waitingFor: Json[];
}

export function stallOf(c: CampaignEntity): CampaignStall | null {
  if (c.status !== 'running' || !c.stalledAt || !c.stall) return null;
  const { since, reason, waitingFor } = c.stall;
  return {
    detectedAt: c.stalledAt,
    since: typeof since === 'string' ? since : '',
    reason: typeof reason === 'string' ? reason : '',
    waitingFor: Array.isArray(waitingFor) ? waitingFor : [],
  };
}

/** The operator's way out of a stalled campaign, audited: re-dispatch or fail what it waits for. */
@Injectable()
export class StallsService {
  private readonly logger = new Logger('stalls');

  constructor(
    private readonly dataSource: DataSource,
    private readonly experiments: ExperimentsRepository,
    private readonly audit: AuditService,
    private readonly bus: EventBus,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async resolve(campaignId: string, input: unknown, actor: string): Promise<StallResolution> {
    const r = parseInput(stallResolutionSchema, input, 'stall resolution');
    const now = this.clock.now();
    const transition = r.action === 'redispatch' ? 'requeue' : 'abandon';
    const reason = `${r.action === 'redispatch' ? 're-dispatched' : 'given up'} by ${actor}${r.note ? `: ${r.note}` : ''}`.slice(0, 2000);
    const { rows: changed, status } = await this.dataSource.transaction(async (m) => {
      const [campaign] = UUID.test(campaignId)
        ? await queryRows<{ status: CampaignStatus; stall: JsonObject | null }>(
            m,
            `SELECT status, stall FROM campaigns WHERE id = $1 FOR UPDATE`,
            [campaignId],
          )
        : [];
      if (!campaign) throw new DomainError('not_found', `campaign ${campaignId} not found`);
      if (campaign.status !== 'running' && campaign.status !== 'paused')
        throw new DomainError('invalid_state', `campaign ${campaignId} is ${campaign.status}: nothing of it waits any more`);
      const rows = await this.experiments.operatorRelease(m, campaignId, r.experimentIds ?? null, transition, reason, now);
      for (const e of rows) {
        await this.audit.record(
          {
            actor,
            action: r.action === 'redispatch' ? 'experiment.redispatch' : 'experiment.failed',
            campaignId,
            experimentId: e.id,
            deviceId: e.device_id,
            details: { scope: 'device', cause: 'operator', reason, attempt: e.attempt, next: EXPERIMENT_TRANSITIONS[transition].to },
          },
          m,
        );
      }
      // The operator's action is progress: the campaign is not stalled until it stops moving again.
      await m.query(`UPDATE campaigns SET stalled_at = NULL, stall = NULL, updated_at = $2 WHERE id = $1`, [campaignId, now]);
      await this.audit.record(
        {
          actor,
          action: 'campaign.stall_resolved',
          campaignId,
          details: { action: r.action, experiments: rows.map((e) => e.id), note: r.note ?? null, stall: campaign.stall },
        },
        m,
      );
      return { rows, status: campaign.status };
    });
    this.logger.log(`campaign ${campaignId}: ${actor} chose ${r.action} for ${changed.length} experiment(s)`);
    for (const e of changed)
      this.bus.emit('experiment.updated', { campaignId, experimentId: e.id, status: EXPERIMENT_TRANSITIONS[transition].to });
    this.bus.emit('campaign.updated', { campaignId, status });
    return { action: r.action, experiments: changed.map((e) => ({ id: e.id, deviceId: e.device_id, attempt: e.attempt })) };
  }
}
