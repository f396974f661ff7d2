import { type Direction, type Observation, type Params, type Prediction, type Proposal, type StrategyInfo } from '#optimizer';
import type { InsightsJob, InsightsOutcome } from '#insights';
import { acquisitionOf, spaceOf, type CampaignDefinition } from '../campaigns/campaign-definition.js';
import { isParetoModelKind, paretoStrategyFor, strategyFor, type ParetoModelKind } from '../campaigns/campaign-strategy.js';
import type { Outcomes } from '../campaigns/outcomes-definition.js';
import { expectedImprovements, limitProbability } from '../campaigns/pareto.js';
import { askCandidates, askCandidatesPareto, type CandidateJob } from './strategy-candidates.js';
import type { StrategyCache, StrategyKey } from './strategy-cache.js';
import type { ModelJob } from './model-query.js';

/**
 * What a strategy needs of a campaign's definition: its space as the
 * definition states it, and the strategy's settings. Plain data, taken from a
 * definition that was checked when the campaign was created and read back by
 * definitionOf; the `Space` and the strategy are built from it once, on the
 * side that asks (a worker thread, or the main thread without workers).
 */
export type StrategyDefinition = Pick<CampaignDefinition, 'parameters' | 'constraints' | 'strategy' | 'batchSize'>;

export function strategyDefinition({ parameters, constraints, strategy, batchSize }: CampaignDefinition): StrategyDefinition {
  return { parameters, constraints, strategy, batchSize };
}

/**
 * One ask of a campaign's strategy, as plain data: it crosses to a worker
 * thread by structured clone, so it holds the definition's description of
 * the space rather than a `Space` or a strategy object.
 */
export interface AskJob {
  definition: StrategyDefinition;
  direction: Direction;
  observations: AskObservation[];
  /** Several objectives or outcome limits: the Pareto strategy, and observations carry `values`. */
  outcomes?: Outcomes;
  /** The measured front (values of its points), which each proposal's expected improvements are judged against. */
  front?: Record<string, number>[];
  pending: Params[];
  rejected: Params[];
  n: number;
  seed: number;
  /** The campaign's candidate list, when it has one: the strategy proposes only its eligible rows. */
  candidates?: CandidateJob;
  /**
   * The campaign and its definition's version: the thread that asks keeps the
   * strategy for the campaign's next ask (strategy-cache.ts), and the pool
   * sends that ask to the same worker. Without it every ask builds a fresh strategy.
   */
  campaign?: { id: string; definitionVersion: number };
}

/** An observation; with several outcomes, every objective's and limited outcome's value. */
export type AskObservation = Observation & { values?: Record<string, number> };

/** A proposal; from the Pareto strategy, with every outcome's prediction, each limit's probability and the objectives it may improve. */
export interface AskProposal extends Proposal {
  predictions?: Record<string, Prediction>;
  /** Probability of meeting each outcome limit, in the order of the definition's outcomeConstraints. */
  limits?: { name: string; op: '<=' | '>='; value: number; probability: number }[];
  /** Objectives whose predicted means beat the measured front (see expectedImprovements). */
  improves?: string[];
}

export interface AskOutcome {
  proposals: AskProposal[];
  /** The strategy's provenance as it stands after the ask (the default strategy names the one it chose). */
  info: StrategyInfo;
  /** Time the strategy took, in ms, without any wait for a worker. */
  elapsedMs: number;
  /** Whether the strategy was kept from the campaign's last ask on this thread (its fit extended), not built for this ask. */
  kept?: boolean;
}

/**
 * Messages between the pool and a worker: one job at a time per worker,
 * matched by id. Besides asks, a worker computes the console's insights
 * (#insights), the other GP fit that takes seconds of CPU.
 */
export interface AskMessage {
  id: number;
  kind: 'ask';
  job: AskJob;
}

export interface InsightsMessage {
  id: number;
  kind: 'insights';
  job: InsightsJob;
}

/** A question to a campaign's model (model-query.ts). */
export interface ModelMessage {
  id: number;
  kind: 'model';
  job: ModelJob;
}

export type PoolMessage = AskMessage | InsightsMessage | ModelMessage;

/** An error in a worker, as data (a thrown object does not keep its class across threads). */
export interface AskFailure {
  name: string;
  message: string;
  stack?: string;
}

export type PoolReply<Outcome> = { id: number; ok: true; outcome: Outcome } | { id: number; ok: false; error: AskFailure };
export type AskReply = PoolReply<AskOutcome>;
export type InsightsReply = PoolReply<InsightsOutcome>;

/**
 * Builds the campaign's space and strategy, asks it, and checks every
 * proposal against the same space before it goes back; the same code runs in
 * a worker and on the main thread.
 */
export async function askStrategy(job: AskJob, cache?: StrategyCache): Promise<AskOutcome> {
  const kind = job.definition.strategy.kind;
  if (job.outcomes?.pareto && isParetoModelKind(kind)) {
    if (job.candidates) return askParetoCandidates(job, job.candidates, job.outcomes);
    return askPareto(job, job.outcomes, kind);
  }
  const space = spaceOf(job.definition);
  if (job.candidates) {
    const began = performance.now();
    const { proposals, info } = askCandidates(space, job.candidates, job, acquisitionOf(job.definition.strategy));
    return { proposals, info, elapsedMs: performance.now() - began };
  }
  const key = cache && strategyKey(job);
  const cached = key && cache.take(key, job.observations.length);
  const strategy = cached ?? strategyFor(job.definition);
  const started = performance.now();
  const proposals = await strategy.ask({
    space,
    direction: job.direction,
    observations: job.observations,
    pending: job.pending,
    rejected: job.rejected,
    n: job.n,
    seed: job.seed,
  });
  const elapsedMs = performance.now() - started;
  for (const p of proposals) {
    const problems = space.check(p.params);
    if (problems.length) throw new Error(`strategy ${strategy.info.name} proposed an invalid point: ${problems.join('; ')}`);
  }
  // Kept only after an ask that succeeded: one that threw may have left the strategy half-updated.
  if (key) cache.keep(key, strategy, job.observations.length);
  return { proposals, info: strategy.info, elapsedMs, kept: cached !== undefined };
}

/** The cache key of a job's strategy: its campaign, and everything the strategy is built from (undefined without a campaign). */
export function strategyKey(job: AskJob): StrategyKey | undefined {
  if (!job.campaign) return undefined;
  const fingerprint = JSON.stringify([job.campaign.definitionVersion, job.definition, job.direction]);
  return { campaign: job.campaign.id, fingerprint };
}

async function askPareto(job: AskJob, outcomes: Outcomes, kind: ParetoModelKind): Promise<AskOutcome> {
  const space = spaceOf(job.definition);
  const strategy = paretoStrategyFor(kind, job.definition);
  const started = performance.now();
  const proposals = await strategy.ask({
    space,
    objectives: outcomes.objectives,
    constraints: outcomes.constraints,
    observations: job.observations.map((o) =>
      o.values && !o.failed ? { params: o.params, values: o.values } : { params: o.params, failed: true },
    ),
    pending: job.pending,
    rejected: job.rejected,
    n: job.n,
    seed: job.seed,
  });
  const elapsedMs = performance.now() - started;
  return { proposals: paretoProposals(space, strategy.info.name, proposals, outcomes, job.front), info: strategy.info, elapsedMs };
}

/** Several objectives or limits over the campaign's candidate list: the rows scored by the same models and acquisition. */
function askParetoCandidates(job: AskJob, candidates: CandidateJob, outcomes: Outcomes): AskOutcome {
  const space = spaceOf(job.definition);
  const started = performance.now();
  const { proposals, info } = askCandidatesPareto(space, candidates, outcomes, job);
  const elapsedMs = performance.now() - started;
  return { proposals: paretoProposals(space, info.name, proposals, outcomes, job.front), info, elapsedMs };
}

/**
 * Proposals of several outcomes, checked against the space, with their
 * provenance: every outcome's prediction (the first objective's as the
 * proposal's own), each limit's probability, and the objectives each may
 * improve on the measured front.
 */
function paretoProposals(
  space: ReturnType<typeof spaceOf>,
  strategyName: string,
  proposals: readonly { params: Params; predictions?: Record<string, Prediction>; acquisition?: number; extrapolation?: string }[],
  outcomes: Outcomes,
  front: readonly Record<string, number>[] = [],
): AskProposal[] {
  const first = outcomes.objectives[0].name;
  return proposals.map((p) => {
    const problems = space.check(p.params);
    if (problems.length) throw new Error(`strategy ${strategyName} proposed an invalid point: ${problems.join('; ')}`);
    const predictions = p.predictions;
    if (!predictions) return { params: p.params };
    return {
      params: p.params,
      prediction: predictions[first],
      acquisition: p.acquisition,
      predictions,
      limits: outcomes.constraints.map((c) => ({ ...c, probability: limitProbability(c, predictions[c.name]) })),
      improves: expectedImprovements(outcomes.objectives, front, predictions),
      ...(p.extrapolation ? { extrapolation: p.extrapolation } : {}),
    };
  });
}

export function askFailure(e: unknown): AskFailure {
  return e instanceof Error ? { name: e.name, message: e.message, stack: e.stack } : { name: 'Error', message: String(e) };
}
