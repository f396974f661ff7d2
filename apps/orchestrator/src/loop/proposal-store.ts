import { Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { type Params } from '#optimizer';
import { type BatchStatus, type ExperimentStatus, type FailureScope, queryRows } from '#persistence';
import { Coalescer, type Pending } from '../common/coalescer.js';
import { INITIAL_STATUS } from '../experiments/experiment-lifecycle.js';

/** An experiment of a campaign, as its strategy's next ask reads it. */
export interface ExperimentRow {
  id: string;
  index: number;
  values: Record<string, number | null> | null;
  finished_at: Date | null;
  params: Params;
  status: ExperimentStatus;
  objective: number | null;
  failure_scope: FailureScope | null;
  batch_id: string;
  device_id: string | null;
}

/** A result imported into a campaign (POST /api/campaigns/:id/results), in the order the strategy reads them. */
export interface ImportedRow {
  index: number;
  params: Params;
  objective: number | null;
  /** Every objective's and limited outcome's value (several objectives or limits); null for rows of one value stored before them. */
  values: Record<string, number> | null;
  failed: boolean;
  import_id: string;
}

/** What a proposal reads of its campaign's own row. */
export interface CampaignRow {
  id: string;
  name: string;
  definition: unknown;
  seed: number;
  definition_version: number;
}

/** What a proposal reads of its campaign: the campaign (absent once it no longer runs), its experiments by index, and its imported results. */
export interface CampaignHistory {
  campaign?: CampaignRow;
  rows: ExperimentRow[];
  imported: ImportedRow[];
}

/** A new batch, its experiments and its audit entry, as the proposer stores them. */
export interface ProposedBatch {
  batchId: string;
  campaignId: string;
  /** The campaign's approval policy approved it: its experiments are queued at once. */
  approved: boolean;
  batchStatus: BatchStatus;
  strategy: string;
  now: Date;
  decidedBy: string | null;
  /** The index of the campaign's first new experiment. */
  firstIndex: number;
  experiments: { id: string; params: string; prediction: string | null }[];
  /** The audit entry's details (JSON), to which the batch's index is added. */
  audit: string;
  /** The version of the campaign's definition the batch was proposed under: it is stored only if that is still the campaign's. */
  definitionVersion: number;
}

/** Campaigns read, or batches stored, in one statement at most. */
const GROUP = 64;

/**
 * The proposer's round trips, shared by the campaigns that propose at the
 * same time: while one group's statement is in flight, the next campaigns'
 * reads (or batches) gather, and go in one statement (common/coalescer.ts).
 * A pass that proposes for forty campaigns then makes a few round trips
 * instead of four per campaign.
 */
@Injectable()
export class ProposalStore {
  private readonly logger = new Logger('proposer');
  private readonly reads = new Coalescer<string, CampaignHistory>((g) => this.readGroup(g), { maxInFlight: 1, maxGroup: GROUP });
  private readonly writes = new Coalescer<ProposedBatch, number | 'stale'>((g) => this.writeGroup(g), { maxInFlight: 1, maxGroup: GROUP });
  /** Statements made, for tests and benchmarks. */
  readonly counters = { reads: 0, writes: 0, campaignsRead: 0, batchesWritten: 0 };

  constructor(private readonly dataSource: DataSource) {}

  /**
   * A running campaign's row, experiments (by index) and imported results (in the order imported), read
   * with those of the other campaigns proposing now.
   */
  history(campaignId: string): Promise<CampaignHistory> {
    return this.reads.submit(campaignId);
  }

  /**
   * Stores a batch with its experiments (proposed, or queued when auto-approved) and its audit entry,
   * atomically, if the campaign's definition is still at the version the batch was proposed under;
   * answers the batch's index, or `stale` when the definition changed meanwhile (nothing stored). The
   * index is the next free one of the campaign, which only the replica holding its lease advances.
   */
  store(batch: ProposedBatch): Promise<number | 'stale'> {
    return this.writes.submit(batch);
  }

  private async readGroup(group: readonly Pending<string, CampaignHistory>[]): Promise<void> {
    const ids = [...new Set(group.map((p) => p.item))];
    this.counters.reads++;
    this.counters.campaignsRead += ids.length;
    // The reads side by side: one round trip's wait instead of three.
    const [campaigns, rows, imported] = await Promise.all([
      queryRows<CampaignRow>(
        this.dataSource,
        `SELECT id, name, definition, seed, definition_version FROM campaigns WHERE id = ANY($1::uuid[]) AND status = 'running'`,
        [ids],
      ),
      queryRows<ExperimentRow & { campaign_id: string }>(
        this.dataSource,
        `SELECT campaign_id, id, index, params, status, objective, "values", finished_at, failure_scope, batch_id, device_id
         FROM experiments WHERE campaign_id = ANY($1::uuid[]) ORDER BY campaign_id, index`,
        [ids],
      ),
      queryRows<ImportedRow & { campaign_id: string }>(
        this.dataSource,
        `SELECT campaign_id, index, params, objective, "values", failed, import_id FROM imported_results WHERE campaign_id = ANY($1::uuid[]) ORDER BY campaign_id, index`,
        [ids],
      ),
    ]);
    const out = new Map<string, CampaignHistory>(ids.map((id) => [id, { rows: [], imported: [] }]));
    for (const c of campaigns) out.get(c.id)!.campaign = c;
    for (const { campaign_id, ...r } of rows) out.get(campaign_id)?.rows.push(r);
    for (const { campaign_id, ...r } of imported) out.get(campaign_id)?.imported.push(r);
    for (const p of group) p.resolve(out.get(p.item)!);
  }

  /**
   * One statement for the group. Should it fail, each batch is written on its own, so that a batch
   * the database refuses fails its own campaign's proposal only.
   */
  private async writeGroup(group: readonly Pending<ProposedBatch, number | 'stale'>[]): Promise<void> {
    if (group.length > 1) {
      try {
        const stored = await this.insert(group.map((p) => p.item));
        for (const p of group) p.resolve(stored.get(p.item.batchId) ?? 'stale');
        return;
      } catch (e) {
        this.logger.warn(`${group.length} batches could not be stored together (${e instanceof Error ? e.message : String(e)}); storing each alone`);
      }
    }
    for (const p of group) {
      try {
        p.resolve((await this.insert([p.item])).get(p.item.batchId) ?? 'stale');
      } catch (e) {
        p.reject(e);
      }
    }
  }

  /** Inserts the batches whose campaign is still at their definition version; answers the index of each batch stored. */
  private async insert(batches: readonly ProposedBatch[]): Promise<Map<string, number>> {
    this.counters.writes++;
    const experiments = batches.flatMap((b) =>
      b.experiments.map((e, i) => ({
        ...e,
        batchId: b.batchId,
        index: b.firstIndex + i,
        status: b.approved ? INITIAL_STATUS.autoApproved : INITIAL_STATUS.awaitingApproval,
      })),
    );
    const rows = await queryRows<{ id: string; index: number }>(
      this.dataSource,
      `WITH v AS (
         SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::jsonb[], $5::timestamptz[], $6::timestamptz[], $7::text[], $8::int[], $9::jsonb[])
           AS v(batch_id, campaign_id, status, strategy, now, decided_at, decided_by, version, audit)
       ), ok AS (
         SELECT v.* FROM v JOIN campaigns c ON c.id = v.campaign_id AND c.definition_version = v.version
       ), b AS (
         INSERT INTO batches (id, campaign_id, index, status, strategy, proposed_at, decided_at, decided_by, decision_note)
         SELECT ok.batch_id, ok.campaign_id, (SELECT COALESCE(MAX(x.index) + 1, 0) FROM batches x WHERE x.campaign_id = ok.campaign_id),
                ok.status, ok.strategy, ok.now, ok.decided_at, ok.decided_by, NULL
         FROM ok
         RETURNING id, index
       ), e AS (
         INSERT INTO experiments (id, campaign_id, batch_id, index, params, status, attempt, prediction, created_at)
         SELECT x.id, ok.campaign_id, x.batch_id, x.index, x.params, x.status, 0, x.prediction, ok.now
         FROM unnest($10::uuid[], $11::uuid[], $12::int[], $13::jsonb[], $14::jsonb[], $15::text[]) AS x(id, batch_id, index, params, prediction, status)
         JOIN ok ON ok.batch_id = x.batch_id
       ), a AS (
         INSERT INTO audit_log (at, actor, action, campaign_id, details)
         SELECT ok.now, 'service', 'batch.proposed', ok.campaign_id, ok.audit || jsonb_build_object('index', b.index)
         FROM b JOIN ok ON ok.batch_id = b.id
       )
       SELECT id, index FROM b`,
      [
        batches.map((b) => b.batchId),
        batches.map((b) => b.campaignId),
        batches.map((b) => b.batchStatus),
        batches.map((b) => b.strategy),
        batches.map((b) => b.now),
        batches.map((b) => (b.approved ? b.now : null)),
        batches.map((b) => b.decidedBy),
        batches.map((b) => b.definitionVersion),
        batches.map((b) => b.audit),
        experiments.map((e) => e.id),
        experiments.map((e) => e.batchId),
        experiments.map((e) => e.index),
        experiments.map((e) => e.params),
        experiments.map((e) => e.prediction),
        experiments.map((e) => e.status),
      ],
    );
    this.counters.batchesWritten += rows.length;
    return new Map(rows.map((r) => [r.id, r.index]));
  }
}
