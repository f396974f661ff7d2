/**
 * Waiting for a server that is not up yet (a machine booting, a database
 * restarting, a container started before its broker): capped exponential
 * backoff, each retry logged with its reason, until a limit. The loop is
 * p-retry's; what is ours is which errors are retried (a caller's
 * `retryReason`: only those meaning "not reachable yet", since waiting cannot
 * mend a wrong password), the log line before each pause, and the give-up
 * error naming the server, the last reason and the setting that sets the wait.
 */
import pRetry from 'p-retry';

export const DEFAULT_INITIAL_DELAY_MS = 500;
export const DEFAULT_MAX_DELAY_MS = 10_000;

/** The pause before attempt n + 1 (n from 1): initial · 2^(n−1), at most max (p-retry's schedule with factor 2). */
export function backoffDelayMs(attempt: number, initialMs = DEFAULT_INITIAL_DELAY_MS, maxMs = DEFAULT_MAX_DELAY_MS): number {
  return Math.min(maxMs, initialMs * 2 ** Math.max(0, attempt - 1));
}

export interface RetryOptions {
  /** The reason to retry after this error; undefined: rethrow it at once. */
  retryReason: (error: unknown) => string | undefined;
  /** Told before each pause. */
  onRetry: (reason: string, delayMs: number, attempt: number) => void;
  /** Stop retrying this many ms after the first attempt (the last pause is cut to end then); 0: one attempt; Infinity: never. */
  maxWaitMs: number;
  /** First pause, doubled after each attempt up to maxDelayMs. */
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** Aborts the wait: the pending pause ends at once, rejecting with the signal's reason. */
  signal?: AbortSignal;
}

/**
 * Runs `attempt` until it succeeds, fails for an error without a retry reason,
 * or maxWaitMs is over; then rejects with the last error (or the signal's reason).
 */
export async function retry<T>(attempt: () => Promise<T>, options: RetryOptions): Promise<T> {
  const initial = options.initialDelayMs ?? DEFAULT_INITIAL_DELAY_MS;
  const max = options.maxDelayMs ?? DEFAULT_MAX_DELAY_MS;
  const started = Date.now();
  try {
    return await pRetry(
      async () => {
        try {
          return await attempt();
        } catch (e) {
          throw new FailedAttempt(e);
        }
      },
      {
        retries: Number.POSITIVE_INFINITY,
        factor: 2,
        minTimeout: initial,
        maxTimeout: max,
        maxRetryTime: options.maxWaitMs,
        randomize: false,
        signal: options.signal,
        // Asked only while time is left; p-retry then pauses min(backoff, time left), as told here.
        shouldRetry: ({ error, attemptNumber }) => {
          const reason = options.retryReason(error instanceof FailedAttempt ? error.thrown : error);
          if (reason === undefined) return false;
          const left = started + options.maxWaitMs - Date.now();
          options.onRetry(reason, Math.min(left, backoffDelayMs(attemptNumber, initial, max)), attemptNumber);
          return true;
        },
      },
    );
  } catch (e) {
    throw e instanceof FailedAttempt ? e.thrown : e;
  }
}

/**
 * What an attempt threw, as p-retry sees it. p-retry takes anything that is
 * not an Error of its own realm (an error of Node's core under jest's VM
 * modules) for a programming error and never retries a TypeError: wrapped,
 * only retryReason decides, and the caller gets back what was thrown.
 */
class FailedAttempt extends Error {
  constructor(readonly thrown: unknown) {
    super('attempt failed');
  }
}

export interface WaitOptions {
  /** Give up this many seconds after the first attempt; 0: one attempt only. */
  waitS: number;
  /** First pause between attempts, doubled after each up to maxDelayMs. */
  initialDelayMs?: number;
  maxDelayMs?: number;
  log: (message: string) => void;
  /** Aborts the wait (a signal while starting); the pending pause ends at once. */
  signal?: AbortSignal;
  /** Appended to the give-up message, e.g. which setting sets the wait. */
  hint?: string;
}

/** What `retryWhileUnreachable` needs to know about a server. */
export interface WaitTarget {
  /** Names the server in messages, e.g. `database at postgres://u:***@db:5432/x`; never holds a password (see redactUrl). */
  what: string;
  /** The reason to retry for an error meaning "not reachable yet"; undefined for an error that waiting cannot mend. */
  retryReason: (error: unknown) => string | undefined;
}

export class ServerNotReachableError extends Error {
  constructor(
    message: string,
    readonly attempts: number,
    readonly lastReason: string,
  ) {
    super(message);
    this.name = 'ServerNotReachableError';
  }
}

/**
 * Runs `attempt` (connecting to a server) until it succeeds, fails for a
 * reason waiting cannot mend (rethrown as it is), or the wait is over
 * (ServerNotReachableError).
 */
export async function retryWhileUnreachable<T>(target: WaitTarget, attempt: () => Promise<T>, options: WaitOptions): Promise<T> {
  const started = Date.now();
  let retries = 0;
  try {
    return await retry(attempt, {
      retryReason: target.retryReason,
      onRetry: (reason, delayMs) => {
        retries++;
        options.log(`${target.what} not reachable (${reason}); retrying in ${formatSeconds(delayMs)}`);
      },
      maxWaitMs: options.waitS * 1000,
      initialDelayMs: options.initialDelayMs,
      maxDelayMs: options.maxDelayMs,
      signal: options.signal,
    });
  } catch (e) {
    const reason = options.signal?.aborted ? undefined : target.retryReason(e);
    if (reason === undefined) throw e;
    const n = retries + 1;
    const waited =
      options.waitS > 0 ? ` after ${formatSeconds(Date.now() - started)} (${n} attempts)` : ' (not waiting: the wait is set to 0)';
    const hint = options.hint ? `; ${options.hint}` : '';
    throw new ServerNotReachableError(`${target.what} not reachable${waited}: ${reason}${hint}`, n, reason);
  }
}

function formatSeconds(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${Number((ms / 1000).toFixed(1))} s`;
}
