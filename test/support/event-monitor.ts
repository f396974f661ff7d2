import mqtt, { type MqttClient } from 'mqtt';
import { parseMessage, parseTopic, topics } from '#protocol';

/**
 * Listens to every device event on the broker (re-subscribing after broker
 * restarts) and keeps, per experiment, the distinct result values seen. A rig
 * with noise that ran an experiment twice would report two different values;
 * re-sending one result repeats the same value.
 */
export class EventMonitor {
  readonly resultValues = new Map<string, Set<string>>();
  readonly runsByDevice = new Map<string, Set<string>>();

  private constructor(private readonly client: MqttClient) {}

  static async start(url: string): Promise<EventMonitor> {
    const client = mqtt.connect(url, { clientId: `monitor-${Math.random().toString(36).slice(2, 10)}`, clean: true, reconnectPeriod: 200 });
    const monitor = new EventMonitor(client);
    client.on('connect', () => void client.subscribeAsync(topics.allEvents, { qos: 1 }).catch(() => undefined));
    client.on('message', (topic, payload) => monitor.record(topic, payload));
    await new Promise<void>((r) => client.once('connect', () => r()));
    await client.subscribeAsync(topics.allEvents, { qos: 1 });
    return monitor;
  }

  private record(topic: string, payload: Buffer): void {
    const t = parseTopic(topic);
    const m = parseMessage('events', payload);
    if (!t || !m.ok) return;
    if (m.value.type === 'accepted') {
      const set = this.runsByDevice.get(m.value.experimentId) ?? new Set();
      set.add(t.deviceId);
      this.runsByDevice.set(m.value.experimentId, set);
    }
    if (m.value.type === 'result') {
      const set = this.resultValues.get(m.value.experimentId) ?? new Set();
      set.add(JSON.stringify(m.value.values));
      this.resultValues.set(m.value.experimentId, set);
    }
  }

  /** Experiments for which two different results were reported: each was run more than once. */
  runTwice(): string[] {
    return [...this.resultValues].filter(([, values]) => values.size > 1).map(([id]) => id);
  }

  async close(): Promise<void> {
    await this.client.endAsync(true);
  }
}
