import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { z } from 'zod';
import { ExperimentEntity, queryRows, type ExperimentStatus, type FailureScope } from '#persistence';
import { metadataSchema, PROTOCOL_VERSION, type ResultEvent } from '#protocol';
import { AuditService } from '../audit/audit.service.js';
import { DeviceCommandsService } from '../commands/device-commands.service.js';
import { DomainError } from '../common/errors.js';
import { EventBus } from '../common/events.js';
import { logIds } from '../common/logger.js';
import { parseInput } from '../common/parse-input.js';
import { CLOCK, type Clock } from '../common/ports.js';
import { UUID } from '../common/uuid.js';
import {
  EXPERIMENT_STATUS,
  EXPERIMENT_TRANSITIONS as T,
  FINISHED,
  judgeRepeat,
  MANUAL_DEVICE_KIND,
  type ReportedOutcome,
} from './experiment-lifecycle.js';
import { ExperimentsRepository } from './experiments.repository.js';
import { resultProblem, type Objective } from './objectives.js';

/** What an operator reports for an experiment a person ran: its values, or that it failed (scope and reason). */
export const personReportSchema = z
  .object({
    values: z.record(z.string().min(1).max(64), z.number().finite()).optional(),
    failed: z
      .object({ scope: z.enum(['device', 'experiment']), reason: z.string().trim().min(1).max(1024) })
      .strict()
      .optional(),
    metadata: metadataSchema.optional(),
    note: z.string().max(1024).optional(),
  })
  .strict()
  .superRefine((r, ctx) => {
    if ((r.values === undefined) === (r.failed === undefined))
      ctx.addIssue({
        code: 'custom',
        message: 'give either "values" (what was measured) or "failed" ({"scope", "reason"}), not both or neither',
      });
    if (r.values !== undefined && Object.keys(r.values).length > 100)
      ctx.addIssue({ code: 'custom', path: ['values'], message: 'at most 100 values' });
  });
export type PersonReport = z.infer<typeof personReportSchema>;

export const abortRequestSchema = z.object({ reason: z.string().trim().min(1).max(1024).optional() }).strict();

/** An experiment that an abort ended, as the repository returns it. */
export interface Aborted {
  id: string;
  campaign_id: string;
  was: ExperimentStatus;
  device_id: string | null;
  attempt: number;
  command_id: string | null;
}

interface ExperimentHead {
  id: string;
  campaign_id: string;
  status: ExperimentStatus;
  device_kind: string | null;
  objective: Objective;
  values: Record<string, number | null> | null;
  objective_value: number | null;
  failure_scope: FailureScope | null;
  failure_reason: string | null;
  reported_by: string | null;
  finished_at: Date | null;
}

/**
 * What an operator does to one experiment: abort it (on a device: the device is told, re-sent until it
 * acknowledges), or report the outcome of one a person ran (a campaign of the manual device kind). Each is
 * one conditional transition of the lifecycle table, so an abort racing a device's result, or two reports
 * of one manual experiment, end in exactly one outcome.
 */
@Injectable()
export class ExperimentControlsService {
  private readonly logger = new Logger('experiments');

  constructor(
    private readonly dataSource: DataSource,
    private readonly experiments: ExperimentsRepository,
    private readonly commands: DeviceCommandsService,
    private readonly audit: AuditService,
    private readonly bus: EventBus,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async get(id: string): Promise<ExperimentEntity> {
    const e = UUID.test(id) ? await this.dataSource.getRepository(ExperimentEntity).findOne({ where: { id } }) : null;
    if (!e) throw new DomainError('not_found', `experiment ${id} not found`);
    return e;
  }

  /** Aborts an experiment not yet finished: neither data nor run again; on a device, the device is told to stop it. */
  async abort(id: string, body: unknown, actor: string): Promise<{ experiment: ExperimentEntity; commandId: string | null }> {
    const { reason } = parseInput(abortRequestSchema, body, 'abort');
    const head = await this.head(id);
    const why = reason ?? `aborted by ${actor}`;
    const [aborted] = await this.dataSource.transaction(async (m) => {
      const rows = await this.experiments.abort(m, { ids: [head.id] }, why, actor, this.clock.now());
      await this.auditAborts(m, rows, why, actor);
      return rows;
    });
    if (!aborted) {
      const now = await this.head(id);
      throw new DomainError(
        'invalid_state',
        `experiment ${id} is ${now.status}: ${
          FINISHED.includes(now.status)
            ? 'a finished experiment cannot be aborted'
            : now.status === EXPERIMENT_STATUS.proposed
              ? 'its batch waits for approval; leave it out (edit-and-approve) or reject the batch'
              : 'it cannot be aborted now'
        }`,
      );
    }
    await this.announce([aborted]);
    return { experiment: await this.get(id), commandId: aborted.command_id };
  }

  /**
   * Cancelling a campaign aborts its experiments on devices (in the cancellation's transaction; call
   * announce with the result once it committed). Those not sent yet are cancelled by the campaign.
   */
  async abortOnDevices(m: EntityManager, campaignId: string, actor: string): Promise<Aborted[]> {
    const why = `campaign cancelled by ${actor}`;
    const rows = await this.experiments.abort(m, { campaignId }, why, actor, this.clock.now());
    await this.auditAborts(m, rows, why, actor);
    return rows;
  }

  /** After an abort committed: the console hears of it, and the abort commands go out now (re-sent until acknowledged). */
  async announce(aborted: Aborted[]): Promise<void> {
    for (const a of aborted) {
      this.bus.emit('experiment.updated', { campaignId: a.campaign_id, experimentId: a.id, status: T.abort.to });
      this.logger.log(
        `experiment ${a.id} aborted (was ${a.was}${a.device_id ? ` on ${a.device_id}` : ''})`,
        logIds({ campaignId: a.campaign_id, experimentId: a.id, deviceId: a.device_id ?? undefined }),
      );
    }
    if (aborted.some((a) => a.command_id !== null)) await this.commands.sendDue();
  }

  /**
   * An operator reports the outcome of an experiment a person ran, once: a second report of the same outcome
   * is answered as a repeat (nothing stored again), one of another outcome is refused with what is stored.
   */
  async reportByPerson(id: string, body: unknown, actor: string): Promise<{ experiment: ExperimentEntity; repeated: boolean }> {
    const report = parseInput(personReportSchema, body, 'result');
    const head = await this.head(id);
    if (head.device_kind !== MANUAL_DEVICE_KIND)
      throw new DomainError(
        'invalid_state',
        `experiment ${id} is not run by a person: its campaign's deviceKind is ${JSON.stringify(head.device_kind)}, so its device reports its result (a campaign with "deviceKind": "${MANUAL_DEVICE_KIND}" takes results through this route)`,
      );
    let objective: number | null = null;
    if (report.values) {
      const event: ResultEvent = {
        v: PROTOCOL_VERSION,
        type: 'result',
        experimentId: head.id,
        ts: this.clock.now().toISOString(),
        values: report.values,
      };
      const problem = resultProblem(head.objective, event);
      if (problem !== undefined)
        throw new DomainError('invalid_input', `invalid result: ${problem}`, [
          `values: ${problem} (a measurement that failed is reported as "failed": {"scope": "experiment", "reason": ...})`,
        ]);
      objective = report.values[head.objective.name];
    }
    const metadata = report.metadata ? JSON.stringify(report.metadata) : null;
    const now = this.clock.now();
    const stored = await this.dataSource.transaction(async (m) => {
      const changed = await this.experiments.reportByPerson(
        m,
        head.id,
        report.values
          ? { status: 'completed', values: JSON.stringify(report.values), objective: objective!, metadata }
          : { status: 'failed', scope: report.failed!.scope, reason: report.failed!.reason, values: null, metadata },
        actor,
        now,
      );
      if (changed)
        await this.audit.record(
          {
            actor,
            action: 'experiment.reported',
            campaignId: head.campaign_id,
            experimentId: head.id,
            details: {
              ...(report.values ? { values: report.values } : { failed: report.failed! }),
              ...(report.metadata ? { metadata: report.metadata } : {}),
              note: report.note ?? null,
            },
          },
          m,
        );
      return changed;
    });
    if (stored) {
      this.bus.emit('experiment.updated', {
        campaignId: head.campaign_id,
        experimentId: head.id,
        status: report.values ? T.reportByPerson.to : T.reportFailureByPerson.to,
      });
      return { experiment: await this.get(id), repeated: false };
    }
    const now2 = await this.head(id);
    const reported: ReportedOutcome = report.values
      ? { status: EXPERIMENT_STATUS.completed, values: report.values }
      : { status: EXPERIMENT_STATUS.failed, scope: report.failed!.scope };
    const judged = judgeRepeat({ status: now2.status, values: now2.values, failureScope: now2.failure_scope }, reported);
    if (judged === 'same') return { experiment: await this.get(id), repeated: true };
    throw new DomainError('invalid_state', `experiment ${id} cannot take a result: ${describe(now2)}`);
  }

  private async auditAborts(m: EntityManager, rows: Aborted[], reason: string, actor: string): Promise<void> {
    for (const r of rows)
      await this.audit.record(
        {
          actor,
          action: 'experiment.aborted',
          campaignId: r.campaign_id,
          experimentId: r.id,
          ...(r.device_id ? { deviceId: r.device_id } : {}),
          details: { reason, was: r.was, attempt: r.attempt, commandId: r.command_id },
        },
        m,
      );
  }

  private async head(id: string): Promise<ExperimentHead> {
    const [row] = UUID.test(id)
      ? await queryRows<ExperimentHead>(
          this.dataSource,
          `SELECT e.id, e.campaign_id, e.status, c.definition->>'deviceKind' AS device_kind, c.definition->'objective' AS objective,
                  e."values", e.objective AS objective_value, e.failure_scope, e.failure_reason, e.reported_by, e.finished_at
           FROM experiments e JOIN campaigns c ON c.id = e.campaign_id WHERE e.id = $1`,
          [id],
        )
      : [];
    if (!row) throw new DomainError('not_found', `experiment ${id} not found`);
    return row;
  }
}

/** Why an experiment takes no (further) result, in words. */
function describe(e: ExperimentHead): string {
  const by = e.reported_by ? ` by ${e.reported_by}` : '';
  const at = e.finished_at ? ` at ${e.finished_at.toISOString()}` : '';
  switch (e.status) {
    case 'completed':
      return `its result was already reported${by}${at} (${e.objective.name} = ${e.objective_value}); a second report is refused`;
    case 'failed':
      return `it was already reported failed${by}${at} (scope ${e.failure_scope}: ${e.failure_reason}); a second report is refused`;
    case 'proposed':
      return 'its batch waits for approval';
    default:
      return `it is ${e.status}${e.failure_reason ? ` (${e.failure_reason})` : ''}`;
  }
}
