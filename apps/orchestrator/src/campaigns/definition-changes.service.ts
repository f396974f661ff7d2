import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { queryRows, type CampaignStatus } from '#persistence';
import { AuditService } from '../audit/audit.service.js';
import { DomainError } from '../common/errors.js';
import { EventBus } from '../common/events.js';
import { CLOCK, type Clock } from '../common/ports.js';
import { UUID } from '../common/uuid.js';
import { SPENDS_BUDGET, UNFINISHED, sqlStatuses } from '../experiments/experiment-lifecycle.js';
import type { CampaignDefinition } from './campaign-definition.js';
import { planDefinitionChange, type PlannedChange } from './definition-changes.js';
import { definitionOf, storedDefinition } from './stored-definition.js';

/** One version of a campaign's definition: 1 as created, then one per change. */
export interface DefinitionVersion {
  version: number;
  definition: CampaignDefinition;
  changedAt: Date;
  /** Who changed it (`<role>:<name>`); null for the definition as created. */
  changedBy: string | null;
  reason: string | null;
  changes: PlannedChange['changes'];
}

/**
 * Changes a running or paused campaign's definition mid-campaign (budget,
 * batch size, strategy and its acquisition, target), as the approval policy
 * changes: in one transaction with the campaign's row locked, checked against
 * what the campaign has already spent or committed, audited with who and why,
 * and kept as a new version of the definition. The loop reads the budget,
 * batch size and target from the stored definition on each pass and the
 * proposer builds the strategy from it on each ask, so the next batch is
 * proposed under the new settings, and its provenance names the version.
 */
@Injectable()
export class DefinitionChangesService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly bus: EventBus,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async change(id: string, input: unknown, actor: string): Promise<DefinitionVersion> {
    if (!UUID.test(id)) throw new DomainError('not_found', `campaign ${id} not found`);
    const now = this.clock.now();
    const { version, status, changed } = await this.dataSource.transaction(async (m) => {
      const [row] = await queryRows<{
        id: string;
        definition: unknown;
        definition_version: number;
        status: CampaignStatus;
        created_at: Date;
      }>(m, `SELECT id, definition, definition_version, status, created_at FROM campaigns WHERE id = $1 FOR UPDATE`, [id]);
      if (!row) throw new DomainError('not_found', `campaign ${id} not found`);
      if (row.status !== 'running' && row.status !== 'paused')
        throw new DomainError('invalid_state', `campaign ${id} is ${row.status}: its definition can no longer change`);
      const current = definitionOf(row);
      const [use] = await queryRows<{ spent: number; committed: number }>(
        m,
        `SELECT count(*) FILTER (WHERE status IN ${sqlStatuses(SPENDS_BUDGET)})::int AS spent,
                count(*) FILTER (WHERE status IN ${sqlStatuses(UNFINISHED)})::int AS committed
         FROM experiments WHERE campaign_id = $1`,
        [id],
      );
      const plan = planDefinitionChange(current, input, use);
      if (Object.keys(plan.changes).length === 0) return { version: row.definition_version, status: row.status, changed: null };
      const next = row.definition_version + 1;
      // The definition as created is version 1 of the history; its row is written with the first change.
      await m.query(
        `INSERT INTO campaign_definitions (campaign_id, version, definition, changed_at, changed_by, reason)
         VALUES ($1, $2, $3, $4, NULL, NULL) ON CONFLICT DO NOTHING`,
        [id, row.definition_version, JSON.stringify(row.definition), row.definition_version === 1 ? row.created_at : now],
      );
      await m.query(
        `INSERT INTO campaign_definitions (campaign_id, version, definition, changed_at, changed_by, reason, changes)
         VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [id, next, JSON.stringify(storedDefinition(plan.definition)), now, actor, plan.reason, JSON.stringify(plan.changes)],
      );
      await m.query(`UPDATE campaigns SET definition = $2, definition_version = $3, updated_at = $4 WHERE id = $1`, [
        id,
        JSON.stringify(storedDefinition(plan.definition)),
        next,
        now,
      ]);
      await this.audit.record(
        {
          actor,
          action: 'campaign.definition_changed',
          campaignId: id,
          details: { version: next, reason: plan.reason, changes: JSON.parse(JSON.stringify(plan.changes)) as Record<string, never> },
        },
        m,
      );
      return { version: next, status: row.status, changed: { reason: plan.reason, fields: Object.keys(plan.changes) } };
    });
    this.bus.emit('campaign.updated', { campaignId: id, status });
    if (changed) this.bus.emit('campaign.definitionChanged', { campaignId: id, version, changedBy: actor, ...changed });
    const history = await this.history(id);
    return history.find((h) => h.version === version) ?? history[history.length - 1];
  }

  /** Every version of a campaign's definition, oldest first (version 1 alone while it never changed). */
  async history(id: string): Promise<DefinitionVersion[]> {
    if (!UUID.test(id)) throw new DomainError('not_found', `campaign ${id} not found`);
    const [campaign] = await queryRows<{ id: string; definition: unknown; definition_version: number; created_at: Date }>(
      this.dataSource,
      `SELECT id, definition, definition_version, created_at FROM campaigns WHERE id = $1`,
      [id],
    );
    if (!campaign) throw new DomainError('not_found', `campaign ${id} not found`);
    const rows = await queryRows<{
      version: number;
      definition: unknown;
      changed_at: Date;
      changed_by: string | null;
      reason: string | null;
      changes: PlannedChange['changes'];
    }>(
      this.dataSource,
      `SELECT version, definition, changed_at, changed_by, reason, changes FROM campaign_definitions WHERE campaign_id = $1 ORDER BY version`,
      [id],
    );
    if (rows.length === 0)
      return [
        { version: 1, definition: definitionOf(campaign), changedAt: campaign.created_at, changedBy: null, reason: null, changes: {} },
      ];
    return rows.map((r) => ({
      version: r.version,
      definition: definitionOf({ id, definition: r.definition }),
      changedAt: r.changed_at,
      changedBy: r.changed_by,
      reason: r.reason,
      changes: r.changes,
    }));
  }
}
