import mqtt, { type MqttClient } from 'mqtt';
import { parseMessage, topics, type Capabilities, type Command, type RunCommand } from '#protocol';
import { until } from './poll.js';

/** What a scripted device declares in its availability message. */
export interface ScriptedDeviceOptions {
  capabilities?: Capabilities;
  heartbeatIntervalS?: number;
  /** Send heartbeats every heartbeatIntervalS from the start (stop them with stopHeartbeats to act hung). */
  heartbeats?: boolean;
  /** The experiments it says it holds as it announces itself (Availability.holding); absent: no list. */
  holding?: string[];
}

/**
 * A device under the test's full control (no SDK): it publishes exactly what
 * the test says, so the service can be fed duplicates, forgeries and garbage.
 */
export class ScriptedDevice {
  readonly commands: Command[] = [];
  private heartbeatTimer: NodeJS.Timeout | undefined;

  private constructor(
    readonly id: string,
    private readonly client: MqttClient,
  ) {}

  static async connect(url: string, id: string, kind: string, capacity = 10, options: ScriptedDeviceOptions = {}): Promise<ScriptedDevice> {
    const client = await mqtt.connectAsync(url, {
      clientId: `scripted-${id}`,
      clean: true,
      reconnectPeriod: 200,
      will: { topic: topics.availability(id), payload: Buffer.from(JSON.stringify({ v: 1, status: 'offline' })), qos: 1, retain: true },
    });
    const device = new ScriptedDevice(id, client);
    client.on('message', (_topic, payload) => {
      const m = parseMessage('commands', payload);
      if (m.ok) device.commands.push(m.value);
    });
    await client.subscribeAsync(topics.commands(id), { qos: 1 });
    const { capabilities, heartbeatIntervalS, holding } = options;
    await client.publishAsync(
      topics.availability(id),
      JSON.stringify({ v: 1, status: 'online', ts: new Date().toISOString(), kind, capacity, capabilities, heartbeatIntervalS, holding }),
      {
        qos: 1,
        retain: true,
      },
    );
    if (options.heartbeats && heartbeatIntervalS) device.startHeartbeats(heartbeatIntervalS);
    return device;
  }

  startHeartbeats(intervalS: number): void {
    this.stopHeartbeats();
    const beat = () =>
      void this.client
        .publishAsync(topics.heartbeat(this.id), JSON.stringify({ v: 1, ts: new Date().toISOString(), running: 0 }), { qos: 0 })
        .catch(() => undefined);
    beat();
    this.heartbeatTimer = setInterval(beat, intervalS * 1000);
  }

  /** One heartbeat now, with these fields (running, holding) over the defaults. */
  async publishHeartbeat(fields: { running?: number; holding?: string[] } = {}): Promise<void> {
    await this.client.publishAsync(
      topics.heartbeat(this.id),
      JSON.stringify({ v: 1, ts: new Date().toISOString(), running: 0, ...fields }),
      {
        qos: 0,
      },
    );
  }

  /** Leaves without a word: a clean disconnect (no Last Will) and no offline announcement, as a process gone with its service. */
  async vanish(): Promise<void> {
    this.stopHeartbeats();
    await this.client.endAsync();
  }

  /** Stops heartbeats while the connection stays up: the device acts hung. */
  stopHeartbeats(): void {
    clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
  }

  /** Dies without a goodbye: the socket is destroyed, so the broker publishes the Last Will. */
  crash(): void {
    this.stopHeartbeats();
    this.client.stream.destroy();
    this.client.end(true);
  }

  runs(): RunCommand[] {
    return this.commands.filter((c): c is RunCommand => c.type === 'run');
  }

  acks(experimentId: string) {
    return this.commands.filter((c) => c.type === 'ack' && c.experimentId === experimentId);
  }

  async waitForRuns(n: number): Promise<RunCommand[]> {
    return until(
      () => {
        const distinct = new Map(this.runs().map((r) => [r.experimentId, r]));
        return distinct.size >= n ? [...distinct.values()] : undefined;
      },
      { what: `${n} run commands to ${this.id}` },
    );
  }

  async waitForAck(experimentId: string, count = 1) {
    return until(() => (this.acks(experimentId).length >= count ? this.acks(experimentId) : undefined), {
      what: `ack ${count} for ${experimentId}`,
    });
  }

  async publishEvent(event: Record<string, unknown> | string): Promise<void> {
    const payload = typeof event === 'string' ? event : JSON.stringify({ v: 1, ts: new Date().toISOString(), ...event });
    await this.client.publishAsync(topics.events(this.id), payload, { qos: 1 });
  }

  async publishRaw(topic: string, payload: string | Buffer): Promise<void> {
    await this.client.publishAsync(topic, payload, { qos: 1 });
  }

  async accept(experimentId: string): Promise<void> {
    await this.publishEvent({ type: 'accepted', experimentId });
  }

  async close(): Promise<void> {
    this.stopHeartbeats();
    if (!this.client.connected) {
      await this.client.endAsync(true);
      return;
    }
    await this.client.publishAsync(topics.availability(this.id), JSON.stringify({ v: 1, status: 'offline' }), { qos: 1, retain: true });
    await this.client.endAsync();
  }
}
