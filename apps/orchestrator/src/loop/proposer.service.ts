import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { type Params } from '#optimizer';
import { type JsonObject } from '#persistence';
import { policyApproves } from '../campaigns/approval-policy.js';
import { type CampaignDefinition, experimentBlock, importBlock, spaceOf } from '../campaigns/campaign-definition.js';
import { CandidatesService, usesOf } from '../campaigns/candidates.service.js';
import type { CandidateJob } from '../compute/strategy-candidates.js';
import { definitionOf } from '../campaigns/stored-definition.js';
import { EventBus } from '../common/events.js';
import { APP_CONFIG, type AppConfig } from '../common/config.js';
import { CLOCK, type Clock } from '../common/ports.js';
import { strategyDefinition, type AskObservation } from '../compute/strategy-ask.js';
import { outcomesOf } from '../campaigns/outcomes-definition.js';
import { paretoSummary } from '../campaigns/pareto.js';
import { StrategyPool } from '../compute/strategy-pool.js';
import { EXPERIMENT_STATUS as S, UNFINISHED } from '../experiments/experiment-lifecycle.js';
import { logIds } from '../common/logger.js';
import { ProposalStore } from './proposal-store.js';

/** Asks a campaign's strategy for the next batch and persists it before anything acts on it. */
@Injectable()
export class ProposerService {
  private readonly logger = new Logger('proposer');
  constructor(
    private readonly store: ProposalStore,
    private readonly bus: EventBus,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly strategies: StrategyPool,
    private readonly candidates: CandidatesService,
  ) {}

  /**
   * The campaign's candidate list as the strategy sees it: its rows, those it
   * may propose (not excluded, proposed or imported fewer than `replicates`
   * times, every proposal counted, rejected ones too), and the results and pending
   * experiments at rows of the list.
   */
  private async candidateJob(
    campaignId: string,
    definition: CampaignDefinition,
    observations: readonly AskObservation[],
    pending: readonly Params[],
    proposed: readonly Params[],
  ): Promise<CandidateJob> {
    const space = spaceOf(definition);
    const { checked, excluded } = await this.candidates.forProposal(campaignId, definition);
    const uses = usesOf(proposed, checked, space);
    const replicates = definition.candidates?.replicates ?? 1;
    const eligible: number[] = [];
    for (let i = 0; i < checked.rows.length; i++) if (!excluded.has(i) && (uses.get(i) ?? 0) < replicates) eligible.push(i);
    const rowOf = (p: Params) => checked.index.get(space.key(p));
    return {
      listId: definition.candidates?.list as string,
      rows: checked.rows,
      eligible,
      observations: observations.flatMap((o) => {
        const row = rowOf(o.params);
        if (row === undefined) return [];
        // Several objectives or limits: every outcome's value (measuredValues), which the Pareto path reads.
        const values = o.values;
        return [{ row, ...(o.failed ? { failed: true } : { value: o.value }), ...(values ? { values } : {}) }];
      }),
      pending: pending.flatMap((p) => {
        const row = rowOf(p);
        return row === undefined ? [] : [row];
      }),
      replicates,
    };
  }

  /**
   * Proposes up to n experiments. Answers `exhausted` when the campaign's
   * candidate list has no row left to propose and nothing is running: the
   * campaign can go no further.
   */
  async propose(campaignId: string, n: number): Promise<'exhausted' | undefined> {
    // Read in one statement with the other campaigns proposing now (proposal-store.ts).
    // Imported earlier results first (the order the strategy reads them in), then the campaign's own.
    const { campaign: row, rows, imported } = await this.store.history(campaignId);
    if (!row) return; // no longer running (completed, cancelled or paused since the pass decided)
    const campaign = { id: row.id, name: row.name, seed: row.seed, definitionVersion: row.definition_version };
    const definition = definitionOf(row);
    // Blocks (definition.strategy.blocks): results of one batch, or of one device, share an offset; so do those of one import.
    const blocking = definition.strategy?.blocks;
    const blockOf = (block: string | undefined) => (block === undefined ? {} : { block });
    const outcomes = outcomesOf(definition);
    // Several objectives or limits: every outcome's value, as the campaign's own results carry theirs.
    const observations: AskObservation[] = imported.map((r) => ({
      params: r.params,
      ...(r.failed || r.objective === null ? { failed: true } : { value: r.objective }),
      ...(outcomes.pareto && !r.failed ? { values: measuredValues(r.values) } : {}),
      ...blockOf(importBlock(blocking, r.import_id)),
    }));
    const pending: Params[] = [];
    const rejected: Params[] = [];
    for (const r of rows) {
      if (r.status === S.completed && r.objective !== null)
        observations.push({
          params: r.params,
          value: r.objective,
          ...(outcomes.pareto ? { values: measuredValues(r.values) } : {}),
          ...blockOf(experimentBlock(blocking, { batchId: r.batch_id, deviceId: r.device_id })),
        });
      // A device failure says nothing about the condition: it is not data for the optimizer.
      else if (r.status === S.failed && r.failure_scope === 'experiment') observations.push({ params: r.params, failed: true });
      else if (r.status === S.rejected || r.status === S.aborted)
        rejected.push(r.params); // an operator ruled it out
      else if (UNFINISHED.includes(r.status)) pending.push(r.params);
    }
    const candidates = definition.candidates?.list
      ? await this.candidateJob(
          campaign.id,
          definition,
          observations,
          pending,
          [...imported, ...rows].map((r) => r.params),
        )
      : undefined;
    // On a worker thread unless PROPOSAL_WORKERS=0 (strategy-pool.ts): a GP fit takes up to seconds of CPU, which here would stall the service.
    // The proposals come back checked against the campaign's space (askStrategy).
    // Several objectives: each proposal's expected improvements are judged against the front of every measured result
    // the strategy learns from, imported ones included (as one objective's acquisition takes its incumbent from them too).
    const front = outcomes.pareto
      ? paretoSummary(outcomes.objectives, outcomes.constraints, [
          ...imported.flatMap((r) =>
            r.values ? [{ experimentId: `import:${r.index}`, index: -1 - r.index, values: r.values, finishedAt: null }] : [],
          ),
          ...rows
            .filter((r) => r.status === S.completed && r.values !== null)
            .map((r) => ({ experimentId: r.id, index: r.index, values: r.values ?? {}, finishedAt: r.finished_at })),
        ]).front.map((f) => f.values)
      : undefined;
    const definitionVersion = campaign.definitionVersion;
    const asked = await this.strategies.ask({
      definition: strategyDefinition(definition),
      direction: definition.objective.direction,
      observations,
      ...(outcomes.pareto ? { outcomes, front } : {}),
      pending,
      rejected,
      n,
      seed: campaign.seed,
      ...(candidates ? { candidates } : {}),
      // The worker that asked last for this campaign keeps its fitted strategy: the next ask extends the fit (strategy-cache.ts).
      campaign: { id: campaign.id, definitionVersion },
    });
    const { proposals, info, waitedMs } = asked;
    const elapsedMs = Math.round(asked.elapsedMs);
    if (proposals.length === 0) {
      if (candidates && candidates.eligible.length === 0 && pending.length === 0) return 'exhausted';
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
      // The version of the campaign's definition the proposals were made under (GET /api/campaigns/:id/definitions).
      definitionVersion,
      observations: observations.length,
      imported: imported.length,
      pending: pending.length,
      elapsedMs,
      // Whether the strategy was kept from the campaign's last ask (its fit extended) rather than built afresh (strategy-cache.ts).
      kept: asked.kept === true,
    };
    const audit = {
      batchId,
      size: proposals.length,
      strategy: info.name,
      replica: this.config.instanceId,
      approvedBy: auto ? policyActor : null,
      flagged: proposals.filter((p) => p.extrapolation).length,
    };
    // Stored only if the definition has not changed while the strategy worked (PATCH /api/campaigns/:id): proposals made
    // under settings that no longer hold (a budget cut, another strategy) are dropped; the loop's next pass proposes under the new ones.
    const batchIndex = await this.store.store({
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
            ? JSON.stringify({
                mean: p.prediction?.mean,
                sd: p.prediction?.sd,
                acquisition: p.acquisition,
                extrapolation: p.extrapolation,
                // Several objectives: every outcome's prediction, each limit's probability, the objectives it may improve.
                outcomes: p.predictions,
                limits: p.limits,
                improves: p.improves,
              })
            : null,
      })),
      audit: JSON.stringify(audit),
      definitionVersion,
    });
    if (batchIndex === 'stale') {
      this.logger.log(
        `campaign ${campaign.id}: its definition changed (from version ${definitionVersion}) during the ask; proposing again`,
        logIds({ campaignId: campaign.id }),
      );
      return;
    }
    this.logger.log(
      `campaign ${campaign.name}: batch ${batchIndex} of ${proposals.length} proposed by ${info.name} in ${elapsedMs} ms${asked.kept ? ' (its kept fit extended)' : ''}${waitedMs >= 1 ? ` (after ${Math.round(waitedMs)} ms waiting for a strategy worker)` : ''}${auto ? ' (auto-approved)' : ', waiting for approval'}`,
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

/** The finite values of a stored result (a missing or null one is left out: the strategy then takes the run as incomplete). */
function measuredValues(values: Record<string, number | null> | null): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(values ?? {})) if (typeof v === 'number' && Number.isFinite(v)) out[k] = v;
  return out;
}
