import type { Params, Space } from './space.js';

/** What the optimizer knows of one finished experiment. */
export interface Observation {
  params: Params;
  /** Objective value; absent when the experiment failed. */
  value?: number;
  /** The experiment ran and gave no value (infeasible condition): data, not noise. */
  failed?: boolean;
  /**
   * The block it was measured in (a plate, a day, a batch, the source of
   * imported data): results of one block share an offset, which a model that
   * can (the GP) learns and looks past. Absent: no block.
   */
  block?: string;
}

export type Direction = 'minimize' | 'maximize';

export interface AskRequest {
  space: Space;
  direction: Direction;
  observations: readonly Observation[];
  /** Proposed and still running: a good strategy does not propose them again. */
  pending: readonly Params[];
  /** Proposals an operator rejected: not run, not to be proposed again. */
  rejected?: readonly Params[];
  /** How many proposals to return. */
  n: number;
  /** Seed of the campaign; with the same request a strategy proposes the same batch. */
  seed: number;
}

/** The model's view of a proposal, where the strategy has a model. */
export interface Prediction {
  mean: number;
  sd: number;
}

export interface Proposal {
  params: Params;
  prediction?: Prediction;
  acquisition?: number;
  /** Set when the proposal lies outside the region the data cover, with the reason. */
  extrapolation?: string;
}

/** Provenance recorded with every batch: what produced it, with which settings. */
export interface StrategyInfo {
  name: string;
  settings: Record<string, unknown>;
}

/** A proposal strategy: an initial design, a Bayesian optimizer, ... */
export interface Strategy {
  readonly info: StrategyInfo;
  ask(request: AskRequest): Promise<Proposal[]>;
}
