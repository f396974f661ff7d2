import type { Space } from '../space.js';
import type { Strategy, StrategyInfo } from '../strategy-interface.js';

/** Size of a model-based strategy's initial design: the option if given, else max(5, d + 1). */
export function initialDesignSize(space: Space, option: number | undefined): number {
  return option ?? Math.max(5, space.dimension + 1);
}

/**
 * Whether a model-based strategy still proposes from its initial design:
 * fewer than `size` design points observed or pending (pending ones count, so
 * that an asynchronous run, each ask with experiments still running, spends
 * as many runs on the design as a sequential one), or fewer than two
 * successful results to fit a model to.
 */
export function inInitialDesign(counts: { observed: number; pending: number; succeeded: number }, size: number): boolean {
  return counts.observed + counts.pending < size || counts.succeeded < 2;
}

/** Provenance of proposals from a model-based strategy's initial design: the design's, naming the strategy it starts. */
export function initialDesignInfo(design: Strategy, model: StrategyInfo): StrategyInfo {
  return { name: design.info.name, settings: { ...design.info.settings, initialDesignOf: model.name } };
}
