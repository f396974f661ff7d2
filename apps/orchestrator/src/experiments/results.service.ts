import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { type JsonObject, queryRows } from '#persistence';
import type { AcceptedEvent, FailedEvent, ProgressEvent, RejectedEvent, ResultEvent } from '#protocol';
import { AuditService } from '../audit/audit.service.js';
import { Coalescer, type Pending } from '../common/coalescer.js';
import { DomainError, type DomainErrorCode } from '../common/errors.js';
import { EventBus } from '../common/events.js';
import { CLOCK, type Clock } from '../common/ports.js';
import { UUID } from '../common/uuid.js';
import { ConflictsService, type FinalReport, type Ingested, type StoredRow } from './conflicts.service.js';
import { EXPERIMENT_STATUS, EXPERIMENT_TRANSITIONS as T, type ReportedOutcome } from './experiment-lifecycle.js';
import { ExperimentsRepository } from './experiments.repository.js';
import { ObjectiveCache, resultProblem } from './objectives.js';
import { RedispatchService } from './redispatch.service.js';
import { logIds } from '../common/logger.js';
import { DeviceCommandsService } from '../commands/device-commands.service.js';

export type { Ingested };

/** An experiment as a report is checked against (and, when it changed nothing, judged against). */
type ExperimentRow = StoredRow;

const STORED: Ingested = { outcome: 'stored' };

/**
 * An acceptance or a result, as ingested in groups. `receivedAt`: when the MQTT edge read an
 * acceptance, stored as its accepted_at (what a device's list of what it holds is judged against).
 */
type Report = { deviceId: string; event: AcceptedEvent; receivedAt?: Date } | { deviceId: string; event: ResultEvent };

/**
 * Reports go to lanes by experiment, each writing one group at a time, so that
 * one lane's round trip overlaps another's. All reports of one experiment take
 * the same lane: two groups in flight that both held rows of one experiment
 * (its acceptance in one, its result in the other) could lock rows in
 * opposite orders and deadlock; lanes share no rows.
 */
const INGEST_LANES = 2;
/** Deadlock (40P01) or serialization failure (40001) with another writer: the group is written again. */
const RETRYABLE = new Set(['40P01', '40001']);
const WRITE_ATTEMPTS = 3;
const INGEST_GROUP = 1000;

/**
 * Ingests what devices report. Every write is a conditional update on the
 * experiment's state, so a result delivered twice (QoS 1 redelivery, a device
 * re-sending until acknowledged) is stored exactly once; the second delivery
 * is answered as a duplicate so the device stops re-sending.
 */
@Injectable()
export class ResultsService {
  private readonly logger = new Logger('results');
  readonly counters = { stored: 0, duplicates: 0, conflicts: 0, rejected: 0, groups: 0 };
  /**
   * Acceptances and results, the bulk of the traffic, are written in groups:
   * one SELECT and one conditional UPDATE per group instead of per report.
   */
  private readonly lanes = Array.from(
    { length: INGEST_LANES },
    () => new Coalescer<Report, Ingested | undefined>((group) => this.ingestGroup(group), { maxInFlight: 1, maxGroup: INGEST_GROUP }),
  );
  private readonly objectives: ObjectiveCache;
  /** When each experiment's progress was last written. */
  private readonly progressWrites = new Map<string, number>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly experiments: ExperimentsRepository,
    private readonly audit: AuditService,
    private readonly bus: EventBus,
    private readonly redispatch: RedispatchService,
    private readonly conflicts: ConflictsService,
    private readonly commandLog: DeviceCommandsService,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    this.objectives = new ObjectiveCache(dataSource);
  }

  /** The device took the command: stop re-sending it. */
  async onAccepted(deviceId: string, event: AcceptedEvent, receivedAt?: Date): Promise<void> {
    await this.lane(event.experimentId).submit({ deviceId, event, receivedAt });
  }

  /**
   * A progress event moves its experiment's liveness deadline back (device-monitor.service.ts); written
   * at most once a second per experiment. Nothing is answered: a progress event for another device's
   * experiment, or one that ended, changes nothing.
   */
  async onProgress(deviceId: string, event: ProgressEvent): Promise<void> {
    const now = this.clock.now();
    const key = event.experimentId.toLowerCase();
    if (!UUID.test(key) || now.getTime() - (this.progressWrites.get(key) ?? Number.NEGATIVE_INFINITY) < 1000) return;
    if (this.progressWrites.size > 100_000) this.progressWrites.clear();
    this.progressWrites.set(key, now.getTime());
    await this.experiments.recordProgress(key, deviceId, now);
  }

  async onResult(deviceId: string, event: ResultEvent): Promise<Ingested> {
    return (await this.lane(event.experimentId).submit({ deviceId, event }))!;
  }

  /** The lane of an experiment's reports (ids are compared as the database does: case-insensitively). */
  private lane(experimentId: string): Coalescer<Report, Ingested | undefined> {
    let h = 0;
    for (let i = 0; i < experimentId.length; i++) h = (h * 31 + (experimentId.charCodeAt(i) | 0x20)) >>> 0;
    return this.lanes[h % this.lanes.length];
  }

  /**
   * Writes a group of acceptances and results. Each report is checked as on
   * its own (unknown experiment, another device's, a stale attempt: refused
   * with an audit entry), then the acceptances and the results go to the
   * database in one conditional UPDATE each. A row the UPDATE did not change
   * was already stored: a duplicate. Several copies of one result in a group
   * (QoS 1 redelivery) are written once; the others are duplicates.
   */
  private async ingestGroup(group: readonly Pending<Report, Ingested | undefined>[]): Promise<void> {
    this.counters.groups++;
    const ids = [...new Set(group.map((p) => p.item.event.experimentId).filter((id) => UUID.test(id)))];
    const rows = await this.rowsOf(ids);
    await this.objectives.load([...new Set([...rows.values()].map((r) => r.campaign_id))]);
    const now = this.clock.now();
    const accepted: { p: Pending<Report, Ingested | undefined>; row: ExperimentRow }[] = [];
    const results: { p: Pending<Report, Ingested | undefined>; row: ExperimentRow; value: number }[] = [];
    const alone: Promise<void>[] = [];
    for (const p of group) {
      const { deviceId, event } = p.item;
      const found = rows.get(event.experimentId.toLowerCase());
      try {
        await this.check(found, deviceId, event.experimentId, event.attempt);
      } catch (e) {
        p.reject(e);
        continue;
      }
      const row = found!;
      if (event.type === 'accepted') {
        accepted.push({ p, row });
        continue;
      }
      const objective = this.objectives.get(row.campaign_id)!;
      const problem = resultProblem(objective, event);
      if (problem !== undefined) {
        // Rare: the experiment fails with the reason, in a transaction with its audit entry.
        const report = this.finalReport(deviceId, row, event, null, { scope: 'experiment', reason: problem });
        alone.push(
          this.experimentFailure(row, report, problem, event.values, event.metadata).then(
            (ack) => p.resolve(ack),
            (e: unknown) => p.reject(e),
          ),
        );
        continue;
      }
      results.push({ p, row, value: event.values[objective.name] as number });
    }

    const firsts = new Map<string, (typeof results)[number]>();
    const copies: (typeof results)[number][] = [];
    for (const r of results) {
      if (firsts.has(r.row.id)) copies.push(r);
      else firsts.set(r.row.id, r);
    }
    // An acceptance whose result is in the same group: the result's write records both.
    const accepting = accepted.filter((a) => !firsts.has(a.row.id));
    if (accepting.length > 0) {
      const changed = await this.write(() =>
        this.experiments.accept(
          accepting.map((a) => ({
            id: a.row.id,
            deviceId: a.p.item.deviceId,
            receivedAt: 'receivedAt' in a.p.item ? a.p.item.receivedAt : undefined,
          })),
          now,
        ),
      );
      for (const c of changed) this.bus.emit('experiment.updated', { campaignId: c.campaign_id, experimentId: c.id, status: T.accept.to });
    }
    if (firsts.size > 0) {
      const list = [...firsts.values()];
      const stored = new Set(
        await this.write(() =>
          this.experiments.complete(
            list.map((r) => ({
              id: r.row.id,
              deviceId: r.p.item.deviceId,
              attempt: r.row.attempt,
              values: JSON.stringify(r.p.item.event.type === 'result' ? r.p.item.event.values : {}),
              objective: r.value,
              metadata: r.p.item.event.type === 'result' && r.p.item.event.metadata ? JSON.stringify(r.p.item.event.metadata) : null,
            })),
            now,
          ),
        ),
      );
      // A report the update left alone is judged against the experiment as it is now: refused if it is
      // no longer this device's and this attempt's (between the read and the write the experiment may
      // have been sent again: a timeout, a device failure), else `ok` only if the stored outcome is the
      // reported one (a redelivery), else a conflict. Copies of a stored result are judged likewise.
      const unchanged = [...list.filter((r) => !stored.has(r.row.id)), ...copies];
      const current = unchanged.length === 0 ? new Map<string, ExperimentRow>() : await this.rowsOf(unchanged.map((r) => r.row.id));
      for (const r of list) if (stored.has(r.row.id)) this.settleResult(r.p, r.row, STORED);
      for (const r of unchanged) {
        const { deviceId, event } = r.p.item;
        try {
          const fresh = await this.check(current.get(r.row.id) ?? r.row, deviceId, event.experimentId, event.attempt ?? r.row.attempt);
          if (event.type !== 'result') throw new Error('only results are written in groups');
          this.settleResult(r.p, r.row, await this.conflicts.settle(fresh, this.finalReport(deviceId, fresh, event, r.value)));
        } catch (e) {
          r.p.reject(e);
        }
      }
    }
    for (const a of accepted) a.p.resolve(undefined);
    // Failures go one by one, each with its audit entry; they settle their own reports.
    await Promise.allSettled(alone);
  }

  /** Runs a write again when it lost a deadlock or serialization conflict with another writer. */
  private async write<T>(fn: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (e) {
        const code = (e as { driverError?: { code?: unknown }; code?: unknown }).driverError?.code ?? (e as { code?: unknown }).code;
        if (attempt >= WRITE_ATTEMPTS || typeof code !== 'string' || !RETRYABLE.has(code)) throw e;
        this.logger.warn(
          `a group of ${code === '40P01' ? 'reports met a deadlock' : 'reports met a serialization conflict'}; writing it again`,
        );
      }
    }
  }

  private settleResult(p: Pending<Report, Ingested | undefined>, row: { id: string; campaign_id: string }, ingested: Ingested): void {
    if (ingested.outcome === 'stored') {
      this.counters.stored++;
      this.bus.emit('experiment.updated', { campaignId: row.campaign_id, experimentId: row.id, status: T.complete.to });
    } else this.countRepeat(row, p.item.deviceId, ingested);
    p.resolve(ingested);
  }

  /** Counts (and for a duplicate, logs at debug level) a report that changed nothing; a conflict is logged where it is kept. */
  private countRepeat(row: { id: string; campaign_id: string }, deviceId: string, ingested: Ingested): void {
    if (ingested.outcome === 'conflict') {
      this.counters.conflicts++;
      return;
    }
    this.counters.duplicates++;
    this.logger.debug?.(
      `duplicate report from ${deviceId} for experiment ${row.id} ignored`,
      logIds({ campaignId: row.campaign_id, experimentId: row.id, deviceId }),
    );
  }

  /** A final report as a conflicting one would be kept: what it says happened. */
  private finalReport(
    deviceId: string,
    row: ExperimentRow,
    event: ResultEvent | FailedEvent,
    objective: number | null,
    failure?: { scope: FailedEvent['scope']; reason: string },
  ): FinalReport {
    const outcome: ReportedOutcome = failure
      ? { status: EXPERIMENT_STATUS.failed, scope: failure.scope }
      : { status: EXPERIMENT_STATUS.completed, values: event.type === 'result' ? event.values : {} };
    return { deviceId, attempt: event.attempt ?? row.attempt, outcome, objective, reason: failure?.reason ?? null, reportedAt: event.ts };
  }

  /** The device refused the command: as a device failure, the experiment goes to another device within its retry budget. */
  async onRejected(deviceId: string, event: RejectedEvent): Promise<Ingested> {
    const row = await this.load(deviceId, event.experimentId, event.attempt);
    await this.commandLog.runAnswered(row.id, row.attempt, deviceId, 'rejected', event.reason);
    return this.deviceFailure(row, deviceId, 'rejected', `rejected by the device: ${event.reason}`);
  }

  async onFailed(deviceId: string, event: FailedEvent): Promise<Ingested> {
    const row = await this.load(deviceId, event.experimentId, event.attempt);
    const report = this.finalReport(deviceId, row, event, null, { scope: event.scope, reason: event.reason });
    if (event.scope === 'experiment') return this.experimentFailure(row, report, event.reason);
    // The rig failed, not the condition: run it again elsewhere, within the retry budget; never learn from it.
    return this.deviceFailure(row, deviceId, 'failed', event.reason, report);
  }

  /** `report`: a final report, judged against the stored outcome when it changed nothing (a rejection is not answered). */
  private async deviceFailure(
    row: ExperimentRow,
    deviceId: string,
    cause: 'failed' | 'rejected',
    reason: string,
    report?: FinalReport,
  ): Promise<Ingested> {
    const outcome = await this.redispatch.deviceFailure(
      { id: row.id, campaignId: row.campaign_id, deviceId, attempt: row.attempt },
      { cause, reason, actor: `device:${deviceId}` },
    );
    if (outcome !== undefined) {
      this.counters.stored++;
      return STORED;
    }
    const ingested = report ? await this.repeat(row, report) : { outcome: 'duplicate' as const };
    this.countRepeat(row, deviceId, ingested);
    return ingested;
  }

  /** The condition failed: recorded, with its reason, as data for the optimizer. */
  private async experimentFailure(
    row: ExperimentRow,
    report: FinalReport,
    reason: string,
    values?: ResultEvent['values'],
    metadata?: ResultEvent['metadata'],
  ): Promise<Ingested> {
    const { deviceId } = report;
    const changed = await this.dataSource.transaction(async (m) => {
      const changed = await this.experiments.failExperiment(
        m,
        { id: row.id, deviceId, attempt: row.attempt },
        reason,
        this.clock.now(),
        values === undefined ? null : JSON.stringify(values),
        metadata === undefined ? null : JSON.stringify(metadata),
      );
      if (changed) {
        await this.audit.record(
          {
            actor: `device:${deviceId}`,
            action: 'experiment.failed',
            campaignId: row.campaign_id,
            experimentId: row.id,
            deviceId,
            details: values === undefined ? { scope: 'experiment', reason } : { scope: 'experiment', reason, values },
          },
          m,
        );
      }
      return changed;
    });
    if (changed) {
      this.counters.stored++;
      this.bus.emit('experiment.updated', { campaignId: row.campaign_id, experimentId: row.id, status: T.fail.to });
      return STORED;
    }
    const ingested = await this.repeat(row, report);
    this.countRepeat(row, deviceId, ingested);
    return ingested;
  }

  /** A final report that changed nothing, judged against the experiment as it is now (refused if no longer this device's attempt). */
  private async repeat(row: ExperimentRow, report: FinalReport): Promise<Ingested> {
    const fresh = await this.check((await this.rowsOf([row.id])).get(row.id), report.deviceId, row.id, report.attempt);
    return this.conflicts.settle(fresh, report);
  }

  /** Loads the experiment a device reports on; refuses unknown ones and ones sent to another device. */
  private async load(deviceId: string, experimentId: string, attempt?: number): Promise<ExperimentRow> {
    const rows = UUID.test(experimentId) ? await this.rowsOf([experimentId]) : new Map<string, ExperimentRow>();
    return this.check([...rows.values()][0], deviceId, experimentId, attempt);
  }

  /** The experiments with these ids (valid UUIDs), by id as the database writes it (lower case). */
  private async rowsOf(ids: string[]): Promise<Map<string, ExperimentRow>> {
    const rows = await queryRows<ExperimentRow>(
      this.dataSource,
      `SELECT id, campaign_id, status, device_id, attempt, "values", objective, failure_scope, failure_reason FROM experiments WHERE id = ANY($1::uuid[])`,
      [ids],
    );
    return new Map(rows.map((r) => [r.id, r]));
  }

  /** Refuses, with a log line and an audit entry, a report on an unknown experiment, another device's, or an attempt that is over. */
  private async check<R extends ExperimentRow>(row: R | undefined, deviceId: string, experimentId: string, attempt?: number): Promise<R> {
    if (row === undefined)
      return this.refuse(deviceId, undefined, {
        code: 'unknown_experiment',
        message: `unknown experiment ${experimentId}`,
        log: `refused a report from device ${deviceId} for unknown experiment ${experimentId}`,
        details: { experimentId, reason: 'unknown experiment' },
      });
    if (row.device_id !== deviceId)
      return this.refuse(deviceId, row, {
        code: 'not_assigned',
        message: `experiment ${experimentId} is not assigned to device ${deviceId}`,
        log: `refused a report from device ${deviceId} for experiment ${experimentId}, which is assigned to ${row.device_id ?? 'no device'}`,
        details: { reason: 'not assigned to this device', assignedTo: row.device_id },
      });
    // A report of an earlier attempt (late after a timeout, the experiment since sent again, maybe to the
    // same device) is not the current attempt's outcome: refused, so the device drops it.
    if (attempt !== undefined && attempt !== row.attempt)
      return this.refuse(deviceId, row, {
        code: 'stale_attempt',
        message: `attempt ${attempt} of experiment ${experimentId} is over: attempt ${row.attempt} is current`,
        log: `refused a report of attempt ${attempt} of experiment ${experimentId} from ${deviceId}: attempt ${row.attempt} is current`,
        details: { reason: 'stale attempt', attempt, currentAttempt: row.attempt },
      });
    return row;
  }

  /** Counts, logs and audits a refused report, then throws the error the device is answered with. */
  private async refuse(
    deviceId: string,
    row: ExperimentRow | undefined,
    r: { code: DomainErrorCode; message: string; log: string; details: JsonObject },
  ): Promise<never> {
    this.counters.rejected++;
    this.logger.warn(r.log, logIds({ campaignId: row?.campaign_id, experimentId: row?.id, deviceId }));
    await this.audit.record({
      actor: `device:${deviceId}`,
      action: 'report.refused',
      ...(row ? { campaignId: row.campaign_id, experimentId: row.id } : {}),
      deviceId,
      details: r.details,
    });
    throw new DomainError(r.code, r.message);
  }
}
