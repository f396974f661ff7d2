import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { z } from 'zod';
import { CandidateListEntity, type CampaignStatus, queryRows } from '#persistence';
import type { Space } from '#optimizer';
import { AuditService } from '../audit/audit.service.js';
import { DomainError } from '../common/errors.js';
import { EventBus } from '../common/events.js';
import { parseInput } from '../common/parse-input.js';
import { CLOCK, type Clock } from '../common/ports.js';
import { UUID } from '../common/uuid.js';
import { spaceOf, type CampaignDefinition } from './campaign-definition.js';
import {
  type Cells,
  checkCandidates,
  type CheckedCandidates,
  columnsOf,
  planCandidateList,
  type PlannedList,
  rowNumberProblems,
} from './candidates.js';
import { readStoredCampaign } from './stored-definition.js';

/** What an upload stored. */
export interface CandidateListSummary {
  id: string;
  name: string;
  columns: string[];
  descriptors: string[];
  rows: number;
  createdBy: string;
  createdAt: Date;
}

/** A campaign's candidates as they stand: how many rows, how many proposed, which excluded (by whom, why). */
export interface CampaignCandidates {
  campaignId: string;
  list: CandidateListSummary;
  replicates: number;
  /** Rows proposed at least once (any outcome, rejected proposals included) or imported as earlier results. */
  proposed: number;
  /** Rows that may still be proposed: not excluded, proposed fewer than `replicates` times. */
  available: number;
  excluded: { row: number; reason: string; excludedBy: string; excludedAt: Date }[];
}

/** Rows to exclude, by row number (1 = the first row of the list), and why. */
export const exclusionSchema = z
  .object({
    rows: z.array(z.number().int()).min(1, 'name at least one row').max(100_000),
    reason: z
      .string()
      .max(2000)
      .transform((s) => s.trim())
      .refine((s) => s.length > 0 && !s.includes('\u0000'), 'say why the rows are excluded'),
  })
  .strict();

/** Rows put into candidate_rows per INSERT. */
const INSERT_CHUNK = 5000;
/** Checked lists kept in memory for the proposer (a list never changes once stored). */
const CACHED_LISTS = 4;

/**
 * Candidate lists: uploads stored as tables of rows, the rows of a campaign's
 * list checked against its parameters when the campaign is created, and the
 * rows an operator excludes from a campaign (audited).
 */
@Injectable()
export class CandidatesService {
  private readonly cache = new Map<string, CheckedCandidates>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly bus: EventBus,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** Stores an upload (JSON rows or CSV), once its structure is read; its rows are checked when a campaign names it. */
  async upload(input: unknown, actor: string): Promise<CandidateListSummary> {
    const plan = planCandidateList(input);
    return this.dataSource.transaction(async (m) => {
      const summary = await storeList(m, plan, actor, this.clock.now());
      await this.audit.record(
        { actor, action: 'candidates.uploaded', details: { listId: summary.id, name: summary.name, rows: summary.rows } },
        m,
      );
      return summary;
    });
  }

  async getList(id: string): Promise<CandidateListSummary> {
    const list = UUID.test(id) ? await this.dataSource.getRepository(CandidateListEntity).findOneBy({ id }) : null;
    if (!list) throw new DomainError('not_found', `candidate list ${id} not found`);
    return summaryOf(list);
  }

  /**
   * The candidates of a definition being created, checked against its space
   * (every problem named): an inline table to store with the campaign, or the
   * uploaded list it names. `storeWith` stores an inline table in the
   * campaign's transaction and gives the definition to store (naming the list).
   */
  async prepare(
    definition: CampaignDefinition,
  ): Promise<undefined | { storeWith(m: EntityManager, actor: string, now: Date): Promise<CampaignDefinition> }> {
    const source = definition.candidates;
    if (!source) return undefined;
    const space = spaceOf(definition);
    if (source.rows) {
      const plan: PlannedList = {
        name: `${definition.name} (inline)`,
        columns: columnsOf(source.rows),
        descriptors: source.descriptors ?? [],
        rows: source.rows,
      };
      checkCandidates(space, plan);
      return {
        storeWith: async (m, actor, now) => {
          const list = await storeList(m, plan, actor, now);
          return { ...definition, candidates: { list: list.id, ...(source.replicates ? { replicates: source.replicates } : {}) } };
        },
      };
    }
    const listId = source.list as string;
    const list = await this.dataSource.getRepository(CandidateListEntity).findOneBy({ id: listId });
    if (!list)
      throw new DomainError('invalid_definition', 'invalid campaign definition: 1 problem', [
        `candidates.list: no candidate list ${listId}`,
      ]);
    const checked = await this.checked(list, space);
    const room = checked.rows.length * (source.replicates ?? 1);
    if (definition.budget > room)
      throw new DomainError('invalid_definition', 'invalid campaign definition: 1 problem', [
        `candidates: the budget (${definition.budget}) exceeds what the list can give (${checked.rows.length} rows x ${source.replicates ?? 1} replicates = ${room})`,
      ]);
    return { storeWith: async () => definition };
  }

  /** A list's rows checked against a space; lists never change, so the result is kept for the next proposals. */
  async checked(list: { id: string; columns: string[]; descriptors: string[] }, space: Space): Promise<CheckedCandidates> {
    const hit = this.cache.get(list.id);
    if (hit) return hit;
    const rows = await queryRows<{ cells: Cells }>(this.dataSource, `SELECT cells FROM candidate_rows WHERE list_id = $1 ORDER BY index`, [
      list.id,
    ]);
    const checked = checkCandidates(space, { columns: list.columns, descriptors: list.descriptors, rows: rows.map((r) => r.cells) });
    if (this.cache.size >= CACHED_LISTS) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(list.id, checked);
    return checked;
  }

  /** What the proposer needs: the checked rows of the campaign's list, and the rows excluded from it. */
  async forProposal(campaignId: string, definition: CampaignDefinition): Promise<{ checked: CheckedCandidates; excluded: Set<number> }> {
    const listId = definition.candidates?.list as string;
    const list = await this.dataSource.getRepository(CandidateListEntity).findOneByOrFail({ id: listId });
    const checked = await this.checked(list, spaceOf(definition));
    const excluded = await queryRows<{ row_index: number }>(
      this.dataSource,
      `SELECT row_index FROM candidate_exclusions WHERE campaign_id = $1`,
      [campaignId],
    );
    return { checked, excluded: new Set(excluded.map((r) => r.row_index)) };
  }

  /** A campaign's candidates: its list, what was proposed, what is excluded and what is left. */
  async ofCampaign(campaignId: string): Promise<CampaignCandidates> {
    const { definition } = await this.campaign(campaignId, false);
    const source = definition.candidates;
    if (!source?.list) throw new DomainError('not_found', `campaign ${campaignId} has no candidate list`);
    const list = await this.getList(source.list);
    const { checked, excluded } = await this.forProposal(campaignId, definition);
    const uses = await this.uses(campaignId, checked, spaceOf(definition));
    const replicates = source.replicates ?? 1;
    let available = 0;
    for (let i = 0; i < checked.rows.length; i++) if (!excluded.has(i) && (uses.get(i) ?? 0) < replicates) available++;
    const rows = await queryRows<{ row_index: number; reason: string; excluded_by: string; excluded_at: Date }>(
      this.dataSource,
      `SELECT row_index, reason, excluded_by, excluded_at FROM candidate_exclusions WHERE campaign_id = $1 ORDER BY row_index`,
      [campaignId],
    );
    return {
      campaignId,
      list,
      replicates,
      proposed: uses.size,
      available,
      excluded: rows.map((r) => ({ row: r.row_index + 1, reason: r.reason, excludedBy: r.excluded_by, excludedAt: r.excluded_at })),
    };
  }

  /** Excludes rows from a campaign's proposals from now on (audited); rows already excluded stay as they were. */
  async exclude(campaignId: string, input: unknown, actor: string): Promise<CampaignCandidates> {
    const body = parseInput(exclusionSchema, input, 'exclusion');
    const { definition } = await this.campaign(campaignId, true);
    if (!definition.candidates?.list)
      throw new DomainError('invalid_input', `campaign ${campaignId} has no candidate list`, [
        'the campaign proposes from its space, not from a candidate list',
      ]);
    const list = await this.getList(definition.candidates.list);
    const problems = rowNumberProblems(body.rows, list.rows);
    if (problems.length > 0)
      throw new DomainError(
        'invalid_input',
        `invalid exclusion: ${problems.length} problem${problems.length === 1 ? '' : 's'}; nothing was excluded`,
        problems.slice(0, 50),
      );
    const rows = [...new Set(body.rows)].sort((a, b) => a - b);
    const now = this.clock.now();
    await this.dataSource.transaction(async (m) => {
      const [locked] = await queryRows<{ status: CampaignStatus }>(m, `SELECT status FROM campaigns WHERE id = $1 FOR UPDATE`, [
        campaignId,
      ]);
      assertOpen(campaignId, locked.status);
      const added = await queryRows<{ row_index: number }>(
        m,
        `INSERT INTO candidate_exclusions (campaign_id, row_index, reason, excluded_by, excluded_at)
         SELECT $1, r, $2, $3, $4 FROM unnest($5::int[]) AS r
         ON CONFLICT (campaign_id, row_index) DO NOTHING RETURNING row_index`,
        [campaignId, body.reason, actor, now, rows.map((r) => r - 1)],
      );
      await this.audit.record(
        {
          actor,
          action: 'candidates.excluded',
          campaignId,
          details: { rows: added.map((r) => r.row_index + 1).sort((a, b) => a - b), reason: body.reason },
        },
        m,
      );
    });
    this.bus.emit('campaign.updated', { campaignId, status: (await this.campaign(campaignId, false)).status });
    return this.ofCampaign(campaignId);
  }

  /** How many times each row of the list was proposed in the campaign or imported into it as an earlier result (row index -> count). */
  async uses(campaignId: string, checked: CheckedCandidates, space: Space): Promise<Map<number, number>> {
    const experiments = await queryRows<{ params: Record<string, string | number> }>(
      this.dataSource,
      `SELECT params FROM experiments WHERE campaign_id = $1 UNION ALL SELECT params FROM imported_results WHERE campaign_id = $1`,
      [campaignId],
    );
    return usesOf(
      experiments.map((e) => e.params),
      checked,
      space,
    );
  }

  private async campaign(id: string, open: boolean): Promise<{ status: CampaignStatus; definition: CampaignDefinition }> {
    const campaign = await readStoredCampaign(this.dataSource, id);
    if (open) assertOpen(id, campaign.status);
    return campaign;
  }
}

/** Row index -> times proposed, for the experiments' points (a point not in the list, from an edit, counts for none). */
export function usesOf(points: readonly Record<string, string | number>[], checked: CheckedCandidates, space: Space): Map<number, number> {
  const uses = new Map<number, number>();
  for (const p of points) {
    const row = checked.index.get(space.key(p));
    if (row !== undefined) uses.set(row, (uses.get(row) ?? 0) + 1);
  }
  return uses;
}

async function storeList(m: EntityManager, plan: PlannedList, actor: string, now: Date): Promise<CandidateListSummary> {
  const list: CandidateListEntity = {
    id: randomUUID(),
    name: plan.name,
    columns: plan.columns,
    descriptors: plan.descriptors,
    rowCount: plan.rows.length,
    createdBy: actor,
    createdAt: now,
  };
  await m.save(CandidateListEntity, list);
  for (let start = 0; start < plan.rows.length; start += INSERT_CHUNK) {
    const chunk = plan.rows.slice(start, start + INSERT_CHUNK);
    await m.query(
      `INSERT INTO candidate_rows (list_id, index, cells)
       SELECT $1, $2 + v.ord - 1, v.cells FROM unnest($3::jsonb[]) WITH ORDINALITY AS v(cells, ord)`,
      [list.id, start, chunk.map((c) => JSON.stringify(c))],
    );
  }
  return summaryOf(list);
}

function summaryOf(list: CandidateListEntity): CandidateListSummary {
  return {
    id: list.id,
    name: list.name,
    columns: list.columns,
    descriptors: list.descriptors,
    rows: list.rowCount,
    createdBy: list.createdBy,
    createdAt: list.createdAt,
  };
}

function assertOpen(id: string, status: CampaignStatus): void {
  if (status === 'completed' || status === 'cancelled')
    throw new DomainError('invalid_state', `campaign ${id} is ${status}: its candidates no longer change`);
}
