import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { type CampaignStatus, queryRows } from '#persistence';
import { AuditService } from '../audit/audit.service.js';
import { EventBus } from '../common/events.js';
import { CLOCK, type Clock } from '../common/ports.js';
import { EXPERIMENT_TRANSITIONS } from './experiment-lifecycle.js';
import { ExperimentsRepository } from './experiments.repository.js';
import { logIds } from '../common/logger.js';

/** What took an experiment away from its device. */
export type DeviceFailureCause =
  /** The device reported `failed` with scope "device". */
  | 'failed'
  /** The device refused the command. */
  | 'rejected'
  /** The device went offline (Last Will, announced offline, or silent). */
  | 'offline'
  /** No result within the campaign's experimentTimeoutS. */
  | 'timeout'
  /** The device now declares limits that exclude the experiment. */
  | 'limits'
  /** The device's own list of what it holds (announcement or heartbeat) leaves it out: it restarted or dropped it. */
  | 'lost'
  /** The device reported in a protocol version the service does not speak. */
  | 'protocol'
  /** An operator stopped the device (emergency stop): it finishes nothing. */
  | 'stopped';

/** The experiment as the caller saw it on its device; the update applies only if it is still so. */
export interface AssignedExperiment {
  id: string;
  campaignId: string;
  deviceId: string;
  attempt: number;
}

export interface DeviceFailure {
  cause: DeviceFailureCause;
  reason: string;
  /** Who noticed: "device:<id>" for its own reports, "service" for silence, Last Will and timeouts. */
  actor: string;
}

/** queued: it goes to another device; failed: its retry budget is spent (or its campaign is over). */
export type DeviceFailureOutcome = (typeof EXPERIMENT_TRANSITIONS)['requeue' | 'fail']['to'];

/**
 * A device failure takes the experiment off its device: it is queued again
 * (attempt + 1 at the next dispatch, preferably on another device) while the
 * campaign's maxAttempts allow, else it fails with scope "device". Either way
 * the optimizer never learns from it. The update is conditional on the
 * experiment still being on that device at that attempt, so a failure noticed
 * twice (a Last Will and a timeout, two replicas) acts once.
 */
@Injectable()
export class RedispatchService {
  private readonly logger = new Logger('redispatch');
  /** Experiments queued again for another device, and failed with their retry budget spent (the metrics read them). */
  readonly counters = { requeued: 0, failed: 0 };

  constructor(
    private readonly dataSource: DataSource,
    private readonly experiments: ExperimentsRepository,
    private readonly audit: AuditService,
    private readonly bus: EventBus,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** Returns what happened, or undefined when the experiment was no longer on that device (nothing changed). */
  async deviceFailure(e: AssignedExperiment, failure: DeviceFailure): Promise<DeviceFailureOutcome | undefined> {
    const outcome = await this.dataSource.transaction(async (m) => {
      const [campaign] = await queryRows<{ status: CampaignStatus; max_attempts: number | null }>(
        m,
        `SELECT status, (definition->>'maxAttempts')::int AS max_attempts FROM campaigns WHERE id = $1`,
        [e.campaignId],
      );
      if (!campaign) return undefined;
      const maxAttempts = campaign.max_attempts ?? 3;
      const over = campaign.status === 'completed' || campaign.status === 'cancelled';
      const exhausted = e.attempt >= maxAttempts;
      const now = this.clock.now();
      const on = { id: e.id, deviceId: e.deviceId, attempt: e.attempt };
      let next: DeviceFailureOutcome;
      let changed: boolean;
      if (over || exhausted) {
        next = EXPERIMENT_TRANSITIONS.fail.to;
        const why = over
          ? `device failure after the campaign was ${campaign.status}, not re-dispatched: ${failure.reason}`
          : `device failure after ${e.attempt} attempt${e.attempt === 1 ? '' : 's'}: ${failure.reason}`;
        changed = await this.experiments.failOnDevice(m, on, why.slice(0, 2000), now);
      } else {
        next = EXPERIMENT_TRANSITIONS.requeue.to;
        changed = await this.experiments.requeue(m, on);
      }
      if (!changed) return undefined;
      await this.audit.record(
        {
          actor: failure.actor,
          action: next === EXPERIMENT_TRANSITIONS.requeue.to ? 'experiment.redispatch' : 'experiment.failed',
          campaignId: e.campaignId,
          experimentId: e.id,
          deviceId: e.deviceId,
          details: { scope: 'device', cause: failure.cause, reason: failure.reason, attempt: e.attempt, maxAttempts, next },
        },
        m,
      );
      return next;
    });
    if (outcome) {
      if (outcome === EXPERIMENT_TRANSITIONS.requeue.to) this.counters.requeued++;
      else this.counters.failed++;
      this.logger.log(
        `experiment ${e.id} taken off ${e.deviceId} (${failure.cause}: ${failure.reason}); ${outcome === EXPERIMENT_TRANSITIONS.requeue.to ? 'queued for another device' : 'failed'}`,
        logIds({ campaignId: e.campaignId, experimentId: e.id, deviceId: e.deviceId }),
      );
      this.bus.emit('experiment.updated', { campaignId: e.campaignId, experimentId: e.id, status: outcome });
    }
    return outcome;
  }
}
