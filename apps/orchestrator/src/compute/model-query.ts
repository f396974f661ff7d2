import { CampaignModel, type Direction, type ModelPrediction, type ModelSlice, type Observation, type Params } from '#optimizer';
import { acquisitionOf, spaceOf } from '../campaigns/campaign-definition.js';
import type { StrategyDefinition } from './strategy-ask.js';

/** A question to a campaign's model (see CampaignModel): predictions at points, its optimum, or a slice along one parameter. */
export type ModelQuestion =
  { kind: 'predict'; points: Params[] } | { kind: 'optimum' } | { kind: 'slice'; parameter: string; through?: Params };

/** One question with what the model is fitted to, as plain data (it crosses to a worker thread). */
export interface ModelJob {
  definition: StrategyDefinition;
  direction: Direction;
  observations: Observation[];
  seed: number;
  question: ModelQuestion;
}

/** What every answer says of the model it came from. */
export interface ModelFacts {
  /** Results with a value the model was fitted to. */
  results: number;
  /** The best of them, in the objective's units, and where. */
  best: { params: Params; value: number };
  /** The campaign's acquisition (its default, log EI, where it names none). */
  acquisition: { kind: string; kappa?: number; beta?: number };
}

export type ModelOutcome =
  | { model: ModelFacts; kind: 'predict'; predictions: ModelPrediction[] }
  | { model: ModelFacts; kind: 'optimum'; optimum: ModelPrediction }
  | { model: ModelFacts; kind: 'slice'; slice: ModelSlice }
  /** Too few results for a model. */
  | { model: null; results: number };

/** Fits the campaign's model and answers the question; the same code runs in a worker and on the main thread. */
export function answerModelQuestion(job: ModelJob): ModelOutcome {
  const space = spaceOf(job.definition);
  const model = CampaignModel.fit(space, job.direction, job.observations, {
    encoding: job.definition.strategy.encoding,
    acquisition: acquisitionOf(job.definition.strategy),
    seed: job.seed,
  });
  if (!model) return { model: null, results: job.observations.filter((o) => !o.failed && typeof o.value === 'number').length };
  const facts: ModelFacts = { results: model.results, best: model.best, acquisition: model.acquisitionChoice };
  const q = job.question;
  switch (q.kind) {
    case 'predict':
      return { model: facts, kind: 'predict', predictions: model.predict(q.points) };
    case 'optimum':
      return { model: facts, kind: 'optimum', optimum: model.optimum() };
    case 'slice':
      return { model: facts, kind: 'slice', slice: model.slice(q.parameter, q.through) };
  }
}
