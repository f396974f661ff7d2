import { Inject, Injectable, Logger, type OnApplicationBootstrap, type BeforeApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { type BatchStatus, CampaignEntity, type ExperimentStatus, queryRows } from '#persistence';
import { AuditService } from '../audit/audit.service.js';
import type { CampaignDefinition } from '../campaigns/campaign-definition.js';
import { outcomesOf, type OutcomeConstraintDefinition, type ParetoObjective, type ParetoTarget } from '../campaigns/outcomes-definition.js';
import { paretoSummary, paretoTargetReached } from '../campaigns/pareto.js';
import { APP_CONFIG, type AppConfig } from '../common/config.js';
import { EventBus } from '../common/events.js';
import { CLOCK, type Clock } from '../common/ports.js';
import {
  countOf,
  EXPERIMENT_STATUS,
  FINISHED,
  IN_PROGRESS,
  ON_DEVICE,
  SPENDS_BUDGET,
  sqlStatus,
  sqlStatuses,
  UNFINISHED,
  type StatusCounts,
} from '../experiments/experiment-lifecycle.js';
import { ExperimentsRepository } from '../experiments/experiments.repository.js';
import { DeviceMonitorService } from './device-monitor.service.js';
import { DispatcherService } from './dispatcher.service.js';
import { LeasesService } from './leases.service.js';
import { ProposerService } from './proposer.service.js';
import { SerialPass } from './serial-pass.js';
import { StallMonitorService } from './stall-monitor.service.js';
import { logIds } from '../common/logger.js';

/**
 * Campaigns proposing at once. Their reads and batch inserts share statements (proposal-store.ts, one
 * connection each), so this bounds the asks waiting for the strategy pool and the reads of candidate
 * lists (those take a connection each, from the pool that ingestion shares), not the proposer's round trips.
 */
const PROPOSING_AT_ONCE = 32;

/** What the campaign pass reads of a running campaign to decide what it needs. */
interface CampaignHead {
  id: string;
  name: string;
  budget: number;
  batch_size: number;
  objective: CampaignDefinition['objective'];
  asynchronous: boolean;
  /** Several objectives: a hypervolume or a point to dominate (null without). */
  target: ParetoTarget | null;
  objectives: ParetoObjective[] | null;
  limits: OutcomeConstraintDefinition[] | null;
}

interface Progress {
  /** Open batches (proposed or approved) with their experiments not yet finished. */
  open: { id: string; status: BatchStatus; unfinished: number }[];
  counts: StatusCounts;
  /** Smallest and largest objective measured. */
  min: number | null;
  max: number | null;
}

/**
 * The closed loop, as two passes that run side by side, each on a timer and
 * woken early by events, neither overlapping itself:
 * - the campaign pass: for every running campaign this replica holds, close
 *   finished batches, stop at budget or target, propose the next batch; then
 *   take experiments back from offline, silent or timed-out devices;
 * - the dispatch pass: send queued experiments to free devices and re-send
 *   unaccepted commands. It is woken as soon as a device slot frees or a
 *   batch is queued, so a device does not wait for the campaign pass.
 */
@Injectable()
export class LoopService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('loop');
  private timer?: NodeJS.Timeout;
  private readonly campaignPass: SerialPass;
  private readonly dispatchPass: SerialPass;
  /** Campaigns with changes since the last step. */
  private readonly dirty = new Set<string>();
  private sweepDue = true;
  /**
   * Re-sends of unaccepted commands are a matter of time: the dispatch pass looks for them on the timer's
   * ticks only, not on every pass a result wakes (two round trips per pass fewer under load).
   */
  private resendsDue = true;
  /**
   * Control commands (abort, stop, resume) are logged unsent and published by the dispatch pass: looked
   * for on the timer's ticks and after the events that log them (an experiment aborted, a device or
   * campaign changed), not after results.
   */
  private controlsDue = true;
  /** A device came, went or changed since the last check of what dead devices hold. */
  private devicesChanged = true;
  /** Campaigns held at the last lease renewal; undefined before the first. */
  private heldCache?: Set<string>;
  private lastHeld = new Set<string>();
  /** Proposals in progress, by campaign; each removes itself when it settles. */
  private readonly proposing = new Map<string, Promise<void>>();
  private stopped = false;
  private readonly unsubscribe: (() => void)[] = [];

  constructor(
    private readonly dataSource: DataSource,
    private readonly experiments: ExperimentsRepository,
    private readonly proposer: ProposerService,
    private readonly dispatcher: DispatcherService,
    private readonly devices: DeviceMonitorService,
    private readonly leases: LeasesService,
    private readonly stalls: StallMonitorService,
    private readonly audit: AuditService,
    private readonly bus: EventBus,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    const failed = (what: string) => (e: unknown) =>
      this.logger.error(`${what} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    this.campaignPass = new SerialPass(() => this.campaignStep(), failed('campaign pass'));
    this.dispatchPass = new SerialPass(() => this.dispatchStep(), failed('dispatch pass'));
  }

  onApplicationBootstrap(): void {
    const touch = (e: { campaignId: string }) => {
      this.dirty.add(e.campaignId);
      this.campaignPass.wake();
    };
    this.unsubscribe.push(
      this.bus.on('campaign.updated', (e) => {
        touch(e);
        this.controlsDue = true; // cancelled: its experiments on devices are aborted
        this.dispatchPass.wake(); // resumed: its queued experiments can go out
      }),
      this.bus.on('batch.decided', (e) => {
        touch(e);
        this.dispatchPass.wake();
      }),
      this.bus.on('batch.proposed', (e) => {
        if (e.approved) this.dispatchPass.wake();
      }),
      this.bus.on('experiment.updated', (e) => {
        // Only a finished experiment can change what its campaign needs (close, stop, propose).
        if (!IN_PROGRESS.includes(e.status)) touch(e);
        if (e.status === EXPERIMENT_STATUS.aborted) this.controlsDue = true; // its abort command waits to be sent
        // A finished or re-queued experiment frees a slot or waits for one.
        if (!ON_DEVICE.includes(e.status)) this.dispatchPass.wake();
      }),
      this.bus.on('device.updated', () => {
        this.devicesChanged = true;
        this.controlsDue = true; // stopped or resumed, or back online with commands waiting
        this.wake();
      }),
    );
    // The timer's steps look at every held campaign (work done by other replicas,
    // leases gained); steps woken by events look only at the campaigns that changed.
    this.timer = setInterval(() => {
      this.sweepDue = true;
      this.resendsDue = true;
      this.controlsDue = true;
      this.wake();
    }, this.config.loopIntervalMs);
    this.wake();
  }

  // Before the HTTP server closes and before leases are released (onApplicationShutdown): no new work from the first moment of shutdown.
  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.unsubscribe.forEach((u) => u());
    await Promise.all([this.campaignPass.stop(), this.dispatchPass.stop()]);
    await this.proposalsSettled();
    await this.dispatcher.sendsSettled();
  }

  /** Runs both passes now, or right after the ones in progress. */
  wake(): void {
    this.campaignPass.wake();
    this.dispatchPass.wake();
  }

  /** Both passes, one after the other, as on a timer tick; exposed for tests. */
  async step(): Promise<void> {
    this.resendsDue = true;
    this.controlsDue = true;
    await this.campaignStep();
    await this.proposalsSettled();
    await this.dispatchStep();
    await this.dispatcher.sendsSettled();
  }

  /** Waits for the proposals in progress (and those their settling starts) to settle. */
  private async proposalsSettled(): Promise<void> {
    while (this.proposing.size > 0) await Promise.all(this.proposing.values());
  }

  /**
   * Proposes a campaign's next n experiments, apart from the pass that decided it: the batch goes to the
   * dispatch pass when stored (batch.proposed). Failures are logged; the campaign is looked at again on
   * the next sweep or change, as it would be after a failed pass.
   */
  private startProposal(head: { id: string; name: string }, n: number): void {
    const run = (async () => {
      try {
        if ((await this.proposer.propose(head.id, n)) === 'exhausted')
          await this.finish(head, 'no candidates left: every row of its list was proposed or excluded');
      } catch (e) {
        this.logger.error(`campaign ${head.id}: ${e instanceof Error ? e.message : String(e)}`, logIds({ campaignId: head.id }));
      }
    })();
    this.proposing.set(head.id, run);
    void run.finally(() => {
      this.proposing.delete(head.id);
      // Changes while it proposed (or campaigns left over for want of room) wait for a pass.
      if (this.dirty.size > 0) this.campaignPass.wake();
    });
  }

  /** The campaigns that changed (all held ones on a sweep): close batches, stop, propose; then free what dead devices hold. */
  private async campaignStep(): Promise<void> {
    const sweep = this.sweepDue;
    this.sweepDue = false;
    // Only the campaigns this replica holds the lease of: other replicas run the rest. Leases are
    // renewed on the timer's sweeps, and at once when a campaign this replica does not hold changes
    // (a new one); passes woken by events in between use the set of the last renewal.
    const unknown = [...this.dirty].some((id) => !this.heldCache?.has(id));
    if (sweep || unknown || this.heldCache === undefined) this.heldCache = await this.leases.acquire();
    const held = this.heldCache;
    // A campaign whose proposal is in progress is left to it: its batch is not stored yet, so its progress
    // would ask for another. Its changes meanwhile stay marked, for the pass its proposal wakes when it settles.
    const ids = [...held].filter((id) => !this.proposing.has(id) && (sweep || this.dirty.has(id) || !this.lastHeld.has(id)));
    for (const id of [...this.dirty]) if (!this.proposing.has(id)) this.dirty.delete(id);
    this.lastHeld = held;
    // The figures that decide (budget, objective) are read without the definitions' parameters;
    // whole campaigns are read only for those that propose (proposal-store.ts).
    const heads = ids.length
      ? await queryRows<CampaignHead>(
          this.dataSource,
          `SELECT id, name, (definition->>'budget')::int AS budget, (definition->>'batchSize')::int AS batch_size,
                  definition->'objective' AS objective, COALESCE((definition->>'asynchronous')::boolean, false) AS asynchronous,
                  definition->'target' AS target, definition->'objectives' AS objectives, definition->'outcomeConstraints' AS limits
           FROM campaigns WHERE id = ANY($1::uuid[]) AND status = 'running' ORDER BY created_at`,
          [ids],
        )
      : [];
    const progress = await this.progress(heads.map((h) => h.id));
    const paretoDone = await this.paretoTargets(heads);
    // Approved batches with every experiment finished are closed in one statement for all campaigns.
    const finished = [...progress.values()].flatMap((p) =>
      p.open.filter((b) => b.status === 'approved' && b.unfinished === 0).map((b) => b.id),
    );
    const proposals = new Map<string, number>();
    const finishes: [CampaignHead, string][] = [];
    for (const head of heads) {
      const reached = paretoDone.get(head.id);
      const next = reached !== undefined ? { finish: reached } : this.decide(head, progress.get(head.id)!);
      if (next?.finish !== undefined) finishes.push([head, next.finish]);
      else if (next?.propose !== undefined) proposals.set(head.id, next.propose);
    }
    // Proposals run on their own (startProposal): the pass goes on to close batches and check devices, and the
    // next pass, woken by results meanwhile, need not wait for this one's slowest strategy.
    for (const head of heads) {
      const n = proposals.get(head.id);
      if (n === undefined || this.stopped) continue;
      if (this.proposing.size < PROPOSING_AT_ONCE) this.startProposal(head, n);
      else this.dirty.add(head.id); // looked at again when one of those in progress settles
    }
    if (finished.length > 0) {
      await this.dataSource.query(`UPDATE batches SET status = 'completed' WHERE id = ANY($1::uuid[]) AND status = 'approved'`, [finished]);
    }
    for (const [head, reason] of finishes) {
      try {
        await this.finish(head, reason);
      } catch (e) {
        this.logger.error(`campaign ${head.id}: ${e instanceof Error ? e.message : String(e)}`, logIds({ campaignId: head.id }));
      }
    }
    // Experiments on offline, silent or timed-out devices go back to the queue (and wake the dispatch pass):
    // on the sweeps (timeouts are a matter of time) and when a device changed.
    if (sweep || this.devicesChanged) {
      this.devicesChanged = false;
      await this.devices.check();
    }
    // A held campaign that has not moved for CAMPAIGN_STALL_AFTER_MS is marked stalled, with what it waits for.
    if (sweep) await this.stalls.check([...held]);
  }

  private async dispatchStep(): Promise<void> {
    // Taken before the round trips: an event meanwhile sets them again for the pass it wakes.
    const resends = this.resendsDue;
    const controls = this.controlsDue;
    this.resendsDue = false;
    this.controlsDue = false;
    await this.dispatcher.dispatchQueued();
    if (resends) await this.dispatcher.resendUnaccepted();
    if (controls) await this.dispatcher.sendControlCommands();
  }

  /** What a campaign needs now: to stop (with the reason), a batch of n proposals, or nothing. */
  private decide(head: CampaignHead, progress: Progress): { finish?: string; propose?: number } | undefined {
    const c = progress.counts;
    const done = countOf(c, SPENDS_BUDGET);
    const active = countOf(c, UNFINISHED);
    const objective = head.objective;
    const target = objective.target;
    const best = objective.direction === 'minimize' ? progress.min : progress.max;
    if (target !== undefined && best !== null && (objective.direction === 'minimize' ? best <= target : best >= target)) {
      return { finish: `target reached: ${objective.name} = ${best}` };
    }
    if (done >= head.budget) return { finish: `budget of ${head.budget} experiments spent` };
    // A batch waiting for an operator holds the next one back in either mode.
    if (progress.open.some((b) => b.status === 'proposed')) return undefined;
    if (head.asynchronous) {
      // Batches overlap: refill once at most half of batchSize is still in flight, never past the budget.
      const room = Math.min(head.batch_size - active, head.budget - done - active);
      return active <= Math.floor(head.batch_size / 2) && room > 0 ? { propose: room } : undefined;
    }
    // One batch at a time: the next is proposed once the current one has finished.
    if (active > 0 || progress.open.some((b) => b.unfinished > 0)) return undefined;
    return { propose: Math.min(head.batch_size, head.budget - done) };
  }

  /** Campaigns of several objectives whose target (a hypervolume, a point to dominate) is reached, with why; one query for all. */
  private async paretoTargets(heads: CampaignHead[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    const withTarget = heads.filter((h) => h.target !== null);
    if (withTarget.length === 0) return out;
    const rows = await queryRows<{
      id: string;
      campaign_id: string;
      index: number;
      values: Record<string, number | null>;
      finished_at: Date | null;
    }>(
      this.dataSource,
      `SELECT id, campaign_id, index, "values", finished_at FROM experiments
       WHERE campaign_id = ANY($1::uuid[]) AND status = ${sqlStatus(EXPERIMENT_STATUS.completed)} AND "values" IS NOT NULL`,
      [withTarget.map((h) => h.id)],
    );
    for (const head of withTarget) {
      const { objectives, constraints } = outcomesOf({
        objective: head.objective,
        objectives: head.objectives ?? undefined,
        outcomeConstraints: head.limits ?? undefined,
      });
      const results = rows
        .filter((r) => r.campaign_id === head.id)
        .map((r) => ({ experimentId: r.id, index: r.index, values: r.values, finishedAt: r.finished_at }));
      const reached = paretoTargetReached(head.target!, paretoSummary(objectives, constraints, results));
      if (reached !== undefined) out.set(head.id, reached);
    }
    return out;
  }

  /** Progress of many campaigns in two queries, whatever their number. */
  private async progress(ids: string[]): Promise<Map<string, Progress>> {
    const out = new Map<string, Progress>(ids.map((id) => [id, { open: [], counts: {}, min: null, max: null }]));
    if (ids.length === 0) return out;
    // The two reads side by side: one round trip's wait instead of two.
    const [open, counts] = await Promise.all([
      queryRows<{ id: string; campaign_id: string; status: BatchStatus; unfinished: number }>(
      this.dataSource,
      `SELECT b.id, b.campaign_id, b.status,
              (SELECT count(*)::int FROM experiments e WHERE e.batch_id = b.id AND e.status NOT IN ${sqlStatuses(FINISHED)}) AS unfinished
       FROM batches b WHERE b.campaign_id = ANY($1::uuid[]) AND b.status IN ('proposed', 'approved') ORDER BY b.index`,
        [ids],
      ),
      queryRows<{ campaign_id: string; status: ExperimentStatus; n: number; min: number | null; max: number | null }>(
        this.dataSource,
        `SELECT campaign_id, status, count(*)::int AS n, MIN(objective) AS min, MAX(objective) AS max
         FROM experiments WHERE campaign_id = ANY($1::uuid[]) GROUP BY campaign_id, status`,
        [ids],
      ),
    ]);
    for (const b of open) out.get(b.campaign_id)!.open.push({ id: b.id, status: b.status, unfinished: b.unfinished });
    for (const r of counts) {
      const p = out.get(r.campaign_id)!;
      p.counts[r.status] = r.n;
      if (r.status === EXPERIMENT_STATUS.completed) {
        p.min = r.min;
        p.max = r.max;
      }
    }
    return out;
  }

  private async finish(campaign: { id: string; name: string }, reason: string): Promise<void> {
    const now = this.clock.now();
    const changed = await this.dataSource.transaction(async (m) => {
      const r = await m.update(
        CampaignEntity,
        { id: campaign.id, status: 'running' },
        { status: 'completed', stopReason: reason, completedAt: now, updatedAt: now },
      );
      if (!r.affected) return false;
      // Proposals not yet sent are not needed any more; experiments on devices finish and are stored.
      await this.experiments.cancelUnsent(m, campaign.id, now);
      await m.query(`UPDATE batches SET status = 'completed' WHERE campaign_id = $1 AND status IN ('proposed', 'approved')`, [campaign.id]);
      await this.audit.record({ actor: 'service', action: 'campaign.completed', campaignId: campaign.id, details: { reason } }, m);
      return true;
    });
    if (changed) {
      this.logger.log(`campaign ${campaign.name} completed: ${reason}`, logIds({ campaignId: campaign.id }));
      this.bus.emit('campaign.updated', { campaignId: campaign.id, status: 'completed' });
    }
  }
}
