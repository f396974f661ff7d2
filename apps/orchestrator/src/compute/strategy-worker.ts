/**
 * A worker thread of the strategy pool (strategy-pool.ts): answers asks,
 * questions to a campaign's model, and computes the console's insights, one job at a time, so a GP fit that takes
 * seconds of CPU does not hold up the service's main thread. Errors come
 * back as replies; the worker lives on.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { computeInsights } from '#insights';
import { askFailure, askStrategy, type PoolMessage, type PoolReply } from './strategy-ask.js';
import { answerModelQuestion } from './model-query.js';
import { DEFAULT_STRATEGY_CACHE, StrategyCache, type StrategyWorkerData } from './strategy-cache.js';

if (!parentPort) throw new Error('strategy-worker runs as a worker thread of the strategy pool, not as a program of its own');
const port = parentPort;
/** The strategies of the campaigns this worker asked last: the pool sends a campaign's next ask here (strategy-cache.ts). */
const cache = new StrategyCache((workerData as StrategyWorkerData | undefined)?.cache ?? DEFAULT_STRATEGY_CACHE);

port.on('message', (message: PoolMessage) => void answer(message));

/** Computes one job and posts its reply; every failure is part of the reply, so the promise never rejects. */
async function answer(message: PoolMessage): Promise<void> {
  const { id } = message;
  let reply: PoolReply<unknown>;
  try {
    const outcome =
      message.kind === 'insights'
        ? computeInsights(message.job)
        : message.kind === 'model'
          ? answerModelQuestion(message.job)
          : await askStrategy(message.job, cache);
    reply = { id, ok: true, outcome };
  } catch (e) {
    reply = { id, ok: false, error: askFailure(e) };
  }
  try {
    port.postMessage(reply);
  } catch (e) {
    // An answer that cannot be cloned (a strategy returning more than data): the job fails, not the worker.
    port.postMessage({ id, ok: false, error: askFailure(e) } satisfies PoolReply<unknown>);
  }
}
