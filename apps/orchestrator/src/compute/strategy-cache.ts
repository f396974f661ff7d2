import type { Strategy } from '#optimizer';

/** How much a thread keeps of the strategies it asked (see StrategyCache). */
export interface StrategyCacheLimits {
  /** Campaigns whose strategy is kept; the least recently asked goes first. 0: none is kept. */
  campaigns: number;
  /**
   * Results (observations) of all kept strategies together: an exact GP
   * holds a factor of n² numbers, so a few large campaigns are what fills a
   * thread's memory. A strategy asked with more results than this is not kept.
   */
  results: number;
}

/** What a worker of the strategy pool is started with. */
export interface StrategyWorkerData {
  cache: StrategyCacheLimits;
}

export const DEFAULT_STRATEGY_CACHE: StrategyCacheLimits = { campaigns: 8, results: 6_000 };

/**
 * At or below this many results the exact GP fits its hyperparameters afresh
 * at every ask anyway, but a kept one would start its search from the last
 * fit (GaussianProcess's warm start), which can land elsewhere: there a fresh
 * strategy asks, so the proposals are exactly those of a fresh one. Above it
 * the kept GP extends its factor and refits warm by its own rules.
 */
export const REUSE_ABOVE_RESULTS = 100;

/** Which campaign an ask is for, and what makes its strategy: a strategy is reused only for the same of both. */
export interface StrategyKey {
  campaign: string;
  /**
   * Everything the strategy is built from (definition version, the
   * definition's space and strategy settings, the direction), as one string:
   * a definition changed mid-campaign gives another one, and a fresh strategy.
   */
  fingerprint: string;
}

interface Entry {
  fingerprint: string;
  strategy: Strategy;
  results: number;
}

/**
 * The strategy objects of the campaigns a thread (a worker of the strategy
 * pool, or the main thread without workers) asked last, so that the next ask
 * of a campaign finds its GP fitted and extends the fit (GaussianProcess's
 * incremental fits) instead of fitting afresh. A strategy is taken out while
 * it is asked and kept again after, so two asks never share one; an ask that
 * failed keeps nothing. Bounded by campaigns (least recently asked first) and
 * by total results.
 */
export class StrategyCache {
  /** In the order of last use, oldest first. */
  private readonly entries = new Map<string, Entry>();
  private total = 0;

  constructor(readonly limits: StrategyCacheLimits = DEFAULT_STRATEGY_CACHE) {}

  /** Campaigns kept now. */
  get campaigns(): number {
    return this.entries.size;
  }

  /** Results of the kept strategies together. */
  get results(): number {
    return this.total;
  }

  has(campaign: string): boolean {
    return this.entries.has(campaign);
  }

  /**
   * The campaign's kept strategy, taken out of the cache, when it was built
   * for the same fingerprint, asked with at most `results` results (data that
   * shrank were replaced, not added to), and this ask has more than
   * REUSE_ABOVE_RESULTS; otherwise undefined (and any kept one is dropped).
   */
  take(key: StrategyKey, results: number): Strategy | undefined {
    const entry = this.entries.get(key.campaign);
    if (!entry) return undefined;
    this.remove(key.campaign, entry);
    if (entry.fingerprint !== key.fingerprint || results < entry.results || results <= REUSE_ABOVE_RESULTS) return undefined;
    return entry.strategy;
  }

  /** Keeps the strategy just asked with `results` results, dropping the least recently asked ones past the limits. */
  keep(key: StrategyKey, strategy: Strategy, results: number): void {
    const old = this.entries.get(key.campaign);
    if (old) this.remove(key.campaign, old);
    if (this.limits.campaigns <= 0 || results > this.limits.results) return;
    this.entries.set(key.campaign, { fingerprint: key.fingerprint, strategy, results });
    this.total += results;
    for (const [campaign, entry] of this.entries) {
      if (this.entries.size <= this.limits.campaigns && this.total <= this.limits.results) break;
      this.remove(campaign, entry);
    }
  }

  private remove(campaign: string, entry: Entry): void {
    this.entries.delete(campaign);
    this.total -= entry.results;
  }
}
