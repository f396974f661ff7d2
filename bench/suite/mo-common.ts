/**
 * What the several-objective suite's instances have in common (multi.ts,
 * ocm.ts): their shape, their setting and their names.
 */
import type { ParameterSpec, Params, PoolRow } from '../asktell/problems.js';
import type { Random } from '../asktell/random.js';

export interface MoObjective {
  name: string;
  goal: 'minimize' | 'maximize';
  /** The worst value that still counts (the hypervolume's reference point). */
  ref: number;
}

export type MoEvaluation = { values: Record<string, number> } | { failed: true };

export interface MoInstance {
  key: string;
  family: string;
  seed: number;
  name: string;
  parameters: ParameterSpec[];
  objectives: MoObjective[];
  outcomeConstraints?: { name: string; op: '<=' | '>='; value: number }[];
  /** The best hypervolume, and how it is known. */
  optimum: number;
  optimumHow: string;
  /** Observation noise sd per outcome (absent: noiseless). */
  noise?: Record<string, number>;
  budget: number;
  batch: number;
  pending: number;
  pool?: PoolRow[];
  failing: boolean;
  /** A random point of the Pareto set, where it is known in closed form. */
  paretoPoint?(r: Random): Params;
  /** Deterministic and noiseless; pool problems get `{ id }`. */
  evaluate(params: Params): MoEvaluation;
}

/** One at a time (70 %) or four evaluations in flight (30 %). */
export function drawMoSetting(r: Random): { batch: number; pending: number } {
  return r() < 0.7 ? { batch: 1, pending: 0 } : { batch: 1, pending: 4 };
}

export function moName(
  key: string,
  d: number,
  m: number,
  extra: { noisy?: boolean; failing?: boolean; limit?: boolean; pending: number },
): string {
  return `${key}-d${d}-m${m}${extra.noisy ? '-noisy' : ''}${extra.failing ? '-fail' : ''}${extra.limit ? '-limit' : ''}${extra.pending ? `-p${extra.pending}` : ''}`;
}
