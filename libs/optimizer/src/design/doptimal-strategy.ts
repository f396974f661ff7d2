import { Rng } from '#random';
import type { Params, Space } from '../space.js';
import type { AskRequest, Proposal, Strategy, StrategyInfo } from '../strategy-interface.js';
import { DesignError, requireInteger } from './errors.js';
import { dOptimalDesign, type DOptimalDesign } from './doptimal.js';
import type { DesignModel } from './model.js';
import { remainingRuns, runCounts, runList, type RunOptions } from './runs.js';
import { mixSeed } from './seed.js';

export interface DOptimalStrategyOptions extends RunOptions {
  model: DesignModel;
  /** Distinct design runs before replication (the exact design's size n). */
  runs: number;
  /** Proposes once the design's runs are used up (and fills a batch the design's last runs do not fill). */
  then?: Strategy;
  /** Runs per block, proposed together (a campaign's batch): the design is blocked (see dOptimalDesign) and shuffled within blocks only. */
  blockSize?: number;
}

/**
 * A D-optimal design for a stated linear model as a strategy, run once: the
 * campaign's seed fixes the design and its run order (replicates and centre
 * runs included; randomizeOrder defaults to true, because the exchange
 * algorithm leaves runs in candidate order, where a drift over time would
 * alias with the first factor). Each ask proposes the runs the history has not
 * used yet, matched as multisets (remainingRuns): replicates are proposed on
 * purpose although their points are pending or observed, and a rejected run
 * counts as used.
 *
 * Once the design is used up, `then` proposes (without one: nothing); a batch
 * that the design's last runs do not fill is completed by `then`, with those
 * runs passed to it as pending. `info` names what proposed the last batch.
 */
export class DOptimalStrategy implements Strategy {
  private readonly options: Required<Omit<DOptimalStrategyOptions, 'then' | 'blockSize'>> & { blockSize?: number };
  private readonly then?: Strategy;
  private last: 'design' | 'then' | 'both' = 'design';
  /** The design of the last ask, for info. */
  private built?: DOptimalDesign;

  constructor(options: DOptimalStrategyOptions) {
    requireInteger('design runs', options.runs, 1);
    const { replicates, centerPoints } = runCounts(options);
    this.options = {
      model: options.model,
      runs: options.runs,
      replicates,
      centerPoints,
      randomizeOrder: options.randomizeOrder ?? true,
      ...(options.blockSize !== undefined ? { blockSize: options.blockSize } : {}),
    };
    this.then = options.then;
  }

  /** Runs in total: runs x replicates + centre runs. */
  get totalRuns(): number {
    return this.options.runs * this.options.replicates + this.options.centerPoints;
  }

  get info(): StrategyInfo {
    const design: StrategyInfo = {
      name: 'design/doptimal',
      settings: {
        kind: 'doptimal',
        ...this.options,
        totalRuns: this.totalRuns,
        algorithm: 'modified-fedorov',
        ...(this.built
          ? {
              terms: this.built.terms,
              candidates: this.built.candidates,
              starts: this.built.starts,
              logDet: this.built.logDet,
              ...(this.built.blocks ? { blocks: new Set(this.built.blocks).size } : {}),
            }
          : {}),
        ...(this.then ? { then: this.then.info.name } : {}),
      },
    };
    if (this.last === 'design' || !this.then) return design;
    const then = this.then.info;
    if (this.last === 'then') return { name: then.name, settings: { ...then.settings, after: design.name } };
    return { name: `${design.name}+${then.name}`, settings: { ...design.settings, thenSettings: then.settings } };
  }

  /** The design's run list for a space and seed, in run order. */
  runs(space: Space, seed: number): Params[] {
    const design = this.design(space, seed);
    return runList(space, design.points, this.options, new Rng(mixSeed(seed, 3)), design.blocks);
  }

  async ask(request: AskRequest): Promise<Proposal[]> {
    const { space, n, seed } = request;
    requireInteger('number of proposals', n, 0);
    if (!Number.isFinite(seed)) throw new DesignError('invalid-argument', `seed must be a finite number, got ${seed}`);
    if (n === 0) return [];
    const used = [...request.observations.map((o) => o.params), ...request.pending, ...(request.rejected ?? [])];
    const left = remainingRuns(space, this.runs(space, seed), used).slice(0, n);
    const fromDesign: Proposal[] = left.map((params) => ({ params }));
    if (left.length === n || !this.then) {
      this.last = 'design';
      return fromDesign;
    }
    const rest = await this.then.ask({ ...request, n: n - left.length, pending: [...request.pending, ...left] });
    this.last = left.length === 0 ? 'then' : 'both';
    return [...fromDesign, ...rest];
  }

  /** The design for a space and seed (see cachedDOptimalDesign). */
  private design(space: Space, seed: number): DOptimalDesign {
    this.built = cachedDOptimalDesign(space, {
      model: this.options.model,
      runs: this.options.runs,
      seed,
      blockSize: this.options.blockSize,
    });
    return this.built;
  }
}

/** Designs kept by cachedDOptimalDesign, least recently used first. */
const DESIGNS = new Map<string, DOptimalDesign>();
const DESIGNS_KEPT = 16;

/**
 * dOptimalDesign, remembered for the last 16 (model, runs, seed, space) asked
 * for in this process or worker: the service builds a strategy object for
 * every ask, and a 10-factor quadratic design takes about a second to build.
 * The design is the same either way (seeded); callers must not change it.
 */
export function cachedDOptimalDesign(
  space: Space,
  options: { model: DesignModel; runs: number; seed: number; blockSize?: number },
): DOptimalDesign {
  const key = JSON.stringify([options.model, options.runs, options.seed, options.blockSize ?? null, space.parameters, space.constraints]);
  const kept = DESIGNS.get(key);
  if (kept) {
    DESIGNS.delete(key);
    DESIGNS.set(key, kept);
    return kept;
  }
  const design = dOptimalDesign(space, options);
  DESIGNS.set(key, design);
  if (DESIGNS.size > DESIGNS_KEPT) DESIGNS.delete(DESIGNS.keys().next().value as string);
  return design;
}
