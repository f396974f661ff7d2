import type { ExperimentStatus, FailureScope } from '#persistence';

/**
 * An experiment's lifecycle: the one place its status names are written out.
 * Everything else (the repository's SQL, the loop, the API, the console's
 * figures) names statuses through the table, the groups and the helpers
 * below, so a misspelt status fails the type check instead of matching no row.
 *
 * Pure: no Nest, no database (the console's figures import it on a worker thread).
 */

export type { ExperimentStatus };

/** How an experiment comes to exist: proposed, then waiting for an operator or (approved by the campaign's policy) queued at once. */
export const INITIAL_STATUS = {
  /** The batch waits for an operator (manual approval). */
  awaitingApproval: 'proposed',
  /** The campaign's approval policy approved the batch. */
  autoApproved: 'queued',
} as const satisfies Record<string, ExperimentStatus>;

/**
 * The device kind of experiments a person runs: a campaign with this `deviceKind` has its approved experiments
 * wait for a person (never sent to a device), and an operator reports each one's value or failure.
 */
export const MANUAL_DEVICE_KIND = 'manual';

/** What a manual experiment's row says while it waits (its waitingReason). */
export const WAITING_FOR_PERSON = 'waiting for a person to run it and report its result (POST /api/experiments/:id/result)';

export interface Transition {
  readonly from: readonly ExperimentStatus[];
  readonly to: ExperimentStatus;
}

/**
 * Every allowed state change, by what causes it. A write that changes an
 * experiment's status does so only from `from` to `to` (its WHERE clause names
 * `from`), so a change noticed twice (a result delivered twice, a device failure
 * seen by a Last Will and a timeout) acts once.
 */
export const EXPERIMENT_TRANSITIONS = {
  /** An operator approved its batch: it waits for a free compatible device. */
  approve: { from: ['proposed'], to: 'queued' },
  /** An operator rejected its batch, or left it out at edit-and-approve: never run. */
  reject: { from: ['proposed'], to: 'rejected' },
  /** Its campaign was cancelled or completed before it was sent: not needed any more. */
  cancel: { from: ['proposed', 'queued'], to: 'cancelled' },
  /** Assigned to a device (attempt + 1) and the command sent; re-sent until accepted. */
  dispatch: { from: ['queued'], to: 'dispatched' },
  /** The device accepted the command. */
  accept: { from: ['dispatched'], to: 'running' },
  /** A result is stored (exactly once); a result may overtake its acceptance. */
  complete: { from: ['dispatched', 'running'], to: 'completed' },
  /**
   * The condition failed (scope "experiment": data for the optimizer), or a device
   * failure (crash, refusal, silence, timeout, narrower limits) spent its retry budget
   * or came after its campaign ended (scope "device").
   */
  fail: { from: ['dispatched', 'running'], to: 'failed' },
  /**
   * A device failure within the retry budget: back to the queue, preferably for another device (re-dispatch);
   * or an operator re-dispatches an experiment stuck on a device (a stalled campaign).
   */
  requeue: { from: ['dispatched', 'running'], to: 'queued' },
  /**
   * An operator gives up on an experiment that does not move (a stalled campaign): waiting for a device
   * that never comes, or stuck on one. Failed with scope "device": never data for the optimizer.
   */
  abandon: { from: ['queued', 'dispatched', 'running'], to: 'failed' },
  /**
   * An operator aborted it, or cancelled its campaign while it was on a device: it ends here, neither data for
   * the optimizer nor run again (on a device, the device is told to abort it; a result that crosses the abort
   * is kept apart as a conflicting report). A finished experiment cannot be aborted, nor a proposal (its
   * batch waits for approval: an operator leaves it out or rejects the batch).
   */
  abort: { from: ['queued', 'dispatched', 'running'], to: 'aborted' },
  /** A person ran it (a campaign of the manual device kind) and an operator reported its value: stored exactly once. */
  reportByPerson: { from: ['queued'], to: 'completed' },
  /** A person ran it and an operator reported that it failed (scope "experiment": data; "device": the set-up failed, not data). */
  reportFailureByPerson: { from: ['queued'], to: 'failed' },
} as const satisfies Record<string, Transition>;

export type TransitionName = keyof typeof EXPERIMENT_TRANSITIONS;

/** Every status, in lifecycle order (the same set as the persistence library's EXPERIMENT_STATUSES). */
export const EXPERIMENT_STATUS = {
  proposed: 'proposed',
  queued: 'queued',
  dispatched: 'dispatched',
  running: 'running',
  completed: 'completed',
  failed: 'failed',
  rejected: 'rejected',
  cancelled: 'cancelled',
  aborted: 'aborted',
} as const satisfies { [S in ExperimentStatus]: S };

const ALL: readonly ExperimentStatus[] = Object.values(EXPERIMENT_STATUS);

/** Finished: no transition leaves these (completed, failed, rejected, cancelled, aborted). */
export const FINISHED: readonly ExperimentStatus[] = ALL.filter((s) => allowedFrom(s).length === 0);
/** Not finished yet: waiting for an operator, for a device, or on one. The optimizer counts them as pending. */
export const UNFINISHED: readonly ExperimentStatus[] = ALL.filter((s) => allowedFrom(s).length > 0);
/** On a device: dispatched (command not yet accepted) or running. Each holds one of the device's slots. */
export const ON_DEVICE: readonly ExperimentStatus[] = EXPERIMENT_TRANSITIONS.complete.from;
/** Approved and not finished: queued or on a device (the console's "in progress"). */
export const IN_PROGRESS: readonly ExperimentStatus[] = [EXPERIMENT_TRANSITIONS.approve.to, ...ON_DEVICE];
/** Not yet sent to a device: what cancelling a campaign cancels. */
export const NOT_SENT: readonly ExperimentStatus[] = EXPERIMENT_TRANSITIONS.cancel.from;
/** Spent from the campaign's budget: every experiment that ran to an end, with a result or a failure. */
export const SPENDS_BUDGET: readonly ExperimentStatus[] = [EXPERIMENT_TRANSITIONS.complete.to, EXPERIMENT_TRANSITIONS.fail.to];

/** The statuses an experiment in `from` may go to. */
export function allowedFrom(from: ExperimentStatus): ExperimentStatus[] {
  const out = Object.values(EXPERIMENT_TRANSITIONS)
    .filter((t) => (t.from as readonly ExperimentStatus[]).includes(from))
    .map((t) => t.to);
  return [...new Set(out)];
}

/** Whether the lifecycle allows an experiment to go from one status to another. */
export function canTransition(from: ExperimentStatus, to: ExperimentStatus): boolean {
  return allowedFrom(from).includes(to);
}

/** The transition named, checked against a status: the status it leads to, or undefined when it does not apply. */
export function apply(name: TransitionName, from: ExperimentStatus): ExperimentStatus | undefined {
  const t: Transition = EXPERIMENT_TRANSITIONS[name];
  return t.from.includes(from) ? t.to : undefined;
}

export function isExperimentStatus(s: unknown): s is ExperimentStatus {
  return typeof s === 'string' && (ALL as readonly string[]).includes(s);
}

/**
 * A status as an SQL literal (`'queued'`). Statuses go into SQL through these
 * two functions only; the check keeps a cast or a stray string out of the SQL.
 */
export function sqlStatus(s: ExperimentStatus): string {
  if (!isExperimentStatus(s)) throw new Error(`not an experiment status: ${JSON.stringify(s)}`);
  return `'${s}'`;
}

/** A list of statuses as SQL, for `IN` and `NOT IN`: `('dispatched', 'running')`. */
export function sqlStatuses(list: readonly ExperimentStatus[]): string {
  if (list.length === 0) throw new Error('an empty status list matches nothing: say what is meant');
  return `(${list.map(sqlStatus).join(', ')})`;
}

/** Experiment counts by status, as the API gives them (a status without experiments is absent). */
export type StatusCounts = Partial<Record<ExperimentStatus, number>>;

/** How many experiments of these statuses the counts hold. */
export function countOf(counts: StatusCounts, statuses: readonly ExperimentStatus[]): number {
  return statuses.reduce((n, s) => n + (counts[s] ?? 0), 0);
}

/** What a device's final report says happened: a result with its values, or a failure of a scope. */
export type ReportedOutcome =
  | { status: (typeof EXPERIMENT_TRANSITIONS)['complete']['to']; values: Record<string, number | null> }
  | { status: (typeof EXPERIMENT_TRANSITIONS)['fail']['to']; scope: FailureScope };

/** An experiment's outcome as the database holds it. */
export interface StoredOutcome {
  status: ExperimentStatus;
  values: Record<string, number | null> | null;
  failureScope: FailureScope | null;
}

/**
 * A final report that changed nothing, judged against what the database holds:
 * - `same`: the stored outcome is the reported one (a redelivery, a re-send): acknowledged `ok`;
 * - `conflict`: the experiment ended with another outcome (other values, failed where it completed or
 *   the reverse, a device failure where the condition failed): kept apart, acknowledged `conflict`;
 * - `unfinished`: nothing is stored yet, so nothing may be acknowledged (the device sends it again).
 */
export function judgeRepeat(stored: StoredOutcome, reported: ReportedOutcome): 'same' | 'conflict' | 'unfinished' {
  if (!FINISHED.includes(stored.status)) return 'unfinished';
  if (stored.status !== reported.status) return 'conflict';
  if (reported.status === EXPERIMENT_TRANSITIONS.fail.to) return stored.failureScope === reported.scope ? 'same' : 'conflict';
  return sameValues(stored.values ?? {}, reported.values) ? 'same' : 'conflict';
}

function sameValues(a: Record<string, number | null>, b: Record<string, number | null>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && Object.is(a[k], b[k]));
}
