import { Injectable, Optional } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { type Observation, type Params } from '#optimizer';
import { queryRows, type FailureScope } from '#persistence';
import { experimentBlock, importBlock, spaceOf } from '../campaigns/campaign-definition.js';
import { CampaignsService, type CampaignDetail } from '../campaigns/campaigns.service.js';
import { DomainError } from '../common/errors.js';
import { strategyDefinition } from '../compute/strategy-ask.js';
import { answerModelQuestion, type ModelOutcome, type ModelQuestion } from '../compute/model-query.js';
import { StrategyPool } from '../compute/strategy-pool.js';
import { EXPERIMENT_STATUS as S } from '../experiments/experiment-lifecycle.js';

/** Most points one prediction request may ask about. */
export const MAX_PREDICT_POINTS = 1000;

/**
 * Questions to a campaign's model (POST /api/campaigns/:id/predict, GET
 * .../model/optimum, GET .../model/slice): the model is fitted to the
 * campaign's results as its strategy sees them (imported ones included, with
 * blocks where the definition declares them), on the strategy pool's workers
 * so a GP fit does not stall the service. Points are checked against the
 * campaign's parameters and constraints first, every problem named.
 */
@Injectable()
export class ModelService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly campaigns: CampaignsService,
    @Optional() private readonly pool?: StrategyPool,
  ) {}

  async predict(id: string, input: unknown): Promise<ModelOutcome> {
    const campaign = await this.campaigns.get(id);
    const space = spaceOf(campaign.definition);
    const points = (typeof input === 'object' && input !== null && !Array.isArray(input) ? (input as Record<string, unknown>) : {}).points;
    const problems: string[] = [];
    if (!Array.isArray(points) || points.length === 0)
      problems.push('points: a non-empty array of points, each an object of parameter name -> value');
    else if (points.length > MAX_PREDICT_POINTS)
      problems.push(`points: at most ${MAX_PREDICT_POINTS} points per request (got ${points.length})`);
    else points.forEach((p, i) => problems.push(...space.check(p).map((m) => `points[${i}]: ${m}`)));
    if (problems.length > 0)
      throw new DomainError(
        'invalid_input',
        `invalid prediction request: ${problems.length} problem${problems.length === 1 ? '' : 's'}`,
        problems,
      );
    return this.ask(campaign, { kind: 'predict', points: points as Params[] });
  }

  async optimum(id: string): Promise<ModelOutcome> {
    return this.ask(await this.campaigns.get(id), { kind: 'optimum' });
  }

  async slice(id: string, parameter: unknown): Promise<ModelOutcome> {
    const campaign = await this.campaigns.get(id);
    const names = campaign.definition.parameters.map((p) => p.name);
    const p = campaign.definition.parameters.find((q) => q.name === parameter);
    if (typeof parameter !== 'string' || !p)
      throw new DomainError('invalid_input', 'invalid slice request', [
        `parameter: ${typeof parameter === 'string' && parameter !== '' ? `unknown parameter "${parameter}"` : 'missing'} (one of ${names.join(', ')})`,
      ]);
    if (p.type === 'composition')
      throw new DomainError('invalid_input', 'invalid slice request', [
        `parameter: "${parameter}" is a composition: a slice varies one number or choice`,
      ]);
    return this.ask(campaign, { kind: 'slice', parameter });
  }

  private async ask(campaign: CampaignDetail, question: ModelQuestion): Promise<ModelOutcome> {
    const id = campaign.id;
    const definition = campaign.definition;
    const blocking = definition.strategy?.blocks;
    const rows = await queryRows<{
      params: Params;
      status: string;
      objective: number | null;
      failure_scope: FailureScope | null;
      batch_id: string;
      device_id: string | null;
    }>(
      this.dataSource,
      `SELECT params, status, objective, failure_scope, batch_id, device_id FROM experiments WHERE campaign_id = $1 ORDER BY index`,
      [id],
    );
    const imported = await queryRows<{ params: Params; objective: number | null; failed: boolean; import_id: string }>(
      this.dataSource,
      `SELECT params, objective, failed, import_id FROM imported_results WHERE campaign_id = $1 ORDER BY index`,
      [id],
    );
    const withBlock = (block: string | undefined) => (block === undefined ? {} : { block });
    const observations: Observation[] = [
      ...imported.map((r) => ({
        params: r.params,
        ...(r.failed || r.objective === null ? { failed: true } : { value: r.objective }),
        ...withBlock(importBlock(blocking, r.import_id)),
      })),
      ...rows.flatMap((r): Observation[] => {
        if (r.status === S.completed && r.objective !== null)
          return [
            {
              params: r.params,
              value: r.objective,
              ...withBlock(experimentBlock(blocking, { batchId: r.batch_id, deviceId: r.device_id })),
            },
          ];
        return r.status === S.failed && r.failure_scope === 'experiment' ? [{ params: r.params, failed: true }] : [];
      }),
    ];
    const job = {
      definition: strategyDefinition(definition),
      direction: definition.objective.direction,
      observations,
      seed: campaign.seed,
      question,
    };
    const { waitedMs: _waited, ...outcome } = this.pool ? await this.pool.model(job) : { ...answerModelQuestion(job), waitedMs: 0 };
    if (outcome.model === null)
      throw new DomainError(
        'invalid_state',
        `campaign ${id} has ${outcome.results} result${outcome.results === 1 ? '' : 's'} with a value: its model needs at least 3`,
      );
    return outcome;
  }
}
