import { Rng } from '../rng.js';
import type { Params, Space } from '../space.js';
import type { AskRequest, Proposal, Strategy, StrategyInfo } from '../strategy.js';
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
  private readonly options: Required<Omit<DOptimalStrategyOptions, 'then'>>;
  private readonly then?: Strategy;
  private last: 'design' | 'then' | 'both' = 'design';
  private built?: { key: string; design: DOptimalDesign };

  constructor(options: DOptimalStrategyOptions) {
    requireInteger('design runs', options.runs, 1);
    const { replicates, centerPoints } = runCounts(options);
    this.options = { model: options.model, runs: options.runs, replicates, centerPoints, randomizeOrder: options.randomizeOrder ?? true };
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
              terms: this.built.design.terms,
              candidates: this.built.design.candidates,
              starts: this.built.design.starts,
              logDet: this.built.design.logDet,
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
    return runList(space, design.points, this.options, new Rng(mixSeed(seed, 3)));
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

  /** The design for a space and seed; built once per strategy object and reused while they stay the same. */
  private design(space: Space, seed: number): DOptimalDesign {
    const key = `${seed}|${JSON.stringify(space.parameters)}|${JSON.stringify(space.constraints)}`;
    if (this.built?.key !== key) {
      this.built = { key, design: dOptimalDesign(space, { model: this.options.model, runs: this.options.runs, seed }) };
    }
    return this.built.design;
  }
}
