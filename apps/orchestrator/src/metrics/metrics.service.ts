import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import { type ExperimentStatus, queryRows } from '#persistence';
import { MqttEdgeLimits } from '../common/rate-limiter.js';
import { EventBus } from '../common/events.js';
import { sqlStatuses, UNFINISHED } from '../experiments/experiment-lifecycle.js';
import { RedispatchService } from '../experiments/redispatch.service.js';
import { ResultsService } from '../experiments/results.service.js';
import type { MqttConnection } from '../mqtt/mqtt-connection.js';
import { MQTT_CONNECTION, MqttGateway } from '../mqtt/mqtt.gateway.js';

/** A scrape waits this long for the database before reporting it unreachable (a scrape must answer even when it is down). */
const DATABASE_PROBE_MS = 2000;
/** Proposal latency buckets, in seconds: a design answers in milliseconds, a GP fit on a few hundred points in seconds. */
const PROPOSAL_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * Node's process metrics (CPU, memory, event-loop delay, GC) belong to the
 * process, not to a service instance: collected once per process, into one
 * registry, however many services it starts (the tests start many; each
 * collection keeps its own event-loop monitor and GC observer running).
 */
let processMetrics: Registry | undefined;
function processRegistry(): Registry {
  if (!processMetrics) {
    processMetrics = new Registry();
    collectDefaultMetrics({ register: processMetrics });
  }
  return processMetrics;
}

/**
 * The Prometheus metrics of one service instance, in a registry of its own
 * (several services in one process, as in the tests, do not mix). The
 * counters are read at scrape time from where they are kept (ResultsService,
 * RedispatchService, the MQTT edge), as the health endpoint reads them;
 * proposals are counted from the event bus; queue depths and the database's
 * reachability are queried at each scrape.
 */
@Injectable()
export class MetricsService implements OnModuleDestroy {
  readonly registry = new Registry();
  private readonly unsubscribe: () => void;
  private readonly experiments: Gauge<'status'>;
  private readonly databaseUp: Gauge;

  constructor(
    private readonly dataSource: DataSource,
    private readonly results: ResultsService,
    private readonly redispatch: RedispatchService,
    private readonly gateway: MqttGateway,
    private readonly limits: MqttEdgeLimits,
    @Inject(MQTT_CONNECTION) private readonly mqtt: MqttConnection,
    bus: EventBus,
  ) {
    const registers = [this.registry];
    // The counters live where they are incremented; a scrape copies their current values.
    const mirrored = (name: string, help: string, read: () => number) =>
      new Counter({
        name,
        help,
        registers,
        collect() {
          this.reset();
          this.inc(read());
        },
      });
    mirrored('hakken_results_ingested_total', 'Results stored (each experiment at most once)', () => this.results.counters.stored);
    mirrored(
      'hakken_results_duplicate_total',
      'Results delivered again for an experiment already stored (answered, not stored)',
      () => this.results.counters.duplicates,
    );
    mirrored(
      'hakken_results_refused_total',
      'Reports refused: unknown experiment, wrong device or state, objective missing or out of range',
      () => this.results.counters.rejected,
    );
    mirrored(
      'hakken_redispatches_total',
      'Experiments taken off a failing device and queued for another',
      () => this.redispatch.counters.requeued,
    );
    mirrored(
      'hakken_device_failures_exhausted_total',
      'Experiments failed because device failures spent their retry budget',
      () => this.redispatch.counters.failed,
    );
    mirrored('hakken_mqtt_messages_received_total', 'Device messages received at the MQTT edge', () => this.gateway.counters.received);
    const dropped = new Counter({
      name: 'hakken_mqtt_messages_dropped_total',
      help: 'Device messages dropped at the MQTT edge, by reason',
      labelNames: ['reason'] as const,
      registers,
      collect: () => {
        dropped.reset();
        dropped.inc({ reason: 'malformed' }, this.gateway.counters.malformed);
        dropped.inc({ reason: 'oversized' }, this.limits.counters.oversized);
        dropped.inc({ reason: 'rate_limited' }, this.limits.counters.rateLimited);
      },
    });

    const batches = new Counter({ name: 'hakken_batches_proposed_total', help: 'Batches proposed by the strategies', registers });
    const proposals = new Counter({ name: 'hakken_proposals_total', help: 'Experiments proposed by the strategies', registers });
    const latency = new Histogram({
      name: 'hakken_proposal_duration_seconds',
      help: 'Time a strategy took to propose a batch (on its worker, without the wait for a free worker)',
      buckets: PROPOSAL_BUCKETS,
      registers,
    });
    this.unsubscribe = bus.on('batch.proposed', (b) => {
      batches.inc();
      proposals.inc(b.size);
      latency.observe(b.elapsedMs / 1000);
    });

    const mqttUp: Gauge = new Gauge({
      name: 'hakken_mqtt_connected',
      help: '1 while the service is connected to the MQTT broker, else 0',
      registers,
      collect: () => mqttUp.set(this.mqtt.client.connected ? 1 : 0),
    });
    this.experiments = new Gauge({
      name: 'hakken_experiments',
      help: 'Experiments not finished yet, by status (waiting for approval, queued, on a device): the queue depths',
      labelNames: ['status'] as const,
      registers,
    });
    this.databaseUp = new Gauge({ name: 'hakken_database_up', help: '1 when the database answered this scrape, else 0', registers });
  }

  /**
   * The registry's text exposition, in Prometheus' format. The database is
   * asked first, once: when it answers it is up, and the queue depths are
   * its answer; they are left out of a scrape that could not read them.
   */
  async scrape(): Promise<string> {
    const depths = await this.queueDepths().catch(() => undefined);
    this.databaseUp.set(depths ? 1 : 0);
    this.experiments.reset();
    if (depths) for (const status of UNFINISHED) this.experiments.set({ status }, depths.get(status) ?? 0);
    return Registry.merge([processRegistry(), this.registry]).metrics();
  }

  onModuleDestroy(): void {
    this.unsubscribe();
    this.registry.clear();
  }

  private async queueDepths(): Promise<Map<ExperimentStatus, number>> {
    const query = queryRows<{ status: ExperimentStatus; n: string }>(
      this.dataSource,
      `SELECT status, count(*) AS n FROM experiments WHERE status IN ${sqlStatuses(UNFINISHED)} GROUP BY status`,
      [],
    );
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${DATABASE_PROBE_MS} ms`)), DATABASE_PROBE_MS);
    });
    try {
      const rows = await Promise.race([query, timeout]);
      return new Map(rows.map((r) => [r.status, Number(r.n)]));
    } finally {
      clearTimeout(timer);
    }
  }
}
