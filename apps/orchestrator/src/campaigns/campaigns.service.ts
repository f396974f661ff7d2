import { randomInt, randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource, In, type EntityManager } from 'typeorm';
import { BatchEntity, CampaignEntity, ExperimentEntity, type CampaignStatus, type ExperimentStatus, queryRows } from '#persistence';
import { AuditService } from '../audit/audit.service.js';
import { DomainError } from '../common/errors.js';
import { EventBus } from '../common/events.js';
import { CLOCK, type Clock } from '../common/ports.js';
import { parseCampaignDefinition, spaceOf, type CampaignDefinition } from './campaign-definition.js';
import { parseInput } from '../common/parse-input.js';
import { definitionOf, storedDefinition } from './stored-definition.js';
import { paretoOf, type CampaignPareto, type ImportedOutcome } from './pareto.js';
import { outcomesOf } from './outcomes-definition.js';
import { stallOf, type CampaignStall } from './stalls.service.js';
import { approvalChangeSchema, batchEditSchema, planBatchEdit, type ProposalRow } from './batch-edit.js';
import { planEarlierResults } from './imports.js';
import { storeImport } from './imports.service.js';
import { CandidatesService } from './candidates.service.js';
import { UUID } from '../common/uuid.js';
import { EXPERIMENT_STATUS, sqlStatus, type StatusCounts } from '../experiments/experiment-lifecycle.js';
import { ExperimentsRepository } from '../experiments/experiments.repository.js';
import { ExperimentControlsService, type Aborted } from '../experiments/controls.service.js';

export interface CampaignSummary {
  id: string;
  name: string;
  status: CampaignStatus;
  stopReason: string | null;
  budget: number;
  /** Experiments by status. */
  counts: StatusCounts;
  best: { experimentId: string; index: number; params: Record<string, number | string>; value: number } | null;
  /** Earlier results imported into the campaign (POST /api/campaigns/:id/imports): learned from, never run or counted toward the budget. */
  imported: {
    results: number;
    failed: number;
    best: { index: number; params: Record<string, number | string>; value: number; source: string } | null;
  };
  /** Set while the campaign has made no progress for CAMPAIGN_STALL_AFTER_MS: since when, why, what it waits for. */
  stalled: CampaignStall | null;
  createdAt: Date;
  completedAt: Date | null;
}

export interface CampaignDetail extends CampaignSummary {
  definition: CampaignDefinition;
  /** The version of the definition: 1 as created, one more with each change (PATCH /api/campaigns/:id). */
  definitionVersion: number;
  seed: number;
  batches: BatchEntity[];
  experiments: ExperimentEntity[];
  /**
   * Several objectives or outcome limits: the objectives and limits, the
   * reference point (given or inferred from its own results), the front
   * (completed experiments that meet every limit, non-dominated) and its
   * hypervolume after each completed result, and apart from them the front
   * of its imported results (`imported`); null for a campaign of one objective.
   */
  pareto: CampaignPareto | null;
}

/** Campaign use cases, shared by the REST API and (later) the console. */
@Injectable()
export class CampaignsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly experiments: ExperimentsRepository,
    private readonly controls: ExperimentControlsService,
    private readonly audit: AuditService,
    private readonly bus: EventBus,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly candidates: CandidatesService,
  ) {}

  /**
   * Creates and starts a campaign. `earlierResults` beside the definition (the
   * body of an import, see imports.ts) are checked against its space and
   * stored with it in one transaction, so its first proposal learns from them.
   */
  async create(input: unknown, actor: string): Promise<CampaignDetail> {
    const record = typeof input === 'object' && input !== null && !Array.isArray(input) ? (input as Record<string, unknown>) : undefined;
    const { earlierResults, ...rest } = record ?? {};
    const body = record ? rest : input;
    const deviceKind = record && typeof rest.deviceKind === 'string' ? rest.deviceKind : undefined;
    const definition = parseCampaignDefinition(body, { measured: deviceKind ? await this.measuredBy(deviceKind) : [] });
    const earlier = earlierResults === undefined ? undefined : planEarlierResults(definition, earlierResults);
    // A candidate list is checked against the parameters now; an inline one is stored as a list with the campaign.
    const candidates = await this.candidates.prepare(definition);
    const now = this.clock.now();
    const campaign: CampaignEntity = {
      id: randomUUID(),
      name: definition.name,
      status: 'running',
      definition: storedDefinition(definition),
      seed: definition.seed ?? randomInt(0, 2 ** 31 - 1),
      stopReason: null,
      createdAt: now,
      updatedAt: now,
      completedAt: null,
    };
    await this.dataSource.transaction(async (m) => {
      if (candidates) campaign.definition = storedDefinition(await candidates.storeWith(m, actor, now));
      await m.save(CampaignEntity, campaign);
      await this.audit.record(
        { actor, action: 'campaign.created', campaignId: campaign.id, details: { name: campaign.name, seed: campaign.seed } },
        m,
      );
      if (earlier) await storeImport(m, this.audit, { campaignId: campaign.id, plan: earlier, actor, now });
    });
    this.bus.emit('campaign.updated', { campaignId: campaign.id, status: campaign.status });
    return this.get(campaign.id);
  }

  /**
   * What the devices of a kind declare they measure (capabilities.objectives
   * of their announcements), one list per device that declares any: a
   * definition's objectives and limited outcomes are checked against them.
   */
  private async measuredBy(deviceKind: string): Promise<string[][]> {
    const rows = await queryRows<{ objectives: unknown }>(
      this.dataSource,
      `SELECT capabilities->'objectives' AS objectives FROM devices WHERE kind = $1 AND jsonb_typeof(capabilities->'objectives') = 'array'`,
      [deviceKind],
    );
    return rows.map((r) => (Array.isArray(r.objectives) ? r.objectives.filter((n): n is string => typeof n === 'string') : []));
  }

  /**
   * Every campaign with its counts and best result, read from one snapshot in
   * five queries however many campaigns there are (each entry used to take two
   * queries of its own, on whichever pool connection was free).
   */
  async list(): Promise<CampaignSummary[]> {
    return this.dataSource.transaction('REPEATABLE READ', async (m) => {
      const campaigns = await m.getRepository(CampaignEntity).find({ order: { createdAt: 'DESC' } });
      const stats = await this.stats(m);
      return campaigns.map((c) => summary(c, definitionOf(c), stats.get(c.id)));
    });
  }

  /**
   * A campaign with its batches and experiments, all read from one snapshot
   * (a REPEATABLE READ transaction): read separately, a batch proposed between
   * the reads showed up without its experiments, and counts disagreed with rows.
   */
  async get(id: string): Promise<CampaignDetail> {
    return this.dataSource.transaction('REPEATABLE READ', async (m) => {
      const campaign = await this.find(id, m);
      const stats = await this.stats(m, id);
      const definition = definitionOf(campaign);
      const base = summary(campaign, definition, stats.get(id));
      const batches = await m.getRepository(BatchEntity).find({ where: { campaignId: id }, order: { index: 'ASC' } });
      const experiments = await m.getRepository(ExperimentEntity).find({ where: { campaignId: id }, order: { index: 'ASC' } });
      // Several objectives: the imported results' front beside the campaign's own.
      const imported =
        base.imported.results && outcomesOf(definition).pareto
          ? await queryRows<ImportedOutcome>(m, `SELECT index, source, failed, "values" FROM imported_results WHERE campaign_id = $1`, [id])
          : [];
      const pareto = paretoOf(definition, experiments, imported);
      return { ...base, definition, definitionVersion: campaign.definitionVersion ?? 1, seed: campaign.seed, batches, experiments, pareto };
    });
  }

  pause(id: string, actor: string): Promise<CampaignDetail> {
    return this.transition(id, actor, 'campaign.paused', ['running'], 'paused');
  }

  resume(id: string, actor: string): Promise<CampaignDetail> {
    return this.transition(id, actor, 'campaign.resumed', ['paused'], 'running');
  }

  /** Cancels: proposals not yet sent are cancelled; experiments on a device are aborted (their devices told). */
  async cancel(id: string, actor: string): Promise<CampaignDetail> {
    let aborted: Aborted[] = [];
    const detail = await this.transition(id, actor, 'campaign.cancelled', ['running', 'paused'], 'cancelled', async (m) => {
      await this.experiments.cancelUnsent(m, id, this.clock.now());
      aborted = await this.controls.abortOnDevices(m, id, actor);
      await m.update(
        BatchEntity,
        { campaignId: id, status: 'proposed' },
        { status: 'rejected', decidedAt: this.clock.now(), decidedBy: actor, decisionNote: 'campaign cancelled' },
      );
    });
    await this.controls.announce(aborted);
    return aborted.length > 0 ? this.get(id) : detail;
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
    const definition = definitionOf(campaign);
    const proposals = await queryRows<ProposalRow>(
      this.dataSource,
      `SELECT id, index, params FROM experiments WHERE batch_id = $1 AND campaign_id = $2 AND status = ${sqlStatus(EXPERIMENT_STATUS.proposed)} ORDER BY index`,
      [batchId, campaignId],
    );
    const plan = planBatchEdit(spaceOf(definition), proposals, edit);
    await this.decide(campaignId, batchId, actor, 'approved', edit.reason, async (m) => {
      for (const e of plan.edits) {
        await this.experiments.editProposal(m, e.experimentId, e.params);
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
        await this.experiments.excludeProposal(m, x.id, this.clock.now());
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
    const from = definitionOf(campaign).approval;
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
      await this.experiments.decideBatch(m, batchId, decision, now);
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

  /**
   * Experiment counts by status and the best completed experiment of one
   * campaign, or of all of them, and the same of its imported results: "best"
   * follows each campaign's own objective direction, the earlier one winning a tie.
   */
  private async stats(db: EntityManager, campaignId?: string): Promise<Map<string, CampaignStats>> {
    const only = campaignId === undefined ? '' : 'AND e.campaign_id = $1';
    const params = campaignId === undefined ? [] : [campaignId];
    const counts = await queryRows<{ campaign_id: string; status: ExperimentStatus; n: string }>(
      db,
      `SELECT e.campaign_id, e.status, count(*) AS n FROM experiments e WHERE true ${only} GROUP BY e.campaign_id, e.status`,
      params,
    );
    const best = await queryRows<{
      campaign_id: string;
      id: string;
      index: number;
      params: Record<string, number | string>;
      objective: number;
    }>(
      db,
      `SELECT DISTINCT ON (e.campaign_id) e.campaign_id, e.id, e.index, e.params, e.objective
       FROM experiments e JOIN campaigns c ON c.id = e.campaign_id
       WHERE e.status = ${sqlStatus(EXPERIMENT_STATUS.completed)} ${only}
       ORDER BY e.campaign_id,
         CASE WHEN c.definition->'objective'->>'direction' = 'minimize' THEN e.objective ELSE -e.objective END,
         e.index`,
      params,
    );
    const imported = await queryRows<{ campaign_id: string; results: string; failed: string }>(
      db,
      `SELECT e.campaign_id, count(*) AS results, count(*) FILTER (WHERE e.failed) AS failed FROM imported_results e WHERE true ${only} GROUP BY e.campaign_id`,
      params,
    );
    const importedBest = await queryRows<{
      campaign_id: string;
      index: number;
      params: Record<string, number | string>;
      objective: number;
      source: string;
    }>(
      db,
      `SELECT DISTINCT ON (e.campaign_id) e.campaign_id, e.index, e.params, e.objective, e.source
       FROM imported_results e JOIN campaigns c ON c.id = e.campaign_id
       WHERE NOT e.failed ${only}
       ORDER BY e.campaign_id,
         CASE WHEN c.definition->'objective'->>'direction' = 'minimize' THEN e.objective ELSE -e.objective END,
         e.index`,
      params,
    );
    const stats = new Map<string, CampaignStats>();
    const of = (id: string) => stats.get(id) ?? stats.set(id, noStats()).get(id)!;
    for (const r of counts) of(r.campaign_id).counts[r.status] = Number(r.n);
    for (const b of best) of(b.campaign_id).best = { experimentId: b.id, index: b.index, params: b.params, value: b.objective };
    for (const r of imported) of(r.campaign_id).imported = { results: Number(r.results), failed: Number(r.failed), best: null };
    for (const b of importedBest)
      of(b.campaign_id).imported.best = { index: b.index, params: b.params, value: b.objective, source: b.source };
    return stats;
  }
}

interface CampaignStats {
  counts: StatusCounts;
  best: CampaignSummary['best'];
  imported: CampaignSummary['imported'];
}

function noStats(): CampaignStats {
  return { counts: {}, best: null, imported: { results: 0, failed: 0, best: null } };
}

function summary(c: CampaignEntity, definition: CampaignDefinition, stats: CampaignStats = noStats()): CampaignSummary {
  return {
    id: c.id,
    name: c.name,
    status: c.status,
    stopReason: c.stopReason,
    budget: definition.budget,
    counts: stats.counts,
    best: stats.best,
    imported: stats.imported,
    stalled: stallOf(c),
    createdAt: c.createdAt,
    completedAt: c.completedAt,
  };
}
