import { Injectable, Optional } from '@nestjs/common';
import {
  computeInsights,
  type CampaignInsights,
  type FittedHyperparameters,
  type InsightsExperiment,
  type InsightsJob,
  type PointState,
} from '#insights';
import type { ExperimentEntity, ExperimentStatus } from '#persistence';
import { experimentBlock, importBlock, type Blocking } from '../campaigns/campaign-definition.js';
import { CampaignsService } from '../campaigns/campaigns.service.js';
import { ImportsService } from '../campaigns/imports.service.js';
import { StrategyPool } from '../compute/strategy-pool.js';
import { EXPERIMENT_STATUS as S, IN_PROGRESS } from '../experiments/experiment-lifecycle.js';

export type { CampaignInsights, PointState } from '#insights';

interface Cached {
  key: string;
  value: CampaignInsights;
  fitted?: FittedHyperparameters;
}

/**
 * Analytics for the console: a Gaussian process (libs/optimizer) on the
 * unit-cube encoded parameters, cross-validated (leave-one-out up to 20
 * results, else 10-fold, hyperparameters fitted once on all results), its
 * permutation importance, and a PCA of the explored space. Cached until the
 * campaign's experiments, its imported results or its definition (a change of its strategy) change. Computed on a worker of the strategy pool
 * (#insights), so a refit does not stall MQTT results, the API and
 * the console socket; without a pool, or with PROPOSAL_WORKERS=0, on the
 * calling thread.
 */
@Injectable()
export class InsightsService {
  /** Per campaign: the last answer and the GP hyperparameters, with the number of results they were fitted to. */
  private readonly cache = new Map<string, Cached>();
  /** Per campaign: the computation under way, so requests for the same experiments share it. */
  private readonly computing = new Map<string, { key: string; done: Promise<CampaignInsights> }>();

  constructor(
    private readonly campaigns: CampaignsService,
    private readonly imports: ImportsService,
    @Optional() private readonly pool?: StrategyPool,
  ) {}

  async forCampaign(id: string): Promise<CampaignInsights> {
    const campaign = await this.campaigns.get(id);
    // Imports only ever add rows: their number is enough for the cache key.
    const imported = campaign.imported.results > 0 ? await this.imports.list(id) : [];
    const key =
      campaign.experiments.map((e) => `${e.id}:${e.status}:${e.objective ?? ''}:${JSON.stringify(e.params)}`).join('|') +
      `|imported:${imported.length}|definition:${campaign.definitionVersion}`;
    const hit = this.cache.get(id);
    if (hit?.key === key) return hit.value;
    const running = this.computing.get(id);
    if (running?.key === key) return running.done;
    const blocks = campaign.definition.strategy?.blocks;
    const job: InsightsJob = {
      campaignId: campaign.id,
      seed: campaign.seed,
      definition: campaign.definition,
      experiments: campaign.experiments.map((e) => insightsExperiment(e, blocks)),
      imported: imported.flatMap((r) =>
        r.failed || r.objective === null
          ? []
          : [{ index: r.index, params: r.params, objective: r.objective, block: importBlock(blocks, r.importId) }],
      ),
      previous: hit?.fitted,
    };
    const done = (this.pool ? this.pool.insights(job) : Promise.resolve().then(() => computeInsights(job))).then(({ value, fitted }) => {
      this.cache.delete(id);
      this.cache.set(id, { key, value, fitted });
      if (this.cache.size > 50) this.cache.delete(this.cache.keys().next().value as string);
      return value;
    });
    this.computing.set(id, { key, done });
    try {
      return await done;
    } finally {
      if (this.computing.get(id)?.done === done) this.computing.delete(id);
    }
  }
}

/**
 * The fields of an experiment that the figures read, and no more (an entity
 * also holds dates, values, failure notes), with its block where the
 * campaign declares blocks: its batch or its device, as the strategy sees it
 * (proposer.service.ts).
 */
function insightsExperiment(e: ExperimentEntity, blocks?: Blocking): InsightsExperiment {
  const extrapolation = e.prediction?.extrapolation;
  const block = experimentBlock(blocks, e);
  const state = pointState(e.status);
  return {
    id: e.id,
    index: e.index,
    ...(state ? { state } : {}),
    params: e.params,
    objective: e.objective,
    prediction: e.prediction ? (extrapolation === undefined ? {} : { extrapolation }) : null,
    ...(block ? { block } : {}),
  };
}

/** How the console's figures draw an experiment in this state; undefined: not drawn (rejected, cancelled). */
function pointState(status: ExperimentStatus): PointState | undefined {
  if (status === S.completed) return 'observed';
  if (status === S.failed) return 'failed';
  if (status === S.proposed) return 'pending';
  return IN_PROGRESS.includes(status) ? 'in-progress' : undefined;
}
