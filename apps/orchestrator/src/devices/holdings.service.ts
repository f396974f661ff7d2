import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { queryRows } from '#persistence';
import { CLOCK, type Clock } from '../common/ports.js';
import { EXPERIMENT_STATUS, sqlStatus } from '../experiments/experiment-lifecycle.js';
import { RedispatchService, type DeviceFailure } from '../experiments/redispatch.service.js';

/** Experiments looked at per reconciliation (a device holding more is reconciled over several messages). */
const BATCH = 200;

/**
 * How far apart the clocks of two replicas may be (NTP keeps them within milliseconds): an
 * acceptance one replica read just after another read the list may carry an earlier time.
 */
const CLOCK_SKEW_MS = 100;

/**
 * Holds the service's view of a device to the device's own word: every list
 * of what it holds (an `online` announcement, live or replayed at start, and
 * each heartbeat that carries one) is compared with the experiments the
 * database has running there, and one the device does not hold goes to
 * another device through the re-dispatch path, audited with the cause.
 *
 * A list says what the device held when it was sent, so only experiments
 * whose acceptance arrived before the list are judged by it: the MQTT edge
 * notes when each message arrives, in order, before handling it; an
 * acceptance is stored with that time, and a list is handled only once the
 * device's events that arrived before it are stored (MqttGateway). One
 * dispatched and not yet accepted is left to the command re-sends (the device
 * de-duplicates), and one accepted within CLOCK_SKEW_MS of the list (another
 * replica's clock) waits for the next list.
 */
@Injectable()
export class HoldingsService {
  private readonly logger = new Logger('devices');
  /** When this instance started: a retained announcement it never read live was sent no later than its first subscription. */
  readonly startedAt: Date;

  constructor(
    private readonly dataSource: DataSource,
    private readonly redispatch: RedispatchService,
    @Inject(CLOCK) clock: Clock,
  ) {
    this.startedAt = clock.now();
  }

  /**
   * Sends elsewhere what the service has running on the device, accepted before `asOf` (less the
   * clock skew allowed), and missing from `holding`. Returns how many experiments were taken off it.
   */
  async reconcile(deviceId: string, holding: readonly string[], asOf: Date, failure: DeviceFailure): Promise<number> {
    const acceptedBefore = new Date(asOf.getTime() - CLOCK_SKEW_MS);
    const lost = await queryRows<{ id: string; campaign_id: string; attempt: number }>(
      this.dataSource,
      `SELECT id, campaign_id, attempt FROM experiments
       WHERE device_id = $1 AND status = ${sqlStatus(EXPERIMENT_STATUS.running)} AND accepted_at < $2 AND NOT (id::text = ANY($3::text[]))
       ORDER BY accepted_at LIMIT $4`,
      [deviceId, acceptedBefore, holding.map((id) => id.toLowerCase()), BATCH],
    );
    let moved = 0;
    for (const e of lost) {
      const outcome = await this.redispatch.deviceFailure({ id: e.id, campaignId: e.campaign_id, deviceId, attempt: e.attempt }, failure);
      if (outcome) moved++;
    }
    if (moved > 0) this.logger.warn(`device ${deviceId} no longer holds ${moved} experiment(s) it had: sent elsewhere (${failure.reason})`);
    return moved;
  }
}
