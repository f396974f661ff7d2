import mqtt, { type MqttClient } from 'mqtt';
import { encodeMessage, parseMessage, parseTopic, topics, TOPIC_ROOT } from '#protocol';

/** The value every forged result carries: finding it stored anywhere means a forgery got in. */
export const FORGED_Y = 777.777;

/** A genuine result as seen on the wire. */
export interface SeenResult {
  deviceId: string;
  experimentId: string;
  attempt: number;
  y: number | null;
  topic: string;
  payload: Buffer;
}

/** `${device}/${experiment}/${attempt}`: one device's report of one dispatch. */
export type ReportKey = string;
export const reportKey = (deviceId: string, experimentId: string, attempt: number): ReportKey => `${deviceId}/${experimentId}/${attempt}`;

/**
 * Watches the protocol from the outside (every device's events and
 * commands; re-subscribing after broker restarts) and publishes what a hostile
 * or broken client would: forged results under another device's name, and
 * replays of genuine results. It misses what was sent while the broker was
 * down; the checks use it only for what it saw.
 */
export class Wire {
  readonly results: SeenResult[] = [];
  /** Reports the service acknowledged as stored (status ok). */
  readonly acked = new Set<ReportKey>();
  /** Reports the service refused, with the error code. */
  readonly refused = new Map<ReportKey, string>();
  private readonly forgedIds = new Set<string>();

  private constructor(private readonly client: MqttClient) {}

  static async connect(url: string): Promise<Wire> {
    const client = mqtt.connect(url, { clientId: `faults-wire-${process.pid}`, clean: true, reconnectPeriod: 200 });
    const wire = new Wire(client);
    const filter = `${TOPIC_ROOT}/devices/+/+`;
    client.on('connect', () => void client.subscribeAsync(filter, { qos: 1 }).catch(() => undefined));
    client.on('message', (topic, payload) => wire.record(topic, payload));
    client.on('error', () => undefined);
    await new Promise<void>((r) => client.once('connect', () => r()));
    await client.subscribeAsync(filter, { qos: 1 });
    return wire;
  }

  private record(topic: string, payload: Buffer): void {
    const t = parseTopic(topic);
    if (!t) return;
    if (t.kind === 'events') {
      const m = parseMessage('events', payload);
      if (!m.ok || m.value.type !== 'result' || this.forgedIds.has(t.deviceId)) return;
      const y = m.value.values.y ?? null;
      if (y === FORGED_Y) return;
      this.results.push({ deviceId: t.deviceId, experimentId: m.value.experimentId, attempt: m.value.attempt ?? 1, y, topic, payload });
    } else if (t.kind === 'commands') {
      const m = parseMessage('commands', payload);
      if (!m.ok || m.value.type !== 'ack') return;
      const key = reportKey(t.deviceId, m.value.experimentId, m.value.attempt ?? 1);
      if (m.value.status === 'ok') this.acked.add(key);
      else this.refused.set(key, m.value.error?.code ?? 'error');
    }
  }

  /** A result for an experiment, published as a device it is not assigned to. */
  async forge(asDevice: string, experimentId: string, attempt: number, intruder: boolean): Promise<void> {
    if (intruder) this.forgedIds.add(asDevice);
    const event = { v: 1 as const, type: 'result' as const, experimentId, attempt, ts: new Date().toISOString(), values: { y: FORGED_Y } };
    await this.client.publishAsync(topics.events(asDevice), encodeMessage('events', event), { qos: 1 });
  }

  /**
   * A result in another protocol version on the assigned device's own topic: the service must refuse it
   * as a device problem (re-dispatch), never store it. It carries the forged value, so storing it shows.
   */
  async wrongVersion(deviceId: string, experimentId: string, attempt: number): Promise<void> {
    const event = { v: 2, type: 'result', experimentId, attempt, ts: new Date().toISOString(), values: { y: FORGED_Y } };
    await this.client.publishAsync(topics.events(deviceId), JSON.stringify(event), { qos: 1 });
  }

  /** A non-retained `offline` on a live device's availability topic, which its next heartbeat contradicts. */
  async forgeOffline(deviceId: string): Promise<void> {
    await this.client.publishAsync(topics.availability(deviceId), JSON.stringify({ v: 1, status: 'offline' }), { qos: 1 });
  }

  /** Publishes again, byte for byte, a genuine result seen earlier. */
  async replay(seen: SeenResult): Promise<void> {
    await this.client.publishAsync(seen.topic, seen.payload, { qos: 1 });
  }

  get connected(): boolean {
    return this.client.connected;
  }

  async close(): Promise<void> {
    await this.client.endAsync(true);
  }
}
