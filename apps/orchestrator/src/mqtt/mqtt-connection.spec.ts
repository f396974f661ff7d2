import net from 'node:net';
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
});
