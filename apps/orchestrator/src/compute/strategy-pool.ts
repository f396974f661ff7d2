import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { Logger, type OnApplicationShutdown } from '@nestjs/common';
import { computeInsights, type InsightsJob, type InsightsOutcome } from '#insights';
import { askStrategy, type AskFailure, type AskJob, type AskOutcome, type PoolMessage, type PoolReply } from './strategy-ask.js';
import { answerModelQuestion, type ModelJob, type ModelOutcome } from './model-query.js';
import { DEFAULT_STRATEGY_CACHE, StrategyCache, type StrategyCacheLimits, type StrategyWorkerData } from './strategy-cache.js';

export interface StrategyPoolOptions {
  /** Worker threads; 0: asks run on the calling thread. */
  size: number;
  /** The worker script; default: the compiled strategy-worker.js beside this module (see compiledWorker). */
  entry?: URL;
  /** Node options of each worker (e.g. an `--import` that registers a loader for TypeScript sources). */
  execArgv?: string[];
  /** At close, asks in flight get this long to finish before their workers are terminated. Default 5000 ms. */
  closeTimeoutMs?: number;
  /** What each worker (or the main thread without workers) keeps of the strategies it asked. Default DEFAULT_STRATEGY_CACHE. */
  cache?: StrategyCacheLimits;
  /**
   * An ask of a campaign waits this long for the worker that asked last for
   * it (and keeps its fitted strategy) when that one is busy, then takes any
   * free worker, where it fits afresh. Default 2000 ms.
   */
  affinityWaitMs?: number;
}

/** Campaigns whose last worker the pool remembers, at most (the least recently asked are forgotten). */
const AFFINITY_LIMIT = 1024;

export interface PooledOutcome extends AskOutcome {
  /** Time the ask waited in the queue for a free worker, in ms (0 on the calling thread). */
  waitedMs: number;
}

export interface PooledInsights extends InsightsOutcome {
  /** Time the job waited in the queue for a free worker, in ms (0 on the calling thread). */
  waitedMs: number;
}

/** A job for a worker: the message it gets, less the id. */
type Work = { kind: 'ask'; job: AskJob } | { kind: 'insights'; job: InsightsJob } | { kind: 'model'; job: ModelJob };

/** How the errors of a job name it, and what is missing when it fails. */
const WORDS: Record<Work['kind'], { job: string; closed: string; lost: string }> = {
  ask: { job: 'this ask', closed: 'no more proposals are computed', lost: 'no proposals were made' },
  insights: { job: 'this insights job', closed: 'no more insights are computed', lost: 'no figures were computed' },
  model: { job: 'this question to the model', closed: 'the model answers no more questions', lost: 'the model gave no answer' },
};

interface Task {
  id: number;
  work: Work;
  /** The campaign an ask is for: it goes to the worker that asked last for it when that one is free. */
  affinity?: string;
  queuedAt: number;
  waitedMs: number;
  resolve(outcome: { waitedMs: number }): void;
  reject(error: Error): void;
  settled: Promise<unknown>;
}

interface Slot {
  worker: Worker;
  task?: Task;
  /** The uncaught error that is ending the worker, if any (its 'exit' follows). */
  error?: Error;
}

/**
 * The worker script. Built (dist/, as `npm start`, the demo, the benchmarks
 * and the service's child-process tests run it), it is strategy-worker.js
 * beside this module. Run from the TypeScript sources (jest), there is none
 * beside: plain node cannot load a .ts file, and a dist/ copy may be older
 * than the sources, so such a pool asks on the main thread, as with
 * PROPOSAL_WORKERS=0; a spec that wants threads passes an entry and a loader.
 */
function compiledWorker(): URL | undefined {
  const url = new URL('./strategy-worker.js', import.meta.url);
  return existsSync(fileURLToPath(url)) ? url : undefined;
}

function workerError(failure: AskFailure): Error {
  const error = new Error(failure.message);
  error.name = failure.name;
  // The worker's stack says where the strategy failed; the pool's would only show the message handler.
  if (failure.stack) error.stack = failure.stack;
  return error;
}

/**
 * Runs strategy asks on a few worker threads, so the main thread keeps
 * serving MQTT results, HTTP and the console while a GP is fitted. Workers
 * start when an ask needs one and are replaced the same way after one dies
 * (its ask fails with an error saying so); asks beyond the pool's size wait
 * in order. Only plain data crosses: the space and strategy settings of the
 * campaign's definition and the request, and back the proposals (checked
 * against the space where it was built) and the strategy's provenance. The
 * console's insights (#insights) run here too, as their
 * own kind of job: the campaign's experiments go, the figures come back.
 */
export class StrategyPool implements OnApplicationShutdown {
  private readonly logger = new Logger('strategy-pool');
  /** Worker threads this pool runs at most; 0: asks run on the calling thread. */
  readonly size: number;
  private readonly entry?: URL;
  private readonly execArgv?: string[];
  private readonly closeTimeoutMs: number;
  private readonly slots: Slot[] = [];
  private readonly queue: Task[] = [];
  private nextId = 1;
  private closed = false;
  private readonly cacheLimits: StrategyCacheLimits;
  /** The main thread's strategies, when the pool has no workers. */
  private readonly cache: StrategyCache;
  private readonly affinityWaitMs: number;
  /** Per campaign, the worker that asked last for it. */
  private readonly affinity = new Map<string, Slot>();
  /** Dispatches again when an ask waiting for its worker has waited long enough. */
  private affinityTimer: NodeJS.Timeout | undefined;

  constructor(options: StrategyPoolOptions) {
    this.entry = options.entry ?? (options.size > 0 ? compiledWorker() : undefined);
    this.size = this.entry ? options.size : 0;
    this.execArgv = options.execArgv;
    this.closeTimeoutMs = options.closeTimeoutMs ?? 5000;
    this.cacheLimits = options.cache ?? DEFAULT_STRATEGY_CACHE;
    this.cache = new StrategyCache(this.cacheLimits);
    this.affinityWaitMs = options.affinityWaitMs ?? 2000;
    if (options.size > 0 && !this.entry)
      this.logger.log(
        `no compiled strategy-worker.js beside ${fileURLToPath(import.meta.url)}: proposals and console insights run on the main thread`,
      );
  }

  /** Worker threads running now (they start on demand). */
  get workers(): number {
    return this.slots.length;
  }

  /**
   * Asks the job's strategy, on a worker when the pool has any. An ask that
   * names its campaign goes to the worker that asked last for it, where the
   * campaign's strategy is kept (strategy-cache.ts), unless that one stays
   * busy past affinityWaitMs or has stopped; without workers the main thread
   * keeps the strategies.
   */
  ask(job: AskJob): Promise<PooledOutcome> {
    return this.run<PooledOutcome>(
      { kind: 'ask', job },
      async () => ({ ...(await askStrategy(job, this.cache)), waitedMs: 0 }),
      job.campaign?.id,
    );
  }

  /** The worker the campaign's next ask prefers, as its index among the running workers (undefined: none). For tests and logs. */
  workerOf(campaign: string): number | undefined {
    const slot = this.affinity.get(campaign);
    const index = slot ? this.slots.indexOf(slot) : -1;
    return index < 0 ? undefined : index;
  }

  /**
   * Computes a campaign's console insights, on a worker when the pool has
   * any; they wait in the same queue as asks, so the console's figures never
   * take more threads than proposals may.
   */
  insights(job: InsightsJob): Promise<PooledInsights> {
    return this.run<PooledInsights>({ kind: 'insights', job }, async () => ({ ...computeInsights(job), waitedMs: 0 }));
  }

  /** Answers a question to a campaign's model (model-query.ts), on a worker when the pool has any, in the same queue as asks. */
  model(job: ModelJob): Promise<ModelOutcome & { waitedMs: number }> {
    return this.run<ModelOutcome & { waitedMs: number }>({ kind: 'model', job }, () =>
      Promise.resolve({ ...answerModelQuestion(job), waitedMs: 0 }),
    );
  }

  private async run<Outcome extends { waitedMs: number }>(
    work: Work,
    inProcess: () => Promise<Outcome>,
    affinity?: string,
  ): Promise<Outcome> {
    if (this.closed) throw new Error(`the strategy pool is closed: ${WORDS[work.kind].closed}`);
    if (this.size === 0) return inProcess();
    let resolve!: (outcome: Outcome) => void;
    let reject!: (error: Error) => void;
    const promise = new Promise<Outcome>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const settled = promise.catch(() => undefined);
    // The worker answers with the outcome of this job's kind (strategy-worker.ts).
    const task: Task = {
      id: this.nextId++,
      work,
      affinity,
      queuedAt: performance.now(),
      waitedMs: 0,
      resolve: resolve,
      reject,
      settled,
    };
    this.queue.push(task);
    this.dispatch();
    return promise;
  }

  /**
   * Lets the asks in flight finish (for closeTimeoutMs at most), then
   * terminates the workers; asks still waiting for a worker fail at once.
   */
  async close(timeoutMs = this.closeTimeoutMs): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.affinityTimer);
    for (const task of this.queue.splice(0)) task.reject(new Error(`the strategy pool closed before ${WORDS[task.work.kind].job} started`));
    const inFlight = this.slots.flatMap((s) => (s.task ? [s.task.settled] : []));
    if (inFlight.length > 0) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((r) => (timer = setTimeout(r, timeoutMs)));
      await Promise.race([Promise.all(inFlight), timeout]);
      clearTimeout(timer);
    }
    // A worker still busy after the timeout: its ask fails through the 'exit' handler.
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }

  onApplicationShutdown(): Promise<void> {
    return this.close();
  }

  /**
   * Hands waiting jobs to free workers in order, starting workers up to the
   * pool's size. An ask whose campaign's worker is busy waits for it (up to
   * affinityWaitMs) while the jobs behind it go on.
   */
  private dispatch(): void {
    clearTimeout(this.affinityTimer);
    this.affinityTimer = undefined;
    let retryInMs = Infinity;
    for (let i = 0; i < this.queue.length && !this.closed;) {
      const task = this.queue[i];
      const slot = this.slotFor(task, i);
      if (slot === undefined) break; // every worker is busy and the pool is full
      if (typeof slot === 'number') {
        retryInMs = Math.min(retryInMs, slot);
        i++;
        continue;
      }
      this.queue.splice(i, 1);
      task.waitedMs = performance.now() - task.queuedAt;
      try {
        slot.worker.postMessage({ id: task.id, ...task.work } satisfies PoolMessage);
      } catch (e) {
        // A job that is not plain data (DataCloneError): this ask fails, the worker stays free.
        task.reject(e instanceof Error ? e : new Error(String(e)));
        continue;
      }
      slot.task = task;
      if (task.affinity !== undefined) this.remember(task.affinity, slot);
      // A busy worker keeps the process alive until it answers; an idle one does not.
      slot.worker.ref();
    }
    if (retryInMs < Infinity && !this.closed) {
      this.affinityTimer = setTimeout(() => this.dispatch(), Math.max(1, Math.ceil(retryInMs)));
      this.affinityTimer.unref();
    }
  }

  /**
   * The worker for the task at `index` of the queue: its campaign's worker
   * when that one is free; the ms left to wait for it while it is busy;
   * otherwise a free worker no waiting ask is bound to, a new one, or any
   * free one; undefined when none is free and the pool is full.
   */
  private slotFor(task: Task, index: number): Slot | number | undefined {
    const preferred = task.affinity === undefined ? undefined : this.affinity.get(task.affinity);
    if (preferred && this.slots.includes(preferred)) {
      if (!preferred.task) return preferred;
      const left = this.affinityWaitMs - (performance.now() - task.queuedAt);
      if (left > 0) return left;
    }
    const free = this.slots.filter((s) => !s.task);
    const bound = new Set(this.queue.slice(index + 1).flatMap((t) => (t.affinity === undefined ? [] : [this.affinity.get(t.affinity)])));
    // Another campaign's worker keeps that campaign's strategy: a worker keeping none, or a new one, goes first.
    const keeping = new Map<Slot, number>();
    for (const s of this.affinity.values()) keeping.set(s, (keeping.get(s) ?? 0) + 1);
    const open = free.filter((s) => !bound.has(s)).sort((a, b) => (keeping.get(a) ?? 0) - (keeping.get(b) ?? 0));
    if (open.length > 0 && !keeping.has(open[0])) return open[0];
    if (this.slots.length < this.size) return this.spawn();
    return open[0] ?? free[0];
  }

  /** The campaign's asks prefer this worker from now on; the least recently asked campaigns past AFFINITY_LIMIT are forgotten. */
  private remember(campaign: string, slot: Slot): void {
    this.affinity.delete(campaign);
    this.affinity.set(campaign, slot);
    if (this.affinity.size > AFFINITY_LIMIT) this.affinity.delete(this.affinity.keys().next().value!);
  }

  private spawn(): Slot {
    const worker = new Worker(this.entry!, {
      execArgv: this.execArgv,
      name: 'hakken-strategy',
      workerData: { cache: this.cacheLimits } satisfies StrategyWorkerData,
    });
    worker.unref();
    const slot: Slot = { worker };
    this.slots.push(slot);
    worker.on('message', (reply: PoolReply<object>) => {
      const task = slot.task;
      if (!task || task.id !== reply.id) return;
      slot.task = undefined;
      worker.unref();
      if (reply.ok) task.resolve({ ...reply.outcome, waitedMs: task.waitedMs });
      else task.reject(workerError(reply.error));
      this.dispatch();
    });
    // A reply that cannot be deserialised here: its ask fails, the worker is free again.
    worker.on('messageerror', (e) => {
      const task = slot.task;
      slot.task = undefined;
      worker.unref();
      task?.reject(new Error(`the strategy worker's answer could not be read: ${e.message}`));
      this.dispatch();
    });
    worker.on('error', (e) => (slot.error = e));
    worker.on('exit', (code) => {
      this.slots.splice(this.slots.indexOf(slot), 1);
      // Its kept strategies are gone: the campaigns' next asks go to any worker.
      for (const [campaign, s] of this.affinity) if (s === slot) this.affinity.delete(campaign);
      const cause = slot.error ? `: ${slot.error.message}` : '';
      const task = slot.task;
      if (task) {
        const why = this.closed ? 'was terminated at shutdown' : `stopped with exit code ${code}${cause}`;
        const words = WORDS[task.work.kind];
        task.reject(new Error(`the strategy worker computing ${words.job} ${why}; ${words.lost}`));
      }
      if (this.closed) return;
      const during = task ? (task.work.kind === 'ask' ? ' while computing an ask' : " while computing a campaign's insights") : '';
      this.logger.error(`a strategy worker stopped with exit code ${code}${cause}${during}`);
      // The waiting asks get a new worker in its place.
      this.dispatch();
    });
    return slot;
  }
}
