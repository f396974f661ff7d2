import { connect, type MqttClient } from 'mqtt';
import {
  encodeMessage,
  now,
  parseMessage,
  parseTopic,
  topics,
  type AckCommand,
  type Availability,
  type CommandAckEvent,
  type ControlCommand,
  type DeviceEvent,
  type Heartbeat,
  type RunCommand,
} from '#protocol';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

export type AckDecision = 'ok' | 'error' | 'conflict' | 'drop';

export interface ReceivedEvent {
  deviceId: string;
  event: DeviceEvent;
}

export interface ReceivedHeartbeat {
  deviceId: string;
  value: Heartbeat;
  /** Date.now() on arrival. */
  at: number;
}

export interface ReceivedAvailability {
  deviceId: string;
  value: Availability;
  retained: boolean;
}

/**
 * A minimal stand-in for the orchestrator's MQTT side, for device tests:
 * records every event and availability message, sends run commands and
 * answers results and failures with acks according to `ackPolicy`.
 */
export class FakeService {
  readonly events: ReceivedEvent[] = [];
  readonly availability: ReceivedAvailability[] = [];
  readonly heartbeats: ReceivedHeartbeat[] = [];
  readonly malformed: string[] = [];
  /** Decides the reply to the n-th (1-based) final event of an experiment. Default: ack ok. */
  ackPolicy: (event: DeviceEvent & { type: 'result' | 'failed' }, n: number) => AckDecision = () => 'ok';
  private readonly finalCounts = new Map<string, number>();

  private constructor(
    private readonly client: MqttClient,
    private readonly devicePrefix: string,
  ) {
    client.on('message', (topic, payload, packet) => this.onMessage(topic, payload, packet.retain));
  }

  /**
   * Only devices whose id starts with `devicePrefix` are recorded and acked, so
   * tests sharing a broker (Mosquitto) never answer each other's devices.
   */
  static async connect(url: string, options: { protocolVersion?: 4 | 5; devicePrefix?: string } = {}): Promise<FakeService> {
    const client = connect(url, {
      reconnectPeriod: 100,
      protocolVersion: options.protocolVersion ?? 4,
      clientId: `fake-service-${process.pid}-${Math.random().toString(36).slice(2)}`,
    });
    const service = new FakeService(client, options.devicePrefix ?? '');
    client.on('connect', () => {
      client.subscribe([topics.allEvents, topics.allAvailability, topics.allHeartbeats], { qos: 1 });
    });
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
    });
    // Subscribed on every (re)connect above; wait for the first grant so nothing published from now on is missed.
    await client.subscribeAsync([topics.allEvents, topics.allAvailability, topics.allHeartbeats], { qos: 1 });
    return service;
  }

  get connected(): boolean {
    return this.client.connected;
  }

  /** Events of one experiment, optionally of one type. */
  eventsOf(experimentId: string, type?: DeviceEvent['type']): DeviceEvent[] {
    return this.events.map((e) => e.event).filter((e) => e.experimentId === experimentId && (type === undefined || e.type === type));
  }

  heartbeatsOf(deviceId: string): ReceivedHeartbeat[] {
    return this.heartbeats.filter((h) => h.deviceId === deviceId);
  }

  availabilityOf(deviceId: string): ReceivedAvailability[] {
    return this.availability.filter((a) => a.deviceId === deviceId);
  }

  /** Sends an abort, stop or resume command (with `v` and `issuedAt` filled in). */
  async sendControl(deviceId: string, command: DistributiveOmit<ControlCommand, 'v' | 'issuedAt'>): Promise<void> {
    const full = { v: 1, ...command, issuedAt: now() } as ControlCommand;
    await this.client.publishAsync(topics.commands(deviceId), encodeMessage('commands', full), { qos: 1 });
  }

  /** The device's answers (command_ack) to one control command, in arrival order. */
  commandAcks(commandId: string): CommandAckEvent[] {
    return this.events.map((e) => e.event).filter((e): e is CommandAckEvent => e.type === 'command_ack' && e.commandId === commandId);
  }

  async sendRun(deviceId: string, experimentId: string, params: RunCommand['params'], attempt = 1): Promise<RunCommand> {
    const command: RunCommand = { v: 1, type: 'run', experimentId, campaignId: 'campaign-test', attempt, params, issuedAt: now() };
    await this.client.publishAsync(topics.commands(deviceId), encodeMessage('commands', command), { qos: 1 });
    return command;
  }

  async sendAck(
    deviceId: string,
    experimentId: string,
    status: AckCommand['status'],
    error?: AckCommand['error'],
    attempt?: number,
    reportId?: string,
  ): Promise<void> {
    const ack: AckCommand = {
      v: 1,
      type: 'ack',
      experimentId,
      status,
      ...(reportId ? { reportId } : {}),
      ...(error ? { error } : {}),
      ...(attempt !== undefined ? { attempt } : {}),
    };
    await this.client.publishAsync(topics.commands(deviceId), encodeMessage('commands', ack), { qos: 1 });
  }

  async sendRaw(deviceId: string, payload: string): Promise<void> {
    await this.client.publishAsync(topics.commands(deviceId), payload, { qos: 1 });
  }

  /** Removes a device's retained availability (keeps a shared broker clean after a test). */
  async clearRetained(deviceId: string): Promise<void> {
    await this.client.publishAsync(topics.availability(deviceId), '', { qos: 1, retain: true });
  }

  async close(): Promise<void> {
    await this.client.endAsync(true);
  }

  private onMessage(topic: string, payload: Buffer, retained: boolean): void {
    const parsed = parseTopic(topic);
    if (!parsed || !parsed.deviceId.startsWith(this.devicePrefix)) return;
    if (parsed.kind === 'availability') {
      if (payload.length === 0) return; // a cleared retained message
      const r = parseMessage('availability', payload);
      if (r.ok) this.availability.push({ deviceId: parsed.deviceId, value: r.value, retained });
      else this.malformed.push(r.error);
      return;
    }
    if (parsed.kind === 'heartbeat') {
      const r = parseMessage('heartbeat', payload);
      if (r.ok) this.heartbeats.push({ deviceId: parsed.deviceId, value: r.value, at: Date.now() });
      else this.malformed.push(r.error);
      return;
    }
    if (parsed.kind !== 'events') return;
    const r = parseMessage('events', payload);
    if (!r.ok) {
      this.malformed.push(r.error);
      return;
    }
    const event = r.value;
    this.events.push({ deviceId: parsed.deviceId, event });
    if (event.type !== 'result' && event.type !== 'failed') return;
    const n = (this.finalCounts.get(event.experimentId) ?? 0) + 1;
    this.finalCounts.set(event.experimentId, n);
    const decision = this.ackPolicy(event, n);
    if (decision === 'drop') return;
    const error =
      decision === 'error'
        ? { code: 'UNKNOWN_EXPERIMENT', message: `no experiment ${event.experimentId}` }
        : decision === 'conflict'
          ? { code: 'conflict', message: `experiment ${event.experimentId} already ended otherwise` }
          : undefined;
    const reportId = decision === 'conflict' ? `report-${event.experimentId}` : undefined;
    void this.sendAck(parsed.deviceId, event.experimentId, decision, error, event.attempt, reportId).catch(() => undefined);
  }
}
