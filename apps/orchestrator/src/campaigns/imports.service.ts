import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { type CampaignStatus, ExperimentEntity, ImportedResultEntity, queryRows } from '#persistence';
import { AuditService } from '../audit/audit.service.js';
import { DomainError } from '../common/errors.js';
import { EventBus } from '../common/events.js';
import { CLOCK, type Clock } from '../common/ports.js';
import type { CampaignDefinition } from './campaign-definition.js';
import { readStoredCampaign } from './stored-definition.js';
import { planImport, type PlannedImport } from './imports.js';
import { resultsCsv } from './results-export.js';

/** What an import stored. */
export interface ImportReceipt {
  importId: string;
  campaignId: string;
  source: string;
  /** Results stored, failed ones included. */
  results: number;
  failed: number;
  /** CSV columns that named neither a parameter nor an outcome (the objective, or every objective and limited outcome), and were not read. */
  ignoredColumns: string[];
  importedBy: string;
  importedAt: Date;
}

/**
 * Earlier results imported into a campaign: the strategy learns from them
 * (proposer.service.ts puts them before the campaign's own results), but they
 * are not experiments of the campaign, so nothing dispatches them and they
 * count toward neither the budget nor the target.
 */
@Injectable()
export class ImportsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly bus: EventBus,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** Checks every result and stores all of them in one transaction, or none (with every problem named). */
  async import(campaignId: string, input: unknown, actor: string): Promise<ImportReceipt> {
    const campaign = await this.campaign(campaignId, true);
    const plan = planImport(campaign.definition, input);
    const now = this.clock.now();
    const stored = await this.dataSource.transaction(async (m) => {
      // The campaign row's lock orders imports of one campaign (their indices) and holds off a completion meanwhile.
      const [locked] = await queryRows<{ status: CampaignStatus }>(m, `SELECT status FROM campaigns WHERE id = $1 FOR UPDATE`, [
        campaignId,
      ]);
      assertOpen(campaignId, locked.status);
      return storeImport(m, this.audit, { campaignId, plan, actor, now });
    });
    // Consoles refresh; the loop sees the results at the campaign's next proposal.
    this.bus.emit('campaign.updated', { campaignId, status: campaign.status });
    return stored;
  }

  /**
   * The campaign's results as CSV (results-export.ts): imported ones, then its
   * own, read from one snapshot; an import of it starts another campaign.
   */
  async resultsCsv(campaignId: string): Promise<string> {
    const campaign = await this.campaign(campaignId, false);
    return this.dataSource.transaction('REPEATABLE READ', async (m) => {
      const experiments = await m.getRepository(ExperimentEntity).find({ where: { campaignId }, order: { index: 'ASC' } });
      const batches = await queryRows<{ id: string; index: number }>(m, `SELECT id, index FROM batches WHERE campaign_id = $1`, [
        campaignId,
      ]);
      const imported = await m.getRepository(ImportedResultEntity).find({ where: { campaignId }, order: { index: 'ASC' } });
      return resultsCsv(campaign.definition, experiments, new Map(batches.map((b) => [b.id, b.index])), imported);
    });
  }

  /** Every imported result of a campaign, in the order imported. */
  async list(campaignId: string): Promise<ImportedResultEntity[]> {
    await this.campaign(campaignId, false);
    return this.dataSource.getRepository(ImportedResultEntity).find({ where: { campaignId }, order: { index: 'ASC' } });
  }

  private async campaign(id: string, open: boolean): Promise<{ status: CampaignStatus; definition: CampaignDefinition }> {
    const campaign = await readStoredCampaign(this.dataSource, id);
    if (open) assertOpen(id, campaign.status);
    return campaign;
  }
}

/**
 * Stores a checked import and its audit entry in the caller's transaction
 * (an import of its own, or a campaign created with earlier results).
 */
export async function storeImport(
  m: EntityManager,
  audit: AuditService,
  { campaignId, plan, actor, now }: { campaignId: string; plan: PlannedImport; actor: string; now: Date },
): Promise<ImportReceipt> {
  const importId = randomUUID();
  const failed = plan.results.filter((r) => r.failed).length;
  await m.query(
    `INSERT INTO imported_results (id, campaign_id, import_id, index, params, objective, "values", failed, failure_reason, source, imported_by, imported_at)
     SELECT v.id, $1, $2, first.index + v.ord - 1, v.params, v.objective, v.outcomes, v.failed, v.reason, $3, $4, $5
     FROM unnest($6::uuid[], $7::jsonb[], $8::float8[], $9::boolean[], $10::text[], $11::jsonb[])
            WITH ORDINALITY AS v(id, params, objective, failed, reason, outcomes, ord),
          (SELECT COALESCE(MAX(index) + 1, 0) AS index FROM imported_results WHERE campaign_id = $1) AS first`,
    [
      campaignId,
      importId,
      plan.source,
      actor,
      now,
      plan.results.map(() => randomUUID()),
      plan.results.map((r) => JSON.stringify(r.params)),
      plan.results.map((r) => r.value),
      plan.results.map((r) => r.failed),
      plan.results.map((r) => r.reason),
      // Every objective's and limited outcome's value (SQL NULL for a failure).
      plan.results.map((r) => (r.values === null ? null : JSON.stringify(r.values))),
    ],
  );
  await audit.record(
    {
      actor,
      action: 'results.imported',
      campaignId,
      details: { importId, source: plan.source, results: plan.results.length, failed, ignoredColumns: plan.ignoredColumns },
    },
    m,
  );
  return {
    importId,
    campaignId,
    source: plan.source,
    results: plan.results.length,
    failed,
    ignoredColumns: plan.ignoredColumns,
    importedBy: actor,
    importedAt: now,
  };
}

function assertOpen(id: string, status: CampaignStatus): void {
  if (status === 'completed' || status === 'cancelled')
    throw new DomainError(
      'invalid_state',
      `campaign ${id} is ${status}: it takes no more results (import into a running or paused campaign)`,
    );
}
