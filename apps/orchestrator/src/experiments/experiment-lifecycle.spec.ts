import { describe, expect, it } from '@jest/globals';
import { EXPERIMENT_STATUSES, type ExperimentStatus } from '#persistence';
import {
  allowedFrom,
  apply,
  canTransition,
  countOf,
  EXPERIMENT_STATUS,
  EXPERIMENT_TRANSITIONS,
  FINISHED,
  IN_PROGRESS,
  INITIAL_STATUS,
  judgeRepeat,
  NOT_SENT,
  ON_DEVICE,
  SPENDS_BUDGET,
  sqlStatus,
  sqlStatuses,
  UNFINISHED,
  type TransitionName,
} from './experiment-lifecycle.js';

/**
 * The lifecycle as the service has run it: every pair of statuses is listed
 * here as allowed (with what causes it) or, by its absence, refused. A change
 * to the table must change this list too.
 */
const ALLOWED: Record<string, string> = {
  'proposed -> queued': 'an operator approves the batch',
  'proposed -> rejected': 'an operator rejects the batch, or leaves the proposal out',
  'proposed -> cancelled': 'the campaign ends before approval',
  'queued -> cancelled': 'the campaign ends before dispatch',
  'queued -> dispatched': 'assigned to a device, command sent',
  'queued -> failed': 'an operator gives up on it: no device ever takes it (a stalled campaign)',
  'dispatched -> running': 'the device accepts',
  'dispatched -> completed': 'a result overtakes its acceptance',
  'dispatched -> failed': 'the condition failed, or the retry budget is spent',
  'dispatched -> queued': 'a device failure within the retry budget: re-dispatch',
  'running -> completed': 'a result is stored',
  'running -> failed': 'the condition failed, or the retry budget is spent',
  'running -> queued': 'a device failure within the retry budget, or an operator, re-dispatches it',
  'queued -> aborted': 'an operator aborts it before it is sent',
  'dispatched -> aborted': 'an operator aborts it on its device (or cancels its campaign)',
  'running -> aborted': 'an operator aborts it on its device (or cancels its campaign)',
  'queued -> completed': 'a person ran it and an operator reported its value',
};

const pairs = EXPERIMENT_STATUSES.flatMap((from) => EXPERIMENT_STATUSES.map((to) => [from, to] as const));

describe('experiment lifecycle', () => {
  it('names exactly the statuses the database stores', () => {
    expect(Object.values(EXPERIMENT_STATUS)).toEqual([...EXPERIMENT_STATUSES]);
    const named = new Set(Object.values(EXPERIMENT_TRANSITIONS).flatMap((t) => [...t.from, t.to]));
    expect([...named].sort()).toEqual([...EXPERIMENT_STATUSES].sort());
  });

  it('starts as proposed (waiting for an operator) or queued (approved by the policy)', () => {
    expect(INITIAL_STATUS).toEqual({ awaitingApproval: 'proposed', autoApproved: 'queued' });
  });

  describe.each(pairs.filter(([f, t]) => ALLOWED[`${f} -> ${t}`] !== undefined))('allows %s -> %s', (from, to) => {
    it(ALLOWED[`${from} -> ${to}`], () => {
      expect(canTransition(from, to)).toBe(true);
      expect(allowedFrom(from)).toContain(to);
    });
  });

  it.each(pairs.filter(([f, t]) => ALLOWED[`${f} -> ${t}`] === undefined))('refuses %s -> %s', (from, to) => {
    expect(canTransition(from, to)).toBe(false);
    expect(allowedFrom(from)).not.toContain(to);
  });

  it('allows no change from a finished experiment, nor a status to itself', () => {
    for (const s of ['completed', 'failed', 'rejected', 'cancelled', 'aborted'] as const) expect(allowedFrom(s)).toEqual([]);
    for (const s of EXPERIMENT_STATUSES) expect(canTransition(s, s)).toBe(false);
  });

  it('applies each named transition only from its statuses', () => {
    const expected: Record<TransitionName, [readonly ExperimentStatus[], ExperimentStatus]> = {
      approve: [['proposed'], 'queued'],
      reject: [['proposed'], 'rejected'],
      cancel: [['proposed', 'queued'], 'cancelled'],
      dispatch: [['queued'], 'dispatched'],
      accept: [['dispatched'], 'running'],
      complete: [['dispatched', 'running'], 'completed'],
      fail: [['dispatched', 'running'], 'failed'],
      requeue: [['dispatched', 'running'], 'queued'],
      abandon: [['queued', 'dispatched', 'running'], 'failed'],
      abort: [['queued', 'dispatched', 'running'], 'aborted'],
      reportByPerson: [['queued'], 'completed'],
      reportFailureByPerson: [['queued'], 'failed'],
    };
    expect(Object.keys(EXPERIMENT_TRANSITIONS).sort()).toEqual(Object.keys(expected).sort());
    for (const [name, [from, to]] of Object.entries(expected) as [TransitionName, (typeof expected)[TransitionName]][]) {
      for (const s of EXPERIMENT_STATUSES) expect([name, s, apply(name, s)]).toEqual([name, s, from.includes(s) ? to : undefined]);
    }
  });

  it('groups statuses as the loop, the devices and the console count them', () => {
    expect(FINISHED).toEqual(['completed', 'failed', 'rejected', 'cancelled', 'aborted']);
    expect(UNFINISHED).toEqual(['proposed', 'queued', 'dispatched', 'running']);
    expect(ON_DEVICE).toEqual(['dispatched', 'running']);
    expect(IN_PROGRESS).toEqual(['queued', 'dispatched', 'running']);
    expect(NOT_SENT).toEqual(['proposed', 'queued']);
    expect(SPENDS_BUDGET).toEqual(['completed', 'failed']);
    expect(countOf({ completed: 3, failed: 2, rejected: 7 }, SPENDS_BUDGET)).toBe(5);
    expect(countOf({}, UNFINISHED)).toBe(0);
  });

  it('renders statuses into SQL and refuses anything else', () => {
    expect(sqlStatus('queued')).toBe(`'queued'`);
    expect(sqlStatuses(ON_DEVICE)).toBe(`('dispatched', 'running')`);
    expect(() => sqlStatus(`queued'; DROP TABLE experiments; --` as ExperimentStatus)).toThrow(/not an experiment status/);
    expect(() => sqlStatuses([])).toThrow(/empty/);
  });

  describe('judges a final report that changed nothing against the stored outcome', () => {
    const completed = { status: 'completed', values: { y: 12.5, purity: 0.9 }, failureScope: null } as const;
    const failedHere = { status: 'failed', values: null, failureScope: 'experiment' } as const;
    const failedOnDevice = { status: 'failed', values: null, failureScope: 'device' } as const;

    it('acknowledges an exact repeat as the same outcome, whatever the order of its values', () => {
      expect(judgeRepeat(completed, { status: 'completed', values: { purity: 0.9, y: 12.5 } })).toBe('same');
      expect(judgeRepeat(failedHere, { status: 'failed', scope: 'experiment' })).toBe('same');
      expect(judgeRepeat(failedOnDevice, { status: 'failed', scope: 'device' })).toBe('same');
    });

    it('finds another value, another set of values, or another kind of ending a conflict', () => {
      expect(judgeRepeat(completed, { status: 'completed', values: { y: 99, purity: 0.9 } })).toBe('conflict');
      expect(judgeRepeat(completed, { status: 'completed', values: { y: 12.5 } })).toBe('conflict');
      expect(judgeRepeat(completed, { status: 'completed', values: { y: 12.5, purity: null } })).toBe('conflict');
      expect(judgeRepeat(completed, { status: 'failed', scope: 'experiment' })).toBe('conflict');
      // A forged failure stored first: the rig's real result is another outcome, not a duplicate.
      expect(judgeRepeat(failedHere, { status: 'completed', values: { y: 1 } })).toBe('conflict');
      expect(judgeRepeat(failedOnDevice, { status: 'completed', values: { y: 1 } })).toBe('conflict');
      expect(judgeRepeat(failedHere, { status: 'failed', scope: 'device' })).toBe('conflict');
      // A result that crossed an abort: the experiment ended aborted, the result is kept apart.
      expect(judgeRepeat({ status: 'aborted', values: null, failureScope: null }, { status: 'completed', values: { y: 1 } })).toBe(
        'conflict',
      );
    });

    it('acknowledges nothing for an experiment that has not ended', () => {
      for (const status of UNFINISHED)
        expect(judgeRepeat({ status, values: null, failureScope: null }, { status: 'completed', values: { y: 1 } })).toBe('unfinished');
    });
  });
});
