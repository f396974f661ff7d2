import { describe, expect, it } from '@jest/globals';
import type { Observation, Strategy } from '#optimizer';
import { Rng } from '#random';
import { parseCampaignDefinition, spaceOf } from '../campaigns/campaign-definition.js';
import { strategyFor } from '../campaigns/campaign-strategy.js';
import { askStrategy, strategyDefinition, type AskJob } from './strategy-ask.js';
import { REUSE_ABOVE_RESULTS, StrategyCache, type StrategyKey } from './strategy-cache.js';

/** A stand-in strategy: the cache only holds it. */
const strategy = (name: string) => ({ info: { name, settings: {} } }) as unknown as Strategy;
const key = (campaign: string, fingerprint = 'v1'): StrategyKey => ({ campaign, fingerprint });

describe('StrategyCache', () => {
  it('gives back the strategy kept for the same campaign and fingerprint once, taking it out while it is asked', () => {
    const cache = new StrategyCache({ campaigns: 4, results: 10_000 });
    const s = strategy('a');
    cache.keep(key('a'), s, 200);
    expect(cache.take(key('a'), 210)).toBe(s);
    expect(cache.has('a')).toBe(false);
    expect(cache.take(key('a'), 210)).toBeUndefined();
  });

  it('builds afresh (drops the kept one) for a changed fingerprint, data that shrank, or at most REUSE_ABOVE_RESULTS results', () => {
    const cache = new StrategyCache({ campaigns: 4, results: 10_000 });
    cache.keep(key('a'), strategy('a'), 200);
    expect(cache.take(key('a', 'v2'), 210)).toBeUndefined();
    expect(cache.has('a')).toBe(false);
    cache.keep(key('a'), strategy('a'), 200);
    expect(cache.take(key('a'), 199)).toBeUndefined();
    cache.keep(key('a'), strategy('a'), REUSE_ABOVE_RESULTS - 10);
    expect(cache.take(key('a'), REUSE_ABOVE_RESULTS)).toBeUndefined();
    expect(cache.campaigns).toBe(0);
    expect(cache.results).toBe(0);
  });

  it('keeps the most recently asked campaigns, up to its limits on campaigns and on results together', () => {
    const cache = new StrategyCache({ campaigns: 2, results: 1000 });
    cache.keep(key('a'), strategy('a'), 300);
    cache.keep(key('b'), strategy('b'), 300);
    cache.keep(key('c'), strategy('c'), 300);
    // Past 2 campaigns: the least recently asked (a) goes.
    expect([cache.has('a'), cache.has('b'), cache.has('c')]).toEqual([false, true, true]);
    // b asked again: it is now the most recent; d's 500 results bring the total past 1000, and c goes.
    cache.keep(key('b'), cache.take(key('b'), 400)!, 400);
    cache.keep(key('d'), strategy('d'), 500);
    expect([cache.has('b'), cache.has('c'), cache.has('d')]).toEqual([true, false, true]);
    expect(cache.results).toBe(900);
    // One campaign past the limit alone is not kept, and pushes out nothing.
    cache.keep(key('e'), strategy('e'), 1001);
    expect([cache.has('b'), cache.has('d'), cache.has('e')]).toEqual([true, true, false]);
    expect(cache.campaigns).toBe(2);
  });

  it('keeps nothing with a limit of 0 campaigns', () => {
    const cache = new StrategyCache({ campaigns: 0, results: 1000 });
    cache.keep(key('a'), strategy('a'), 200);
    expect(cache.campaigns).toBe(0);
  });
});

function definition(low = 0, high = 1) {
  return parseCampaignDefinition({
    name: 'cache',
    parameters: Array.from({ length: 3 }, (_, i) => ({ name: `x${i + 1}`, type: 'continuous', low, high })),
    objective: { name: 'y', direction: 'minimize' },
    budget: 1000,
    batchSize: 2,
    strategy: { kind: 'bayesian' },
    seed: 1,
  });
}

/** `count` seeded observations of a bowl with a ripple, every seventh a failure. */
function observations(count: number, seed: number): Observation[] {
  const rng = new Rng(seed);
  return Array.from({ length: count }, (_, k) => {
    const x = [rng.next(), rng.next(), rng.next()];
    const params = { x1: x[0], x2: x[1], x3: x[2] };
    if (k % 7 === 6) return { params, failed: true };
    return { params, value: x.reduce((s, v, i) => s + (v - 0.3 - 0.05 * i) ** 2 + 0.1 * Math.sin(9 * v), 0) };
  });
}

function job(data: Observation[], seed: number, version = 1, def = definition()): AskJob {
  return {
    definition: strategyDefinition(def),
    direction: 'minimize',
    observations: data,
    pending: [],
    rejected: [],
    n: 2,
    seed,
    campaign: { id: 'c1', definitionVersion: version },
  };
}

describe('askStrategy with a cache', () => {
  it(`at most ${REUSE_ABOVE_RESULTS} results proposes, seed for seed, exactly what a fresh strategy proposes`, async () => {
    for (const seed of [1, 2, 3]) {
      const cache = new StrategyCache();
      const all = observations(REUSE_ABOVE_RESULTS, seed);
      for (const count of [40, REUSE_ABOVE_RESULTS]) {
        const request = job(all.slice(0, count), seed);
        const cached = await askStrategy(request, cache);
        const fresh = await askStrategy({ ...request, campaign: undefined });
        expect(cached.kept).toBe(false);
        expect(cached.proposals).toEqual(fresh.proposals);
        expect(cached.info).toEqual(fresh.info);
        expect(cache.has('c1')).toBe(true);
      }
    }
  });

  it('above it asks the kept strategy with every result: new ones, failures and imports placed before them, as one strategy asked in turn would', async () => {
    const cache = new StrategyCache();
    const base = observations(130, 5);
    const imported = observations(12, 6);
    const asks = [base.slice(0, 110), base.slice(0, 116), [...imported, ...base.slice(0, 122)], [...imported, ...base]];
    // The reference: one strategy object asked the same data in turn (as an ask/tell session does).
    const reference = strategyFor(definition());
    const space = spaceOf(definition());
    for (const [i, data] of asks.entries()) {
      const outcome = await askStrategy(job(data, 9), cache);
      const expected = await reference.ask({ space, direction: 'minimize', observations: data, pending: [], rejected: [], n: 2, seed: 9 });
      expect(outcome.kept).toBe(i > 0);
      expect(outcome.proposals).toEqual(expected);
    }
  });

  it('builds a fresh strategy for a changed definition, proposing as a fresh one of the new definition', async () => {
    const cache = new StrategyCache();
    const data = observations(120, 7);
    await askStrategy(job(data, 3), cache);
    // Version 2 widens every range to [0, 2].
    const widened = job([...data, ...observations(4, 8)], 3, 2, definition(0, 2));
    const outcome = await askStrategy(widened, cache);
    const fresh = await askStrategy({ ...widened, campaign: undefined });
    expect(outcome.kept).toBe(false);
    expect(outcome.proposals).toEqual(fresh.proposals);
    expect(outcome.proposals.some((p) => Object.values(p.params).some((v) => (v as number) > 1))).toBe(true);
    // The same version again: its strategy is the one kept.
    expect((await askStrategy({ ...widened, observations: [...widened.observations, ...observations(2, 9)] }, cache)).kept).toBe(true);
  });
});
