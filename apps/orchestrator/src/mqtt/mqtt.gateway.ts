import { Inject, Injectable, Logger, type OnApplicationBootstrap, type BeforeApplicationShutdown } from '@nestjs/common';
import { parseMessage, parseTopic, PROTOCOL_VERSION, topics, type AckCommand, type DeviceEvent } from '#protocol';
import { retry } from '#connections';
import { databaseRetryReason } from '#persistence';
import { DomainError, assertNever } from '../common/errors.js';
import { MqttEdgeLimits } from '../common/rate-limiter.js';
import { CLOCK, COMMAND_PUBLISHER, type Clock, type CommandPublisher } from '../common/ports.js';
import { DevicesService } from '../devices/devices.service.js';
import { DeviceCommandsService } from '../commands/device-commands.service.js';
import { ResultsService, type Ingested } from '../experiments/results.service.js';
import { MqttConnection } from './mqtt-connection.js';

export const MQTT_CONNECTION = Symbol('MQTT_CONNECTION');

/**
 * The MQTT edge: parses every payload with the protocol's schemas, routes it to
 * a service, and answers results and failures with an ack (the protocol's
 * reply envelope). Domain errors become `ack` errors; anything else (the
 * database is away) is left unacknowledged, so the device sends it again.
 */
@Injectable()
export class MqttGateway implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('mqtt');
  readonly counters = { received: 0, malformed: 0 };
  private readonly inflight = new Set<Promise<void>>();
  private closing = false;
  /** Per device, the availability and heartbeat being handled: they are applied in the order they arrived. */
  private readonly lanes = new Map<string, Promise<void>>();
  /**
   * Per device, its events being handled. An availability or heartbeat waits for those that
   * arrived before it, so the list of what the device holds is judged with every acceptance
   * it had sent before the list stored (HoldingsService).
   */
  private readonly eventsInFlight = new Map<string, Set<Promise<void>>>();

  constructor(
    @Inject(MQTT_CONNECTION) private readonly connection: MqttConnection,
    @Inject(COMMAND_PUBLISHER) private readonly publisher: CommandPublisher,
    private readonly devices: DevicesService,
    private readonly results: ResultsService,
    private readonly limits: MqttEdgeLimits,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly commands: DeviceCommandsService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const client = this.connection.client;
    client.on('message', (topic, payload, packet) => {
      if (this.closing) return;
      if (this.limits.check(topic, payload) !== 'accept') return; // oversized or over the device's event rate: dropped, counted
      // Read in arrival order, before any await: what a device says is judged against what the service knew when it arrived.
      const receivedAt = this.clock.now();
      const parsed = parseTopic(topic);
      const earlier = parsed && parsed.kind !== 'events' ? [...(this.eventsInFlight.get(parsed.deviceId) ?? [])] : [];
      const p = this.handle(topic, payload, packet.retain, receivedAt, earlier).catch((e: unknown) =>
        this.logger.error(`handling ${topic}: ${e instanceof Error ? e.stack : String(e)}`),
      );
      this.inflight.add(p);
      void p.finally(() => this.inflight.delete(p));
      if (parsed?.kind === 'events') this.trackEvent(parsed.deviceId, p);
    });
    // Subscribing again on every reconnect covers brokers that forgot our session.
    const subscribe = () =>
      client.subscribeAsync({ [topics.allAvailability]: { qos: 1 }, [topics.allEvents]: { qos: 1 }, [topics.allHeartbeats]: { qos: 0 } });
    client.on('connect', (ack) => {
      if (!ack.sessionPresent) void subscribe().catch((e: Error) => this.logger.error(`subscribe failed: ${e.message}`));
    });
    await subscribe();
    this.logger.log(`listening on ${topics.allAvailability} and ${topics.allEvents}`);
  }

  /** Stops taking messages and waits for those being stored. */
  // Before the HTTP server closes (not after it, in onApplicationShutdown): no new messages from the first moment of shutdown.
  async beforeApplicationShutdown(): Promise<void> {
    this.closing = true;
    await Promise.allSettled([...this.inflight]);
  }

  /**
   * `retained`: a retained message replayed by the broker on subscribe; `receivedAt`: when it arrived;
   * `earlier`: the device's events in flight when an availability or heartbeat arrived (waited for).
   */
  async handle(
    topic: string,
    payload: Buffer,
    retained = false,
    receivedAt = this.clock.now(),
    earlier: Promise<void>[] = [],
  ): Promise<void> {
    this.counters.received++;
    const parsed = parseTopic(topic);
    if (!parsed) return;
    switch (parsed.kind) {
      case 'availability': {
        // An empty retained payload is how MQTT deletes a retained message (a device taken out of service): nothing to record.
        if (payload.length === 0) return;
        const m = parseMessage('availability', payload);
        if (!m.ok) return this.malformed(topic, m.error);
        const availability = m.value;
        return this.inLane(parsed.deviceId, async () => {
          await Promise.allSettled(earlier);
          return this.untilStored(`availability of ${parsed.deviceId}`, () =>
            this.devices.onAvailability(parsed.deviceId, availability, retained, receivedAt),
          );
        });
      }
      case 'events': {
        const m = parseMessage('events', payload);
        if (!m.ok) return this.malformedEvent(parsed.deviceId, topic, payload, m.error);
        await this.devices.seen(parsed.deviceId, receivedAt); // any message shows the device is alive
        return this.onEvent(parsed.deviceId, m.value, receivedAt);
      }
      case 'heartbeat': {
        const m = parseMessage('heartbeat', payload);
        if (!m.ok) return this.malformed(topic, m.error);
        const heartbeat = m.value;
        return this.inLane(parsed.deviceId, async () => {
          await Promise.allSettled(earlier);
          return this.devices.touch(parsed.deviceId, heartbeat, receivedAt);
        });
      }
      case 'commands':
        return; // our own commands, if a broker echoes them
      default:
        return assertNever(parsed.kind, 'topic kind');
    }
  }

  private async onEvent(deviceId: string, event: DeviceEvent, receivedAt: Date): Promise<void> {
    try {
      switch (event.type) {
        case 'accepted':
          return await this.results.onAccepted(deviceId, event, receivedAt);
        case 'progress':
          return await this.results.onProgress(deviceId, event); // last seen is recorded for every event
        case 'rejected':
          await this.results.onRejected(deviceId, event);
          return;
        case 'result':
          return await this.ackIngested(deviceId, event, await this.results.onResult(deviceId, event));
        case 'failed':
          return await this.ackIngested(deviceId, event, await this.results.onFailed(deviceId, event));
        case 'command_ack':
          await this.commands.onAck(deviceId, event);
          return;
        default:
          return assertNever(event, 'event');
      }
    } catch (e) {
      if (e instanceof DomainError) {
        if (event.type === 'result' || event.type === 'failed')
          return this.ack(deviceId, event.experimentId, event.attempt, { code: e.code, message: e.message });
        return;
      }
      throw e;
    }
  }

  /**
   * An availability is published once per connection, never re-sent: one that
   * arrives while the database is away is retried (in its device's lane, so
   * the order holds) until stored, else a device back online would stay
   * offline in the registry. Only an unreachable database is waited for;
   * any other error, or shutting down, ends it.
   */
  private untilStored(what: string, fn: () => Promise<void>): Promise<void> {
    return retry(fn, {
      retryReason: (e) => (this.closing ? undefined : databaseRetryReason(e)),
      onRetry: (reason, delayMs) => this.logger.warn(`${what} not stored (${reason}); retrying in ${delayMs} ms`),
      maxWaitMs: Number.POSITIVE_INFINITY,
      initialDelayMs: 200,
      maxDelayMs: 5000,
    });
  }

  private trackEvent(deviceId: string, p: Promise<void>): void {
    let set = this.eventsInFlight.get(deviceId);
    if (!set) this.eventsInFlight.set(deviceId, (set = new Set()));
    set.add(p);
    void p.finally(() => {
      set.delete(p);
      if (set.size === 0 && this.eventsInFlight.get(deviceId) === set) this.eventsInFlight.delete(deviceId);
    });
  }

  /** Runs fn after the previous availability or heartbeat of this device was handled (a Last Will must not overtake an "online"). */
  private inLane(deviceId: string, fn: () => Promise<void>): Promise<void> {
    const previous = this.lanes.get(deviceId) ?? Promise.resolve();
    const next = previous.then(fn, fn);
    const tail = next.catch(() => undefined);
    this.lanes.set(deviceId, tail);
    void tail.then(() => {
      if (this.lanes.get(deviceId) === tail) this.lanes.delete(deviceId);
    });
    return next;
  }

  private malformed(topic: string, error: string): void {
    this.counters.malformed++;
    this.logger.warn(`refused a message on ${topic}: ${error}`);
  }

  /**
   * A final report we cannot read would be re-sent forever: tell the device why
   * it is refused. What it says of the chemistry cannot be trusted (another
   * protocol version, values outside the schema), so it is a device problem:
   * the experiment goes to another device, and is never data for the optimizer.
   */
  private async malformedEvent(deviceId: string, topic: string, payload: Buffer, error: string): Promise<void> {
    this.malformed(topic, error);
    let raw: { experimentId?: unknown; type?: unknown; v?: unknown } = {};
    try {
      raw = JSON.parse(payload.toString('utf8')) as typeof raw;
    } catch {
      return;
    }
    if (typeof raw !== 'object' || raw === null || typeof raw.experimentId !== 'string' || raw.experimentId.length > 128) return;
    if (raw.type !== 'result' && raw.type !== 'failed') return;
    const unsupported = raw.v !== PROTOCOL_VERSION;
    try {
      await this.devices.onProtocolError(
        deviceId,
        raw.experimentId,
        unsupported
          ? `device ${deviceId} reported in a protocol this service does not speak: ${error}`
          : `device ${deviceId} sent a report this service cannot read: ${error}`,
      );
    } catch (e) {
      if (!(e instanceof DomainError)) throw e;
    }
    await this.ack(deviceId, raw.experimentId, undefined, { code: unsupported ? 'unsupported_version' : 'malformed', message: error });
  }

  /** `ok` for an outcome now in the database; `conflict` (with the kept report's id) for one that contradicts it. */
  private ackIngested(deviceId: string, event: { experimentId: string; attempt?: number }, ingested: Ingested): Promise<void> {
    if (ingested.outcome !== 'conflict') return this.ack(deviceId, event.experimentId, event.attempt);
    return this.publisher.send(deviceId, {
      v: PROTOCOL_VERSION,
      type: 'ack',
      experimentId: event.experimentId,
      ...(event.attempt !== undefined ? { attempt: event.attempt } : {}),
      status: 'conflict',
      reportId: ingested.reportId,
      error: { code: 'conflict', message: ingested.message },
    });
  }

  private async ack(deviceId: string, experimentId: string, attempt?: number, error?: AckCommand['error']): Promise<void> {
    await this.publisher.send(deviceId, {
      v: PROTOCOL_VERSION,
      type: 'ack',
      experimentId,
      ...(attempt !== undefined ? { attempt } : {}),
      status: error ? 'error' : 'ok',
      ...(error ? { error } : {}),
    });
  }
}
