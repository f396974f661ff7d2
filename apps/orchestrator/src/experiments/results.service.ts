import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { type ExperimentStatus, type JsonObject, queryRows } from '#persistence';
import type { AcceptedEvent, FailedEvent, RejectedEvent, ResultEvent } from '#protocol';
import { AuditService } from '../audit/audit.service.js';
import { Coalescer, type Pending } from '../common/coalescer.js';
import { DomainError, type DomainErrorCode } from '../common/errors.js';
import { EventBus } from '../common/events.js';
import { CLOCK, type Clock } from '../common/ports.js';
import { UUID } from '../common/uuid.js';
import { EXPERIMENT_TRANSITIONS as T } from './experiment-lifecycle.js';
import { ExperimentsRepository } from './experiments.repository.js';
import { RedispatchService } from './redispatch.service.js';
import { logIds } from '../common/logger.js';

export type IngestOutcome = 'stored' | 'duplicate';

interface ExperimentRow {
  id: string;
  campaign_id: string;
  status: ExperimentStatus;
  device_id: string | null;
  attempt: number;
}

/** What a result is checked against: the campaign's objective as its stored definition holds it (campaigns/campaign-definition.ts). */
interface Objective {
  name: string;
  low?: number;
  high?: number;
}

/** An acceptance or a result, as ingested in groups. */
type Report = { deviceId: string; event: AcceptedEvent } | { deviceId: string; event: ResultEvent };

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
/** Objectives of campaigns kept in memory (a campaign's objective never changes). */
const OBJECTIVE_CACHE = 10_000;

/**
 * Ingests what devices report. Every write is a conditional update on the
 * experiment's state, so a result delivered twice (QoS 1 redelivery, a device
 * re-sending until acknowledged) is stored exactly once; the second delivery
 * is answered as a duplicate so the device stops re-sending.
 */
@Injectable()
export class ResultsService {
  private readonly logger = new Logger('results');
  readonly counters = { stored: 0, duplicates: 0, rejected: 0, groups: 0 };
  /**
   * Acceptances and results, the bulk of the traffic, are written in groups:
   * one SELECT and one conditional UPDATE per group instead of per report.
   */
  private readonly lanes = Array.from(
    { length: INGEST_LANES },
    () => new Coalescer<Report, IngestOutcome | undefined>((group) => this.ingestGroup(group), { maxInFlight: 1, maxGroup: INGEST_GROUP }),
  );
  private readonly objectives = new Map<string, Objective>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly experiments: ExperimentsRepository,
    private readonly audit: AuditService,
    private readonly bus: EventBus,
    private readonly redispatch: RedispatchService,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** The device took the command: stop re-sending it. */
  async onAccepted(deviceId: string, event: AcceptedEvent): Promise<void> {
    await this.lane(event.experimentId).submit({ deviceId, event });
  }

  async onResult(deviceId: string, event: ResultEvent): Promise<IngestOutcome> {
    return (await this.lane(event.experimentId).submit({ deviceId, event }))!;
  }

  /** The lane of an experiment's reports (ids are compared as the database does: case-insensitively). */
  private lane(experimentId: string): Coalescer<Report, IngestOutcome | undefined> {
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
  private async ingestGroup(group: readonly Pending<Report, IngestOutcome | undefined>[]): Promise<void> {
    this.counters.groups++;
    const ids = [...new Set(group.map((p) => p.item.event.experimentId).filter((id) => UUID.test(id)))];
    const rows = await this.rowsOf(ids);
    await this.loadObjectives([...new Set([...rows.values()].map((r) => r.campaign_id))]);
    const now = this.clock.now();
    const accepted: { p: Pending<Report, IngestOutcome | undefined>; row: ExperimentRow }[] = [];
    const results: { p: Pending<Report, IngestOutcome | undefined>; row: ExperimentRow; value: number }[] = [];
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
      const problem = this.resultProblem(objective, event);
      if (problem !== undefined) {
        // Rare: the experiment fails with the reason, in a transaction with its audit entry.
        alone.push(this.experimentFailure(row, deviceId, problem, event.values).then(p.resolve, p.reject));
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
          accepting.map((a) => ({ id: a.row.id, deviceId: a.p.item.deviceId })),
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
            })),
            now,
          ),
        ),
      );
      // A row the update left alone is a duplicate only if it is still this device's and this attempt's:
      // between the read and the write the experiment may have been sent again (a timeout, a device
      // failure), and a report of the attempt that is over must be refused, not acknowledged.
      const unchanged = list.filter((r) => !stored.has(r.row.id));
      const current = unchanged.length === 0 ? new Map<string, ExperimentRow>() : await this.rowsOf(unchanged.map((r) => r.row.id));
      const settle = async (r: (typeof list)[number], outcome: IngestOutcome) => {
        if (outcome === 'duplicate') {
          const { deviceId, event } = r.p.item;
          try {
            await this.check(current.get(r.row.id) ?? r.row, deviceId, event.experimentId, event.attempt ?? r.row.attempt);
          } catch (e) {
            return r.p.reject(e);
          }
        }
        this.settleResult(r.p, r.row, outcome);
      };
      for (const r of list) await settle(r, stored.has(r.row.id) ? 'stored' : 'duplicate');
      for (const r of copies) await settle(r, 'duplicate');
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

  private settleResult(
    p: Pending<Report, IngestOutcome | undefined>,
    row: { id: string; campaign_id: string },
    outcome: IngestOutcome,
  ): void {
    if (outcome === 'stored') {
      this.counters.stored++;
      this.bus.emit('experiment.updated', { campaignId: row.campaign_id, experimentId: row.id, status: T.complete.to });
    } else {
      this.counters.duplicates++;
      this.logger.debug?.(
        `duplicate report from ${p.item.deviceId} for experiment ${row.id} ignored`,
        logIds({ campaignId: row.campaign_id, experimentId: row.id, deviceId: p.item.deviceId }),
      );
    }
    p.resolve(outcome);
  }

  /** Why a result cannot complete its experiment (no value, null, outside the plausible range); undefined when it can. */
  private resultProblem(objective: Objective, event: ResultEvent): string | undefined {
    // Own keys only: an objective named like an Object method must not read the prototype.
    const value = Object.hasOwn(event.values, objective.name) ? event.values[objective.name] : undefined;
    if (value === undefined)
      return `the result has no value for the objective "${objective.name}" (got ${Object.keys(event.values).join(', ') || 'no values'})`;
    if (value === null) return `the instrument reported no value (null) for "${objective.name}"`;
    if (objective.low !== undefined && value < objective.low)
      return `"${objective.name}" = ${value} is below the plausible range (low ${objective.low})`;
    if (objective.high !== undefined && value > objective.high)
      return `"${objective.name}" = ${value} is above the plausible range (high ${objective.high})`;
    return undefined;
  }

  private async loadObjectives(campaignIds: string[]): Promise<void> {
    const missing = campaignIds.filter((id) => !this.objectives.has(id));
    if (missing.length === 0) return;
    if (this.objectives.size + missing.length > OBJECTIVE_CACHE) this.objectives.clear();
    const rows = await queryRows<{ id: string; objective: Objective }>(
      this.dataSource,
      `SELECT id, definition->'objective' AS objective FROM campaigns WHERE id = ANY($1::uuid[])`,
      [missing],
    );
    for (const r of rows) this.objectives.set(r.id, r.objective);
  }

  /** The device refused the command: as a device failure, the experiment goes to another device within its retry budget. */
  async onRejected(deviceId: string, event: RejectedEvent): Promise<IngestOutcome> {
    const row = await this.load(deviceId, event.experimentId, event.attempt);
    return this.deviceFailure(row, deviceId, 'rejected', `rejected by the device: ${event.reason}`);
  }

  async onFailed(deviceId: string, event: FailedEvent): Promise<IngestOutcome> {
    const row = await this.load(deviceId, event.experimentId, event.attempt);
    if (event.scope === 'experiment') return this.experimentFailure(row, deviceId, event.reason);
    // The rig failed, not the condition: run it again elsewhere, within the retry budget; never learn from it.
    return this.deviceFailure(row, deviceId, 'failed', event.reason);
  }

  private async deviceFailure(row: ExperimentRow, deviceId: string, cause: 'failed' | 'rejected', reason: string): Promise<IngestOutcome> {
    const outcome = await this.redispatch.deviceFailure(
      { id: row.id, campaignId: row.campaign_id, deviceId, attempt: row.attempt },
      { cause, reason, actor: `device:${deviceId}` },
    );
    if (outcome === undefined) {
      this.counters.duplicates++;
      this.logger.debug?.(
        `duplicate report from ${deviceId} for experiment ${row.id} ignored`,
        logIds({ campaignId: row.campaign_id, experimentId: row.id, deviceId }),
      );
      return 'duplicate';
    }
    this.counters.stored++;
    return 'stored';
  }

  /** A result the service cannot read (a NaN, a wrong type) fails its experiment with the reason; nothing else changes. */
  async onUnreadableReport(deviceId: string, experimentId: string, error: string): Promise<IngestOutcome> {
    const row = await this.load(deviceId, experimentId);
    return this.experimentFailure(row, deviceId, `unreadable report from device ${deviceId}: ${error}`.slice(0, 1024));
  }

  /** The condition failed: recorded, with its reason, as data for the optimizer. */
  private experimentFailure(row: ExperimentRow, deviceId: string, reason: string, values?: ResultEvent['values']): Promise<IngestOutcome> {
    return this.finish(row, deviceId, T.fail.to, async (m) => {
      const changed = await this.experiments.failExperiment(
        m,
        { id: row.id, deviceId, attempt: row.attempt },
        reason,
        this.clock.now(),
        values === undefined ? null : JSON.stringify(values),
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
      `SELECT id, campaign_id, status, device_id, attempt FROM experiments WHERE id = ANY($1::uuid[])`,
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

  /** Runs a conditional update in a transaction; no row changed means the report was already stored. */
  private async finish(
    row: ExperimentRow,
    deviceId: string,
    status: ExperimentStatus,
    update: (m: EntityManager) => Promise<boolean>,
  ): Promise<IngestOutcome> {
    const changed = await this.dataSource.transaction((m) => update(m));
    if (!changed) {
      this.counters.duplicates++;
      this.logger.debug?.(
        `duplicate report from ${deviceId} for experiment ${row.id} ignored`,
        logIds({ campaignId: row.campaign_id, experimentId: row.id, deviceId }),
      );
      return 'duplicate';
    }
    this.counters.stored++;
    this.bus.emit('experiment.updated', { campaignId: row.campaign_id, experimentId: row.id, status });
    return 'stored';
  }
}
