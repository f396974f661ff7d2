import net from 'node:net';
import mqtt, { type MqttClient } from 'mqtt';
import { waitFor } from '#device-sdk/testing';
import { connectMqttWithin } from '../bootstrap.js';
import { MqttConnection } from './mqtt-connection.js';

describe('MqttConnection', () => {
  it('names the broker without its password when the connection fails', async () => {
    // A port that refuses: bind one, note it, close it.
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));

    const failure = await MqttConnection.connect({
      url: `mqtt://operator:s3cret-pass@127.0.0.1:${port}`,
      clientId: 'redaction-check',
      protocolVersion: 4,
    }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(failure).toBeInstanceOf(Error);
    expect(failure?.message).toContain(`mqtt://operator:***@127.0.0.1:${port}`);
    expect(failure?.message).not.toContain('s3cret-pass');
  });

  it('ends an attempt that gets no CONNACK in time, leaving nothing reconnecting in the background', async () => {
    // "Brokers" that accept TCP and hang up at once: mqtt.js reconnects every 500 ms without an error.
    const abandoned = await hangingUpBroker();
    const control = await hangingUpBroker();
    let witness: MqttClient | undefined;
    try {
      const failure = await connectMqttWithin(
        { url: `mqtt://127.0.0.1:${abandoned.port}`, clientId: 'bounded-attempt', protocolVersion: 4 },
        1200,
      ).then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(failure?.message).toBe(`cannot connect to the MQTT broker at mqtt://127.0.0.1:${abandoned.port}: no CONNACK within 1.2 s`);
      expect(abandoned.connections()).toBeGreaterThanOrEqual(1);
      // A witness client, reconnecting on the same period as the service's (MqttConnection), to the other
      // "broker": each of its reconnects is a period in which a client left running would have reconnected too.
      witness = mqtt.connect(`mqtt://127.0.0.1:${control.port}`, { clientId: 'witness', reconnectPeriod: 500, connectTimeout: 10_000 });
      witness.on('error', () => undefined); // a reset connection is what it is there for
      // Its first reconnect: a connect of the abandoned client already on its way has landed by now.
      await waitFor(() => control.connections() >= 2, "the witness's first reconnect", 20_000);
      const after = abandoned.connections();
      // Four reconnects of the witness later, the abandoned client has not connected once.
      await waitFor(() => control.connections() >= 6, 'four more reconnects of the witness', 20_000);
      expect(abandoned.connections()).toBe(after);
    } finally {
      witness?.end(true);
      await abandoned.close();
      await control.close();
    }
  });
});

/** A TCP server that counts connections and ends each at once, as a broker would that never answers CONNECT. */
async function hangingUpBroker(): Promise<{ port: number; connections: () => number; close: () => Promise<void> }> {
  let connections = 0;
  const server = net.createServer((socket) => {
    connections++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    connections: () => connections,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
