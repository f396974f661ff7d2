import { deviceEventSchema, now, type ProgressEvent } from '#protocol';
import type { DeviceLogger, RunContext, RunOutcome } from './device-client.types.js';
import type { FinalEvent } from './outbox.js';

const MAX_TEXT = 1024;

export interface FinalEventBase {
  v: 1;
  experimentId: string;
  attempt: number;
  ts: string;
}

/** Shortens a reason or message to the protocol's limit. */
export function truncate(text: string): string {
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT - 1)}…` : text;
}

/**
 * Turns what a run handler returned into a valid final event. A non-finite
 * measurement fails the experiment (not the campaign); an outcome the
 * protocol cannot carry is an adapter bug, reported as a device failure.
 */
export function outcomeToEvent(base: FinalEventBase, outcome: RunOutcome): FinalEvent {
  const fail = (scope: 'device' | 'experiment', reason: string): FinalEvent => ({
    ...base,
    type: 'failed',
    scope,
    reason: truncate(reason),
  });
  if (typeof outcome !== 'object' || outcome === null) return fail('device', 'handler returned neither values nor failed');
  if ('failed' in outcome) return fail(outcome.failed.scope, outcome.failed.reason || 'no reason given');
  if (!('values' in outcome) || typeof outcome.values !== 'object' || outcome.values === null) {
    return fail('device', 'handler returned neither values nor failed');
  }
  for (const [name, value] of Object.entries(outcome.values)) {
    if (value !== null && (typeof value !== 'number' || !Number.isFinite(value))) {
      return fail('experiment', `measurement "${name}" is not a finite number (${String(value)})`);
    }
  }
  const event: FinalEvent = {
    ...base,
    type: 'result',
    values: outcome.values,
    ...(outcome.metadata ? { metadata: outcome.metadata } : {}),
  };
  let check = deviceEventSchema.safeParse(event);
  if (!check.success && check.error.issues.every((i) => i.path[0] === 'metadata')) {
    // The measurement stands; metadata the protocol cannot carry (over 16 KiB of JSON, a text over 1024
    // characters) is replaced by why it was left out, so the service stores the result with that reason.
    const why = check.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    (event as { metadata?: Record<string, string> }).metadata = { metadataRefused: truncate(`metadata not sent: ${why}`) };
    check = deviceEventSchema.safeParse(event);
  }
  if (!check.success) {
    return fail(
      'device',
      `handler returned an invalid result: ${check.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  return event;
}

/** A handler that threw (or was aborted) is a device-scope failure. */
export function thrownToEvent(base: FinalEventBase, err: unknown): FinalEvent {
  return {
    ...base,
    type: 'failed',
    scope: 'device',
    reason: truncate(`handler threw: ${err instanceof Error ? err.message : String(err)}`),
  };
}

/** The context a run handler gets: progress is clamped to [0, 1] and published with the run's current attempt. */
export function runContext(
  run: { command: { experimentId: string }; attempt: number },
  signal: AbortSignal,
  publish: (event: ProgressEvent) => void,
  log: DeviceLogger,
): RunContext {
  const id = run.command.experimentId;
  return {
    experimentId: id,
    get attempt() {
      return run.attempt;
    },
    signal,
    progress: (fraction, message) => {
      const f = Number.isFinite(fraction) ? Math.min(1, Math.max(0, fraction)) : 0;
      publish({
        v: 1,
        type: 'progress',
        experimentId: id,
        attempt: run.attempt,
        ts: now(),
        fraction: f,
        message: message === undefined ? undefined : truncate(message),
      });
    },
    log: (level, message) => log(level, `${id}: ${message}`),
  };
}
