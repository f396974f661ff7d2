import type { RunCommand } from '#protocol';
import { AbortFailed, parseRigResult, RunAborted, type RunContext, type RunHandler, type RunOutcome } from '#device-sdk';

export interface HttpRunnerOptions {
  /** The rig's endpoint: each experiment's params are POSTed here as a JSON object. */
  runUrl: string;
  /**
   * Status endpoint for long runs, polled with GET after the rig answers 202
   * (or a body with a running status). `{id}` is replaced by the `id` the rig
   * returned (else the experiment id), `{experimentId}` by the experiment id.
   * Not needed when the rig returns a `Location` header or a `statusUrl` field.
   */
  statusUrl?: string;
  /** Limit for the whole experiment (request and polling): past it, a device failure. */
  timeoutMs: number;
  /** Limit per HTTP request. Default min(30 s, timeoutMs). */
  requestTimeoutMs?: number;
  /** Between status polls. Default 1000 ms. */
  pollIntervalMs?: number;
  /** Consecutive failed polls (network error, 5xx) tolerated before a device failure. Default 3. */
  pollRetries?: number;
  /** Extra request headers (e.g. Authorization). */
  headers?: Record<string, string>;
  /**
   * The rig's abort route, POSTed (with the experiment's X-Hakken headers) when the service aborts the
   * experiment or stops the device: `{id}` and `{experimentId}` as in statusUrl. The device acknowledges the
   * abort once the rig answered 2xx, and reports an error when it did not. Without it, the run is abandoned.
   */
  abortUrl?: string;
}

const RUNNING = new Set(['queued', 'pending', 'accepted', 'running', 'in_progress', 'started']);
const FAILED = new Set(['failed', 'error']);
const ENVELOPE_KEYS = new Set(['status', 'progress', 'message', 'id', 'statusUrl']);

class DeviceFailure extends Error {}
class ExperimentFailure extends Error {}

/**
 * A run handler that calls a rig's HTTP API per experiment: POST the params
 * as JSON to `runUrl` (with X-Hakken-Experiment-Id, X-Hakken-Attempt and
 * X-Hakken-Campaign-Id headers), read the JSON result (see parseRigResult), or
 * on 202 poll a status URL until the rig reports done or failed.
 *
 *   2xx with a result              -> result
 *   4xx, or status "failed"        -> experiment failure (the reason from the body)
 *   5xx, network error, timeout    -> device failure (retried elsewhere)
 */
export function httpRunHandler(options: HttpRunnerOptions): RunHandler {
  new URL(options.runUrl); // throws "Invalid URL" early
  if (!(options.timeoutMs > 0)) throw new Error(`http adapter: timeoutMs must be positive, got ${options.timeoutMs}`);
  return (command, ctx) => runHttp(options, command, ctx);
}

export async function runHttp(options: HttpRunnerOptions, command: RunCommand, ctx: RunContext): Promise<RunOutcome> {
  const deadline = Date.now() + options.timeoutMs;
  let rigId: string | undefined;
  try {
    const headers = {
      'content-type': 'application/json',
      accept: 'application/json',
      'x-hakken-experiment-id': command.experimentId,
      'x-hakken-attempt': String(command.attempt),
      'x-hakken-campaign-id': command.campaignId,
      ...options.headers,
    };
    const first = await request(
      options,
      options.runUrl,
      { method: 'POST', headers, body: JSON.stringify(command.params) },
      deadline,
      ctx.signal,
    );
    if (typeof first.json?.id === 'string') rigId = first.json.id;
    if (first.status !== 202 && !isRunning(first.json)) return resultOf(first.json, first.text);
    const statusUrl = statusUrlOf(options, first, command.experimentId);
    return await poll(options, statusUrl, headers, deadline, ctx);
  } catch (err) {
    if (ctx.signal.aborted && ctx.signal.reason instanceof RunAborted && options.abortUrl) {
      await abortOnRig(options, options.abortUrl, command, rigId);
      throw new Error(`aborted: ${options.abortUrl} answered`, { cause: err });
    }
    if (ctx.signal.aborted) throw new Error('the device is stopping; the HTTP run was abandoned', { cause: err });
    if (err instanceof ExperimentFailure) return { failed: { scope: 'experiment', reason: err.message } };
    if (err instanceof DeviceFailure) return { failed: { scope: 'device', reason: err.message } };
    throw err;
  }
}

interface Reply {
  status: number;
  text: string;
  json: Record<string, unknown> | undefined;
  location: string | null;
  url: string;
}

async function request(options: HttpRunnerOptions, url: string, init: RequestInit, deadline: number, stop: AbortSignal): Promise<Reply> {
  const left = deadline - Date.now();
  if (left <= 0) throw new DeviceFailure(`timed out after ${options.timeoutMs / 1000} s`);
  const perRequest = Math.min(options.requestTimeoutMs ?? 30_000, left);
  const signal = AbortSignal.any([stop, AbortSignal.timeout(perRequest)]);
  let res: Response;
  let text: string;
  try {
    res = await fetch(url, { ...init, signal });
    text = await res.text();
  } catch (err) {
    if (stop.aborted) throw err;
    const e = err as Error & { cause?: { code?: string; message?: string } };
    const why = e.name === 'TimeoutError' ? `no answer within ${perRequest / 1000} s` : (e.cause?.code ?? e.cause?.message ?? e.message);
    throw new DeviceFailure(
      left <= perRequest && e.name === 'TimeoutError'
        ? `timed out after ${options.timeoutMs / 1000} s (${init.method} ${url})`
        : `${init.method} ${url} failed: ${why}`,
    );
  }
  const reply: Reply = { status: res.status, text, json: parseObject(text), location: res.headers.get('location'), url };
  if (res.status >= 500) throw new DeviceFailure(`${init.method} ${url} answered ${res.status}: ${reasonOf(reply)}`);
  if (res.status >= 400) throw new ExperimentFailure(`${init.method} ${url} answered ${res.status}: ${reasonOf(reply)}`);
  return reply;
}

async function poll(
  options: HttpRunnerOptions,
  statusUrl: string,
  headers: Record<string, string>,
  deadline: number,
  ctx: RunContext,
): Promise<RunOutcome> {
  const interval = options.pollIntervalMs ?? 1000;
  const retries = options.pollRetries ?? 3;
  let failures = 0;
  for (;;) {
    await sleepUntil(Math.min(Date.now() + interval, deadline), ctx.signal);
    let reply: Reply;
    try {
      reply = await request(
        options,
        statusUrl,
        { method: 'GET', headers: { accept: 'application/json', ...options.headers } },
        deadline,
        ctx.signal,
      );
    } catch (err) {
      if (!(err instanceof DeviceFailure) || Date.now() >= deadline || ++failures > retries) throw err;
      ctx.log('warn', `${err.message}; polling again (${failures}/${retries})`);
      continue;
    }
    failures = 0;
    if (!isRunning(reply.json)) return resultOf(reply.json, reply.text);
    const progress = reply.json?.progress;
    if (typeof progress === 'number') ctx.progress(progress, typeof reply.json?.message === 'string' ? reply.json.message : undefined);
  }
}

function statusUrlOf(options: HttpRunnerOptions, first: Reply, experimentId: string): string {
  const fromBody = typeof first.json?.statusUrl === 'string' ? first.json.statusUrl : undefined;
  const direct = first.location ?? fromBody;
  if (direct) return new URL(direct, first.url).toString();
  if (!options.statusUrl)
    throw new DeviceFailure(
      'the rig answered "running" but gave no status URL (Location header or statusUrl field), and none is configured',
    );
  const id = typeof first.json?.id === 'string' || typeof first.json?.id === 'number' ? String(first.json.id) : experimentId;
  return options.statusUrl.replaceAll('{id}', encodeURIComponent(id)).replaceAll('{experimentId}', encodeURIComponent(experimentId));
}

function isRunning(json: Record<string, unknown> | undefined): boolean {
  return typeof json?.status === 'string' && RUNNING.has(json.status.toLowerCase());
}

/** A finished reply: a failed status, or a result (envelope fields such as status and id are not values). */
function resultOf(json: Record<string, unknown> | undefined, text: string): RunOutcome {
  if (json && typeof json.status === 'string' && FAILED.has(json.status.toLowerCase())) {
    throw new ExperimentFailure(`the rig reported failure: ${reasonOf({ json, text })}`);
  }
  const body = json ? Object.fromEntries(Object.entries(json).filter(([k]) => !ENVELOPE_KEYS.has(k))) : undefined;
  const parsed = parseRigResult(body ? JSON.stringify(body) : text);
  if (!parsed.ok) throw new DeviceFailure(`the rig's answer is not a result: ${parsed.error}`);
  return parsed.outcome;
}

function reasonOf(reply: Pick<Reply, 'json' | 'text'>): string {
  const j = reply.json;
  for (const key of ['reason', 'error', 'message', 'detail']) {
    const v = j?.[key];
    if (typeof v === 'string' && v) return v;
    if (typeof v === 'object' && v !== null && typeof (v as { message?: unknown }).message === 'string')
      return (v as { message: string }).message;
  }
  const t = reply.text.trim();
  return t ? t.slice(0, 500) : 'no body';
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function sleepUntil(at: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason as Error);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    };
    const timer = setTimeout(
      () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      },
      Math.max(0, at - Date.now()),
    );
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Calls the rig's abort route; AbortFailed (acknowledged as an error) when it does not answer 2xx. */
async function abortOnRig(options: HttpRunnerOptions, template: string, command: RunCommand, rigId: string | undefined): Promise<void> {
  const url = template
    .replaceAll('{id}', encodeURIComponent(rigId ?? command.experimentId))
    .replaceAll('{experimentId}', encodeURIComponent(command.experimentId));
  const timeoutMs = Math.min(options.requestTimeoutMs ?? 30_000, 30_000);
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-hakken-experiment-id': command.experimentId,
        'x-hakken-attempt': String(command.attempt),
        'x-hakken-campaign-id': command.campaignId,
        ...options.headers,
      },
      body: JSON.stringify({ experimentId: command.experimentId, ...(rigId ? { id: rigId } : {}) }),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (e) {
    throw new AbortFailed(`POST ${url} (abort) failed: ${(e as Error).message}`);
  }
  if (!res.ok) throw new AbortFailed(`POST ${url} (abort) answered ${res.status}: ${(await res.text()).slice(0, 200)}`);
}
