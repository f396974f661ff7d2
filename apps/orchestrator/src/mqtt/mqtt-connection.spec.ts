import net from 'node:net';
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
    // A "broker" that accepts TCP and hangs up at once: mqtt.js reconnects every 500 ms without an error.
    let connections = 0;
    const sockets = new Set<net.Socket>();
    const server = net.createServer((socket) => {
      connections++;
      sockets.add(socket);
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const failure = await connectMqttWithin(
        { url: `mqtt://127.0.0.1:${port}`, clientId: 'bounded-attempt', protocolVersion: 4 },
        1200,
      ).then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(failure?.message).toBe(`cannot connect to the MQTT broker at mqtt://127.0.0.1:${port}: no CONNACK within 1.2 s`);
      expect(connections).toBeGreaterThanOrEqual(1);
      await new Promise((r) => setTimeout(r, 300)); // a connect already on its way may still land
      const after = connections;
      await new Promise((r) => setTimeout(r, 2000)); // the client would have reconnected about 4 times
      expect(connections).toBe(after);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
