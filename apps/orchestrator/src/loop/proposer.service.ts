import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { type Observation, type Params } from '#optimizer';
import { type CampaignEntity, type ExperimentStatus, type FailureScope, type JsonObject, queryRows } from '#persistence';
import { policyApproves } from '../campaigns/approval-policy.js';
import { experimentBlock, importBlock } from '../campaigns/campaign-definition.js';
import { definitionOf } from '../campaigns/stored-definition.js';
import { EventBus } from '../common/events.js';
import { APP_CONFIG, type AppConfig } from '../common/config.js';
import { CLOCK, type Clock } from '../common/ports.js';
import { strategyDefinition } from '../compute/strategy-ask.js';
import { StrategyPool } from '../compute/strategy-pool.js';
import { EXPERIMENT_STATUS as S, UNFINISHED } from '../experiments/experiment-lifecycle.js';
import { ExperimentsRepository } from '../experiments/experiments.repository.js';
import { logIds } from '../common/logger.js';

interface ExperimentRow {
  params: Params;
  status: ExperimentStatus;
  objective: number | null;
  failure_scope: FailureScope | null;
  batch_id: string;
  device_id: string | null;
}

/** Asks a campaign's strategy for the next batch and persists it before anything acts on it. */
@Injectable()
export class ProposerService {
  private readonly logger = new Logger('proposer');

  constructor(
    private readonly dataSource: DataSource,
    private readonly experiments: ExperimentsRepository,
    private readonly bus: EventBus,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly strategies: StrategyPool,
  ) {}

  async propose(campaign: CampaignEntity, n: number): Promise<void> {
    const definition = definitionOf(campaign);
    const rows = await queryRows<ExperimentRow>(
      this.dataSource,
      `SELECT params, status, objective, failure_scope, batch_id, device_id FROM experiments WHERE campaign_id = $1 ORDER BY index`,
      [campaign.id],
    );
    // Imported earlier results first (the order the strategy reads them in), then the campaign's own.
    const imported = await queryRows<{ params: Params; objective: number | null; failed: boolean; import_id: string }>(
      this.dataSource,
      `SELECT params, objective, failed, import_id FROM imported_results WHERE campaign_id = $1 ORDER BY index`,
      [campaign.id],
    );
    // Blocks (definition.strategy.blocks): results of one batch, or of one device, share an offset; so do those of one import.
    const blocking = definition.strategy?.blocks;
    const blockOf = (block: string | undefined) => (block === undefined ? {} : { block });
    const observations: Observation[] = imported.map((r) => ({
      params: r.params,
      ...(r.failed || r.objective === null ? { failed: true } : { value: r.objective }),
      ...blockOf(importBlock(blocking, r.import_id)),
    }));
    const pending: Params[] = [];
    const rejected: Params[] = [];
    for (const r of rows) {
      if (r.status === S.completed && r.objective !== null)
        observations.push({
          params: r.params,
          value: r.objective,
          ...blockOf(experimentBlock(blocking, { batchId: r.batch_id, deviceId: r.device_id })),
        });
      // A device failure says nothing about the condition: it is not data for the optimizer.
      else if (r.status === S.failed && r.failure_scope === 'experiment') observations.push({ params: r.params, failed: true });
      else if (r.status === S.rejected || r.status === S.aborted)
        rejected.push(r.params); // an operator ruled it out
      else if (UNFINISHED.includes(r.status)) pending.push(r.params);
    }
    // On a worker thread unless PROPOSAL_WORKERS=0 (strategy-pool.ts): a GP fit takes up to seconds of CPU, which here would stall the service.
    // The proposals come back checked against the campaign's space (askStrategy).
    const asked = await this.strategies.ask({
      definition: strategyDefinition(definition),
      direction: definition.objective.direction,
      observations,
      pending,
      rejected,
      n,
      seed: campaign.seed,
    });
    const { proposals, info, waitedMs } = asked;
    const elapsedMs = Math.round(asked.elapsedMs);
    if (proposals.length === 0) {
      this.logger.warn(`campaign ${campaign.id}: the strategy has nothing left to propose`, logIds({ campaignId: campaign.id }));
      return;
    }
    // Campaigns stored before the policy existed read as `auto` (definitionOf fills in the schema's default).
    const policy = definition.approval;
    const auto = policyApproves(policy, proposals);
    const policyActor = `policy:${policy}`;
    const now = this.clock.now();
    const batchId = randomUUID();
    const strategyRecord = {
      ...info,
      settings: info.settings as JsonObject,
      seed: campaign.seed,
      observations: observations.length,
      imported: imported.length,
      pending: pending.length,
      elapsedMs,
    };
    const audit = {
      batchId,
      size: proposals.length,
      strategy: info.name,
      replica: this.config.instanceId,
      approvedBy: auto ? policyActor : null,
      flagged: proposals.filter((p) => p.extrapolation).length,
    };
    const batchIndex = await this.experiments.insertBatch({
      batchId,
      campaignId: campaign.id,
      approved: auto,
      batchStatus: auto ? 'approved' : 'proposed',
      strategy: JSON.stringify(strategyRecord),
      now,
      decidedBy: auto ? policyActor : null,
      firstIndex: rows.length,
      experiments: proposals.map((p) => ({
        id: randomUUID(),
        params: JSON.stringify(p.params),
        prediction:
          p.prediction || p.acquisition !== undefined || p.extrapolation
            ? JSON.stringify({ mean: p.prediction?.mean, sd: p.prediction?.sd, acquisition: p.acquisition, extrapolation: p.extrapolation })
            : null,
      })),
      audit: JSON.stringify(audit),
    });
    this.logger.log(
      `campaign ${campaign.name}: batch ${batchIndex} of ${proposals.length} proposed by ${info.name} in ${elapsedMs} ms${waitedMs >= 1 ? ` (after ${Math.round(waitedMs)} ms waiting for a strategy worker)` : ''}${auto ? ' (auto-approved)' : ', waiting for approval'}`,
      logIds({ campaignId: campaign.id, batchId }),
    );
    this.bus.emit('batch.proposed', {
      campaignId: campaign.id,
      batchId,
      index: batchIndex,
      size: proposals.length,
      approved: auto,
      elapsedMs,
    });
  }
}
