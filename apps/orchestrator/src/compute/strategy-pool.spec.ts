import { afterEach, describe, expect, it } from '@jest/globals';
import { Test } from '@nestjs/testing';
import type { Observation } from '#optimizer';
import { Rng } from '#random';
import { computeInsights, type InsightsExperiment, type InsightsJob } from '#insights';
import { parseCampaignDefinition, type CampaignDefinition } from '../campaigns/campaign-definition.js';
import { outcomesOf } from '../campaigns/outcomes-definition.js';
import { askStrategy, type AskJob } from './strategy-ask.js';
import { StrategyCache } from './strategy-cache.js';
import { StrategyPool, type StrategyPoolOptions } from './strategy-pool.js';

/**
 * The worker from the TypeScript sources: jest runs the spec from them, and
 * plain node cannot load a .ts worker, so each worker registers module hooks
 * that compile the sources as jest does (the built service runs dist/'s .js).
 */
const hooks = new URL('../../../../test/support/ts-module-hooks.mjs', import.meta.url).href;
const FROM_SOURCES: Pick<StrategyPoolOptions, 'entry' | 'execArgv'> = {
  entry: new URL('./strategy-worker.ts', import.meta.url),
  execArgv: ['--import', `data:text/javascript,import { register } from 'node:module'; register(${JSON.stringify(hooks)});`],
};

/** A worker speaking the pool's protocol that ends its thread on an ask for -1 proposals and never answers one for 0, nor an insights job. */
const FAILING_WORKER = new URL(
  `data:text/javascript,${encodeURIComponent(`
    import { parentPort } from 'node:worker_threads';
    parentPort.on('message', ({ id, job }) => {
      if (job.n < 0) process.exit(7);
      if (job.n === 0 || job.n === undefined) return;
      parentPort.postMessage({ id, ok: true, outcome: { proposals: [], info: { name: 'echo', settings: {} }, elapsedMs: 0 } });
    });
  `)}`,
);

function definition(kind: string, dimensions: number, budget = 300): CampaignDefinition {
  return parseCampaignDefinition({
    name: 'pool',
    parameters: Array.from({ length: dimensions }, (_, i) => ({ name: `x${i + 1}`, type: 'continuous', low: 0, high: 1 })),
    objective: { name: 'y', direction: 'minimize' },
    budget,
    batchSize: 4,
    strategy: { kind },
    seed: 1,
  });
}

/** `count` observations of a smooth bowl with a ripple, at seeded uniform points. */
function observations(dimensions: number, count: number, seed: number): Observation[] {
  const rng = new Rng(seed);
  return Array.from({ length: count }, () => {
    const x = Array.from({ length: dimensions }, () => rng.next());
    const value = x.reduce((s, v, i) => s + (v - 0.3 - 0.05 * i) ** 2 + 0.1 * Math.sin(9 * v), 0);
    return { params: Object.fromEntries(x.map((v, i) => [`x${i + 1}`, v])), value };
  });
}

function job(kind: string, dimensions: number, count: number, seed: number, n = 3): AskJob {
  return {
    definition: definition(kind, dimensions),
    direction: 'minimize',
    observations: observations(dimensions, count, seed),
    pending: [],
    rejected: [],
    n,
    seed,
  };
}

/**
 * A campaign's console insights job: `count` completed experiments of the
 * bowl, then two proposals (one flagged by its strategy), a failure and one
 * running.
 */
function insightsJob(dimensions: number, count: number, seed: number): InsightsJob {
  const done: InsightsExperiment[] = observations(dimensions, count, seed).map((o, i) => ({
    id: `e${i}`,
    index: i,
    state: 'observed',
    params: o.params,
    objective: o.value ?? null,
    prediction: null,
  }));
  const more = observations(dimensions, 4, seed + 1).map((o, i) => ({ id: `e${count + i}`, index: count + i, params: o.params }));
  const experiments: InsightsExperiment[] = [
    ...done,
    { ...more[0], state: 'pending', objective: null, prediction: {} },
    { ...more[1], state: 'pending', objective: null, prediction: { extrapolation: 'outside the data' } },
    { ...more[2], state: 'failed', objective: null, prediction: null },
    { ...more[3], state: 'in-progress', objective: null, prediction: null },
  ];
  return { campaignId: 'c', seed, definition: definition('bayesian', dimensions), experiments };
}

/** The largest gap between ticks of a 10 ms interval while `work` runs, in ms. */
async function largestTickGap(work: () => Promise<unknown>): Promise<number> {
  let last = performance.now();
  let largest = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    largest = Math.max(largest, now - last);
    last = now;
  }, 10);
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  return Math.max(largest, performance.now() - last);
}

/** A job of `campaign` (kept on the worker that asks it, see strategy-cache.ts). */
function campaignJob(campaign: string, kind: string, count: number, seed: number, n = 2): AskJob {
  return { ...job(kind, 3, count, seed, n), campaign: { id: campaign, definitionVersion: 1 } };
}

describe('StrategyPool', () => {
  let pool: StrategyPool | undefined;
  afterEach(async () => {
    await pool?.close();
    pool = undefined;
  });

  it("sends a campaign's asks to the worker that keeps its strategy, which extends its fit there", async () => {
    pool = new StrategyPool({ size: 2, ...FROM_SOURCES, affinityWaitMs: 600_000 });
    const first = await pool.ask(campaignJob('a', 'bayesian', 110, 3));
    expect(first.kept).toBe(false);
    expect(pool.workerOf('a')).toBe(0);
    // b's first ask goes to a worker that keeps nothing (a new one); a's next ask, though it waits behind
    // another of its own, goes to a's worker and finds its strategy.
    const [b, a2, a3] = await Promise.all([
      pool.ask(campaignJob('b', 'bayesian', 110, 4)),
      pool.ask(campaignJob('a', 'bayesian', 111, 3)),
      pool.ask(campaignJob('a', 'bayesian', 112, 3)),
    ]);
    expect(pool.workers).toBe(2);
    expect([pool.workerOf('a'), pool.workerOf('b')]).toEqual([0, 1]);
    expect([b.kept, a2.kept, a3.kept]).toEqual([false, true, true]);
    // On the worker, as on the main thread: the proposals of one strategy asked in turn.
    const cache = new StrategyCache();
    for (const count of [110, 111, 112]) {
      const inThread = await askStrategy(campaignJob('a', 'bayesian', count, 3), cache);
      if (count === 112) expect(a3.proposals).toEqual(inThread.proposals);
    }
  });

  it("takes another worker for a campaign's ask when its worker stays busy past affinityWaitMs, or has stopped", async () => {
    pool = new StrategyPool({ size: 2, entry: FAILING_WORKER, affinityWaitMs: 150, closeTimeoutMs: 100 });
    await pool.ask(campaignJob('a', 'sobol', 0, 1));
    expect(pool.workerOf('a')).toBe(0);
    // The echo worker never answers an ask for 0 proposals: a's worker stays busy.
    // Its outcome is read at once, so that its rejection at shutdown is never an unhandled one.
    const stuck = pool.ask(campaignJob('a', 'sobol', 0, 1, 0)).then(
      () => 'answered',
      (e: Error) => e.message,
    );
    const next = await pool.ask(campaignJob('a', 'sobol', 0, 1));
    expect(next.waitedMs).toBeGreaterThanOrEqual(140);
    expect(pool.workerOf('a')).toBe(1);
    // a's worker (now the second) stops while computing a's ask: the next one goes to a worker at once.
    await expect(pool.ask(campaignJob('a', 'sobol', 0, 1, -1))).rejects.toThrow(/exit code 7/);
    expect(pool.workerOf('a')).toBeUndefined();
    const after = await pool.ask(campaignJob('a', 'sobol', 0, 1));
    expect(after.waitedMs).toBeLessThan(140);
    await pool.close();
    expect(await stuck).toMatch(/terminated at shutdown/);
  });

  it('without workers keeps the strategies on the main thread', async () => {
    pool = new StrategyPool({ size: 0 });
    expect((await pool.ask(campaignJob('a', 'bayesian', 105, 2))).kept).toBe(false);
    expect((await pool.ask(campaignJob('a', 'bayesian', 106, 2))).kept).toBe(true);
    expect((await pool.ask(job('bayesian', 3, 107, 2))).kept).toBe(false);
  });

  it('answers an ask on a worker with the proposals and provenance of the same ask on the main thread', async () => {
    pool = new StrategyPool({ size: 1, ...FROM_SOURCES });
    for (const kind of ['bayesian', 'default', 'sobol']) {
      const request = job(kind, 3, 12, 4);
      const inThread = await askStrategy(request);
      const inWorker = await pool.ask(request);
      expect(inWorker.proposals).toHaveLength(3);
      expect(inWorker.proposals).toEqual(inThread.proposals);
      expect(inWorker.info).toEqual(inThread.info);
    }
    expect(pool.workers).toBe(1);
  });

  it('returns an error raised in the worker with its message, and the worker goes on answering', async () => {
    pool = new StrategyPool({ size: 1, ...FROM_SOURCES });
    // strategyFor refuses a D-optimal strategy without a model (parseCampaignDefinition would have refused it first).
    const broken = job('sobol', 2, 0, 1);
    broken.definition = { ...broken.definition, strategy: { ...broken.definition.strategy, kind: 'doptimal' } };
    await expect(pool.ask(broken)).rejects.toThrow('a doptimal strategy needs a model and runs');
    // A definition that never went through parseCampaignDefinition: the error keeps its class name and message.
    const noSpace = job('sobol', 2, 0, 1);
    noSpace.definition = { ...noSpace.definition, parameters: undefined as never };
    const inThread = await askStrategy(noSpace).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(inThread).toBeInstanceOf(TypeError);
    await expect(pool.ask(noSpace)).rejects.toMatchObject({ name: 'TypeError', message: inThread!.message });
    expect((await pool.ask(job('sobol', 2, 0, 1))).proposals).toHaveLength(3);
    expect(pool.workers).toBe(1);
  });

  it('queues asks beyond its size and answers every one as the main thread would', async () => {
    pool = new StrategyPool({ size: 2, ...FROM_SOURCES });
    const requests = [1, 2, 3, 4, 5].map((seed) => job('bayesian', 2, 10, seed, 2));
    const answers = await Promise.all(requests.map((r) => pool!.ask(r)));
    expect(pool.workers).toBe(2);
    expect(answers.filter((a) => a.waitedMs > 0).length).toBeGreaterThanOrEqual(3);
    for (const [i, r] of requests.entries()) expect(answers[i].proposals).toEqual((await askStrategy(r)).proposals);
  });

  it('fails the ask of a worker that dies with a clear error and answers the next ask on a new worker', async () => {
    pool = new StrategyPool({ size: 1, entry: FAILING_WORKER });
    const queued = pool.ask(job('sobol', 2, 0, 1, 2));
    await expect(pool.ask(job('sobol', 2, 0, 1, -1))).rejects.toThrow(
      /strategy worker computing this ask stopped with exit code 7; no proposals were made/,
    );
    const before = await queued;
    expect(before.info.name).toBe('echo');
    await expect(pool.ask(job('sobol', 2, 0, 1, -1))).rejects.toThrow(/exit code 7/);
    expect((await pool.ask(job('sobol', 2, 0, 1, 2))).info.name).toBe('echo');
    expect(pool.workers).toBe(1);
  });

  it('at close lets the asks in flight finish, fails the waiting ones and stops its workers', async () => {
    // A close timeout well above the ask's time, however loaded the machine: the next test covers the timeout itself.
    pool = new StrategyPool({ size: 1, ...FROM_SOURCES, closeTimeoutMs: 60_000 });
    const inFlight = pool.ask(job('bayesian', 2, 10, 1));
    const waiting = pool.ask(job('bayesian', 2, 10, 2));
    await new Promise((r) => setTimeout(r, 50));
    const closing = pool.close();
    await expect(waiting).rejects.toThrow('the strategy pool closed before this ask started');
    expect((await inFlight).proposals).toHaveLength(3);
    await closing;
    expect(pool.workers).toBe(0);
    await expect(pool.ask(job('sobol', 2, 0, 1))).rejects.toThrow('the strategy pool is closed');
  });

  it('at close terminates a worker whose ask outlasts the timeout, failing that ask', async () => {
    pool = new StrategyPool({ size: 1, entry: FAILING_WORKER, closeTimeoutMs: 100 });
    const stuck = pool.ask(job('sobol', 2, 0, 1, 0));
    await new Promise((r) => setTimeout(r, 50));
    const started = performance.now();
    await pool.close();
    expect(performance.now() - started).toBeLessThan(2000);
    await expect(stuck).rejects.toThrow(/terminated at shutdown; no proposals were made/);
    expect(pool.workers).toBe(0);
  });

  it('stops its workers when the application shuts down', async () => {
    const moduleRef = await Test.createTestingModule({
      providers: [{ provide: StrategyPool, useFactory: () => new StrategyPool({ size: 1, ...FROM_SOURCES }) }],
    }).compile();
    const app = await moduleRef.init();
    const inApp = app.get(StrategyPool);
    await inApp.ask(job('sobol', 2, 0, 1));
    expect(inApp.workers).toBe(1);
    await app.close();
    expect(inApp.workers).toBe(0);
  });

  it("computes a campaign's insights on a worker with the figures of the same job on the main thread", async () => {
    pool = new StrategyPool({ size: 1, ...FROM_SOURCES });
    const first = insightsJob(3, 24, 5);
    const inThread = computeInsights(first);
    const inWorker = await pool.insights(first);
    expect(inThread.value.model).toMatchObject({ validation: '10-fold', observations: 24, hyperparametersFittedTo: 24 });
    expect(inThread.value.pending.map((p) => p.extrapolation)).toEqual([null, 'outside the data']);
    expect(inWorker.value).toEqual(inThread.value);
    expect(inWorker.fitted).toEqual(inThread.fitted);
    // A few more results: the hyperparameters of the first answer are reused, on either side.
    const second = { ...insightsJob(3, 27, 5), previous: inWorker.fitted };
    const again = await pool.insights(second);
    expect(again.value.model).toMatchObject({ observations: 27, hyperparametersFittedTo: 24 });
    expect(again.value).toEqual(computeInsights(second).value);
    // Too few results for a model: the note, and the previous hyperparameters kept.
    const few = { ...insightsJob(3, 2, 5), previous: inWorker.fitted };
    const early = await pool.insights(few);
    expect(early.value.model).toBeNull();
    expect(early.value.note).toBe('the model needs at least 3 results (2 so far)');
    expect(early.fitted).toEqual(inWorker.fitted);
    expect(pool.workers).toBe(1);
  });

  it('at close fails the insights jobs waiting and those outlasting the timeout, each with a clear error', async () => {
    pool = new StrategyPool({ size: 1, entry: FAILING_WORKER, closeTimeoutMs: 100 });
    const stuck = pool.insights(insightsJob(2, 5, 1));
    const waiting = pool.insights(insightsJob(2, 5, 2));
    await new Promise((r) => setTimeout(r, 50));
    const closing = pool.close();
    await expect(waiting).rejects.toThrow('the strategy pool closed before this insights job started');
    await expect(stuck).rejects.toThrow(
      'the strategy worker computing this insights job was terminated at shutdown; no figures were computed',
    );
    await closing;
    expect(pool.workers).toBe(0);
    await expect(pool.insights(insightsJob(2, 5, 1))).rejects.toThrow('the strategy pool is closed: no more insights are computed');
  });

  it('answers an ask of several objectives and a limit on a worker as on the main thread, with every outcome predicted', async () => {
    pool = new StrategyPool({ size: 1, ...FROM_SOURCES });
    const d = parseCampaignDefinition({
      name: 'pareto',
      parameters: [
        { name: 'x1', type: 'continuous', low: 0, high: 1 },
        { name: 'x2', type: 'continuous', low: 0, high: 1 },
      ],
      objectives: [
        { name: 'f1', direction: 'minimize' },
        { name: 'f2', direction: 'minimize' },
      ],
      outcomeConstraints: [{ name: 'g', op: '<=', value: 0.6 }],
      budget: 40,
      batchSize: 2,
      seed: 1,
    });
    const rng = new Rng(5);
    const observations = Array.from({ length: 10 }, () => {
      const [x1, x2] = [rng.next(), rng.next()];
      const values = { f1: x1, f2: 1 - Math.sqrt(x1) + x2, g: x1 + x2 };
      return { params: { x1, x2 }, value: values.f1, values };
    });
    const request: AskJob = {
      definition: d,
      direction: 'minimize',
      observations,
      outcomes: outcomesOf(d),
      front: [],
      pending: [],
      rejected: [],
      n: 2,
      seed: 3,
    };
    const inThread = await askStrategy(request);
    const inWorker = await pool.ask(request);
    expect(inWorker.info.name).toBe('bayesian/multi-objective');
    expect(inWorker.proposals).toEqual(inThread.proposals);
    for (const p of inWorker.proposals) {
      expect(Object.keys(p.predictions ?? {}).sort()).toEqual(['f1', 'f2', 'g']);
      expect(p.limits?.[0].probability).toBeGreaterThanOrEqual(0);
      expect(p.improves).toEqual(['f1', 'f2']);
    }
  }, 60_000);

  it('run from the TypeScript sources without an entry, asks on the main thread', async () => {
    pool = new StrategyPool({ size: 2 });
    expect(pool.size).toBe(0);
    const request = job('sobol', 2, 0, 3);
    expect((await pool.ask(request)).proposals).toEqual((await askStrategy(request)).proposals);
    const insights = insightsJob(2, 6, 3);
    expect((await pool.insights(insights)).value).toEqual(computeInsights(insights).value);
    expect(pool.workers).toBe(0);
  });

  it('keeps the main thread responsive while a GP on 150 observations in 6-D is fitted', async () => {
    pool = new StrategyPool({ size: 1, ...FROM_SOURCES });
    const request = job('bayesian', 6, 150, 9, 4);
    await pool.ask(job('sobol', 6, 0, 1)); // the worker started and its modules loaded
    let inWorker: Awaited<ReturnType<StrategyPool['ask']>> | undefined;
    const workerGap = await largestTickGap(async () => (inWorker = await pool!.ask(request)));
    let inThread: Awaited<ReturnType<typeof askStrategy>> | undefined;
    const threadGap = await largestTickGap(async () => (inThread = await askStrategy(request)));
    process.stdout.write(
      `GP ask, 150 observations in 6-D: largest gap between 10 ms ticks ${Math.round(workerGap)} ms with the ask on a worker (ask ${Math.round(inWorker!.elapsedMs)} ms), ${Math.round(threadGap)} ms on the main thread (ask ${Math.round(inThread!.elapsedMs)} ms)\n`,
    );
    expect(inWorker!.proposals).toEqual(inThread!.proposals);
    expect(workerGap).toBeLessThan(100);
    // On the main thread nothing else runs until the fit is done.
    expect(threadGap).toBeGreaterThan(Math.min(100, inThread!.elapsedMs / 2));
  });
});
