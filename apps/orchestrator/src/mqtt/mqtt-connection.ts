import mqtt, { type MqttClient } from 'mqtt';
import { redactUrl } from '#connections';
import { encodeMessage, topics, type Command } from '#protocol';
import type { CommandPublisher } from '../common/ports.js';

export interface MqttConnectionOptions {
  url: string;
  clientId: string;
  username?: string;
  password?: string;
  protocolVersion: 4 | 5;
  /** Gives up the attempt: the client is ended (no reconnects left running) and connect rejects with the reason. */
  signal?: AbortSignal;
}

/**
 * The service's MQTT client. A persistent session (clean: false) with QoS 1,
 * so a broker that keeps sessions queues what arrives while we are away; what
 * a broker loses, the application-level re-sends recover.
 */
export class MqttConnection implements CommandPublisher {
  private constructor(readonly client: MqttClient) {}

  static async connect(options: MqttConnectionOptions): Promise<MqttConnection> {
    const client = mqtt.connect(options.url, {
      clientId: options.clientId,
      username: options.username,
      password: options.password,
      protocolVersion: options.protocolVersion,
      clean: false,
      ...(options.protocolVersion === 5 ? { properties: { sessionExpiryInterval: 3600 } } : {}),
      reconnectPeriod: 500,
      connectTimeout: 10_000,
      keepalive: 30,
    });
    await new Promise<void>((resolve, reject) => {
      const fail = (message: string) => {
        client.off('error', onError);
        options.signal?.removeEventListener('abort', onAbort);
        client.end(true);
        // The URL may carry credentials (mqtt://user:secret@host): never into a message that reaches a log.
        reject(new Error(redactUrl(`cannot connect to the MQTT broker at ${options.url}: ${message}`)));
      };
      const onError = (e: Error) => fail(e.message);
      // A broker that accepts TCP and drops the connection before its CONNACK makes mqtt.js reconnect
      // without an error: only the caller's signal ends such an attempt.
      const onAbort = () => fail(options.signal?.reason instanceof Error ? options.signal.reason.message : 'attempt abandoned');
      client.once('connect', () => {
        client.off('error', onError);
        options.signal?.removeEventListener('abort', onAbort);
        resolve();
      });
      client.once('error', onError);
      if (options.signal?.aborted) onAbort();
      else options.signal?.addEventListener('abort', onAbort, { once: true });
    });
    return new MqttConnection(client);
  }

  async send(deviceId: string, command: Command): Promise<void> {
    await this.client.publishAsync(topics.commands(deviceId), encodeMessage('commands', command), { qos: 1 });
  }

  async close(): Promise<void> {
    await this.client.endAsync();
  }
}
