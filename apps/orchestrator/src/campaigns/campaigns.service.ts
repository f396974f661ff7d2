import { randomInt, randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource, In, type EntityManager } from 'typeorm';
import {
  BatchEntity,
  CampaignEntity,
  ExperimentEntity,
  type CampaignStatus,
  type JsonObject,
  queryRows,
} from '../../../../libs/persistence/src/index.js';
import { AuditService } from '../audit/audit.service.js';
import { DomainError } from '../common/errors.js';
import { EventBus } from '../common/events.js';
import { CLOCK, type Clock } from '../common/ports.js';
import { parseCampaignDefinition, spaceOf, type CampaignDefinition } from './campaign-definition.js';
import { approvalChangeSchema, batchEditSchema, parseInput, planBatchEdit, type ProposalRow } from './batch-edit.js';

export interface CampaignSummary {
  id: string;
  name: string;
  status: CampaignStatus;
  stopReason: string | null;
  budget: number;
  counts: Record<string, number>;
  best: { experimentId: string; index: number; params: Record<string, number | string>; value: number } | null;
  createdAt: Date;
  completedAt: Date | null;
}

export interface CampaignDetail extends CampaignSummary {
  definition: CampaignDefinition;
  seed: number;
  batches: BatchEntity[];
  experiments: ExperimentEntity[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Campaign use cases, shared by the REST API and (later) the console. */
@Injectable()
export class CampaignsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly bus: EventBus,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async create(input: unknown, actor: string): Promise<CampaignDetail> {
    const definition = parseCampaignDefinition(input);
    const now = this.clock.now();
    const campaign: CampaignEntity = {
      id: randomUUID(),
      name: definition.name,
      status: 'running',
      definition: definition as unknown as JsonObject,
      seed: definition.seed ?? randomInt(0, 2 ** 31 - 1),
      stopReason: null,
      createdAt: now,
      updatedAt: now,
      completedAt: null,
    };
    await this.dataSource.transaction(async (m) => {
      await m.save(CampaignEntity, campaign);
      await this.audit.record(
        { actor, action: 'campaign.created', campaignId: campaign.id, details: { name: campaign.name, seed: campaign.seed } },
        m,
      );
    });
    this.bus.emit('campaign.updated', { campaignId: campaign.id, status: campaign.status });
    return this.get(campaign.id);
  }

  async list(): Promise<CampaignSummary[]> {
    const campaigns = await this.dataSource.getRepository(CampaignEntity).find({ order: { createdAt: 'DESC' } });
    return Promise.all(campaigns.map((c) => this.summarise(c)));
  }

  /**
   * A campaign with its batches and experiments, all read from one snapshot
   * (a REPEATABLE READ transaction): read separately, a batch proposed between
   * the reads showed up without its experiments, and counts disagreed with rows.
   */
  async get(id: string): Promise<CampaignDetail> {
    return this.dataSource.transaction('REPEATABLE READ', async (m) => {
      const campaign = await this.find(id, m);
      const summary = await this.summarise(campaign, m);
      const batches = await m.getRepository(BatchEntity).find({ where: { campaignId: id }, order: { index: 'ASC' } });
      const experiments = await m.getRepository(ExperimentEntity).find({ where: { campaignId: id }, order: { index: 'ASC' } });
      return { ...summary, definition: campaign.definition as unknown as CampaignDefinition, seed: campaign.seed, batches, experiments };
    });
  }

  pause(id: string, actor: string): Promise<CampaignDetail> {
    return this.transition(id, actor, 'campaign.paused', ['running'], 'paused');
  }

  resume(id: string, actor: string): Promise<CampaignDetail> {
    return this.transition(id, actor, 'campaign.resumed', ['paused'], 'running');
  }

  /** Cancels: proposals not yet sent are cancelled; experiments already on a device finish and are stored. */
  cancel(id: string, actor: string): Promise<CampaignDetail> {
    return this.transition(id, actor, 'campaign.cancelled', ['running', 'paused'], 'cancelled', async (m) => {
      await m.update(
        ExperimentEntity,
        { campaignId: id, status: In(['proposed', 'queued']) },
        { status: 'cancelled', finishedAt: this.clock.now() },
      );
      await m.update(
        BatchEntity,
        { campaignId: id, status: 'proposed' },
        { status: 'rejected', decidedAt: this.clock.now(), decidedBy: actor, decisionNote: 'campaign cancelled' },
      );
    });
  }

  /** Approves a proposed batch: its experiments are queued for devices. */
  async approveBatch(campaignId: string, batchId: string, actor: string, note?: string): Promise<CampaignDetail> {
    await this.decide(campaignId, batchId, actor, 'approved', note);
    return this.get(campaignId);
  }

  /** Rejects a proposed batch: nothing of it runs; the campaign proposes another. */
  async rejectBatch(campaignId: string, batchId: string, actor: string, note?: string): Promise<CampaignDetail> {
    await this.decide(campaignId, batchId, actor, 'rejected', note);
    return this.get(campaignId);
  }

  /**
   * Edit-and-approve: changes the values of some proposals (checked against
   * the campaign's space), leaves others out, and approves the batch, in one
   * transaction. Each change goes to the audit log with old and new values and the reason.
   */
  async editAndApproveBatch(campaignId: string, batchId: string, input: unknown, actor: string): Promise<CampaignDetail> {
    const edit = parseInput(batchEditSchema, input, 'batch edit');
    if (!UUID.test(batchId)) throw new DomainError('not_found', `batch ${batchId} not found`);
    const campaign = await this.find(campaignId);
    const definition = campaign.definition as unknown as CampaignDefinition;
    const proposals = await queryRows<ProposalRow>(
      this.dataSource,
      `SELECT id, index, params FROM experiments WHERE batch_id = $1 AND campaign_id = $2 AND status = 'proposed' ORDER BY index`,
      [batchId, campaignId],
    );
    const plan = planBatchEdit(spaceOf(definition), proposals, edit);
    await this.decide(campaignId, batchId, actor, 'approved', edit.reason, async (m) => {
      for (const e of plan.edits) {
        await m.update(ExperimentEntity, { id: e.experimentId, status: 'proposed' }, { params: e.params });
        await this.audit.record(
          {
            actor,
            action: 'experiment.edited',
            campaignId,
            experimentId: e.experimentId,
            details: { batchId, index: e.index, before: e.before, after: e.after, reason: edit.reason },
          },
          m,
        );
      }
      for (const x of plan.exclude) {
        await m.update(ExperimentEntity, { id: x.id, status: 'proposed' }, { status: 'rejected', finishedAt: this.clock.now() });
        await this.audit.record(
          {
            actor,
            action: 'experiment.excluded',
            campaignId,
            experimentId: x.id,
            details: { batchId, index: x.index, params: x.params, reason: edit.reason },
          },
          m,
        );
      }
    });
    return this.get(campaignId);
  }

  /** Changes a running or paused campaign's approval policy; it applies to the batches proposed from now on. */
  async setApprovalPolicy(id: string, input: unknown, actor: string): Promise<CampaignDetail> {
    const change = parseInput(approvalChangeSchema, input, 'approval policy change');
    const campaign = await this.find(id);
    const from = (campaign.definition as unknown as CampaignDefinition).approval ?? 'auto';
    if (from === change.policy) return this.get(id);
    await this.dataSource.transaction(async (m) => {
      const r = await queryRows<{ id: string }>(
        m,
        `UPDATE campaigns SET definition = jsonb_set(definition, '{approval}', to_jsonb($2::text)), updated_at = $3
         WHERE id = $1 AND status IN ('running', 'paused') RETURNING id`,
        [id, change.policy, this.clock.now()],
      );
      if (r.length === 0)
        throw new DomainError('invalid_state', `campaign ${id} is ${campaign.status}: its approval policy can no longer change`);
      await this.audit.record(
        { actor, action: 'campaign.approval_changed', campaignId: id, details: { from, to: change.policy, note: change.note ?? null } },
        m,
      );
    });
    this.bus.emit('campaign.updated', { campaignId: id, status: campaign.status });
    return this.get(id);
  }

  auditLog(id: string) {
    return this.find(id).then(() => this.audit.list(id));
  }

  private async decide(
    campaignId: string,
    batchId: string,
    actor: string,
    decision: 'approved' | 'rejected',
    note?: string,
    /** Runs in the decision's transaction, after the batch is claimed and before its experiments move on. */
    during?: (m: EntityManager) => Promise<void>,
  ): Promise<void> {
    if (!UUID.test(batchId)) throw new DomainError('not_found', `batch ${batchId} not found`);
    const campaign = await this.find(campaignId);
    if (campaign.status === 'completed' || campaign.status === 'cancelled') {
      throw new DomainError('invalid_state', `campaign ${campaignId} is ${campaign.status}: its batches can no longer be decided`);
    }
    const now = this.clock.now();
    await this.dataSource.transaction(async (m) => {
      const r = await m.update(
        BatchEntity,
        { id: batchId, campaignId, status: 'proposed' },
        { status: decision, decidedAt: now, decidedBy: actor, decisionNote: note ?? null },
      );
      if (!r.affected) {
        const batch = await m.findOne(BatchEntity, { where: { id: batchId, campaignId } });
        if (!batch) throw new DomainError('not_found', `batch ${batchId} not found in campaign ${campaignId}`);
        throw new DomainError('invalid_state', `batch ${batchId} is ${batch.status}, not proposed`);
      }
      await during?.(m);
      await m.update(
        ExperimentEntity,
        { batchId, status: 'proposed' },
        decision === 'approved' ? { status: 'queued' } : { status: 'rejected', finishedAt: now },
      );
      await this.audit.record({ actor, action: `batch.${decision}`, campaignId, details: { batchId, note: note ?? null } }, m);
    });
    this.bus.emit('batch.decided', { campaignId, batchId, decision });
  }

  private async transition(
    id: string,
    actor: string,
    action: string,
    from: CampaignStatus[],
    to: CampaignStatus,
    also?: (m: import('typeorm').EntityManager) => Promise<void>,
  ): Promise<CampaignDetail> {
    const campaign = await this.find(id);
    const now = this.clock.now();
    await this.dataSource.transaction(async (m) => {
      const r = await m.update(
        CampaignEntity,
        { id, status: In(from) },
        {
          status: to,
          updatedAt: now,
          ...(to === 'cancelled' ? { completedAt: now, stopReason: `cancelled by ${actor}` } : {}),
        },
      );
      if (!r.affected)
        throw new DomainError('invalid_state', `campaign ${id} is ${campaign.status}; cannot go to ${to} (only from ${from.join(' or ')})`);
      await also?.(m);
      await this.audit.record({ actor, action, campaignId: id, details: { from: campaign.status, to } }, m);
    });
    this.bus.emit('campaign.updated', { campaignId: id, status: to });
    return this.get(id);
  }

  private async find(id: string, db: DataSource | EntityManager = this.dataSource): Promise<CampaignEntity> {
    const campaign = UUID.test(id) ? await db.getRepository(CampaignEntity).findOne({ where: { id } }) : null;
    if (!campaign) throw new DomainError('not_found', `campaign ${id} not found`);
    return campaign;
  }

  private async summarise(c: CampaignEntity, db: DataSource | EntityManager = this.dataSource): Promise<CampaignSummary> {
    const definition = c.definition as unknown as CampaignDefinition;
    const counts: Record<string, number> = {};
    const rows = await queryRows<{ status: string; n: string }>(
      db,
      `SELECT status, count(*) AS n FROM experiments WHERE campaign_id = $1 GROUP BY status`,
      [c.id],
    );
    for (const r of rows) counts[r.status] = Number(r.n);
    const order = definition.objective.direction === 'minimize' ? 'ASC' : 'DESC';
    const best = await queryRows<{ id: string; index: number; params: Record<string, number | string>; objective: number }>(
      db,
      `SELECT id, index, params, objective FROM experiments WHERE campaign_id = $1 AND status = 'completed' ORDER BY objective ${order}, index ASC LIMIT 1`,
      [c.id],
    );
    return {
      id: c.id,
      name: c.name,
      status: c.status,
      stopReason: c.stopReason,
      budget: definition.budget,
      counts,
      best: best[0] ? { experimentId: best[0].id, index: best[0].index, params: best[0].params, value: best[0].objective } : null,
      createdAt: c.createdAt,
      completedAt: c.completedAt,
    };
  }
}
