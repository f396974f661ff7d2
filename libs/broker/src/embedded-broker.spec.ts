import { connect, type MqttClient, type IClientOptions } from 'mqtt';
import { startEmbeddedBroker, type EmbeddedBroker } from './embedded-broker.js';

async function waitFor(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('startEmbeddedBroker', () => {
  let broker: EmbeddedBroker;
  const clients: MqttClient[] = [];

  async function client(opts: IClientOptions = {}): Promise<MqttClient> {
    const c = connect(broker.url, { reconnectPeriod: 0, ...opts });
    clients.push(c);
    await new Promise<void>((resolve, reject) => {
      c.once('connect', () => resolve());
      c.once('error', reject);
    });
    return c;
  }

  beforeEach(async () => {
    broker = await startEmbeddedBroker();
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
    await broker.close();
  });

  it('listens on an ephemeral port and routes a QoS 1 message between two clients', async () => {
    expect(broker.port).toBeGreaterThan(0);
    expect(broker.url).toBe(`mqtt://127.0.0.1:${broker.port}`);
    const a = await client();
    const b = await client();
    const got: string[] = [];
    b.on('message', (topic, payload) => got.push(`${topic}=${payload.toString()}`));
    await b.subscribeAsync('t/x', { qos: 1 });
    await a.publishAsync('t/x', 'hello', { qos: 1 });
    await waitFor(() => got.length === 1, 'the message');
    expect(got).toEqual(['t/x=hello']);
  });

  it('delivers a retained message to a late subscriber', async () => {
    const a = await client();
    await a.publishAsync('t/retained', 'kept', { qos: 1, retain: true });
    const late = await client();
    const got: Array<{ payload: string; retain: boolean }> = [];
    late.on('message', (_t, payload, packet) => got.push({ payload: payload.toString(), retain: packet.retain }));
    await late.subscribeAsync('t/retained', { qos: 1 });
    await waitFor(() => got.length === 1, 'the retained message');
    expect(got[0]).toEqual({ payload: 'kept', retain: true });
  });

  it('publishes the Last Will when a client socket is destroyed', async () => {
    const watcher = await client();
    const got: string[] = [];
    watcher.on('message', (_t, payload) => got.push(payload.toString()));
    await watcher.subscribeAsync('t/will', { qos: 1 });
    const dying = await client({ will: { topic: 't/will', payload: Buffer.from('gone'), qos: 1, retain: true } });
    dying.stream.destroy();
    await waitFor(() => got.length === 1, 'the Last Will');
    expect(got).toEqual(['gone']);
  });

  it('does not publish the Last Will on a clean disconnect', async () => {
    const watcher = await client();
    const got: string[] = [];
    watcher.on('message', (_t, payload) => got.push(payload.toString()));
    await watcher.subscribeAsync(['t/will2', 't/marker'], { qos: 1 });
    const leaving = await client({ will: { topic: 't/will2', payload: Buffer.from('gone'), qos: 1, retain: false } });
    await leaving.endAsync();
    await watcher.publishAsync('t/marker', 'after', { qos: 1 });
    await waitFor(() => got.includes('after'), 'the marker');
    expect(got).toEqual(['after']);
  });

  it('close() disconnects clients promptly and frees the port', async () => {
    const a = await client();
    const closed = new Promise<void>((resolve) => a.once('close', () => resolve()));
    const t0 = Date.now();
    await broker.close();
    await closed;
    expect(Date.now() - t0).toBeLessThan(2000);
    await broker.close(); // idempotent
    // The port can be reused at once.
    const again = await startEmbeddedBroker({ port: broker.port });
    expect(again.port).toBe(broker.port);
    await again.close();
  });

  it('fails with a clear error when the port is taken', async () => {
    await expect(startEmbeddedBroker({ port: broker.port })).rejects.toThrow(/could not listen on 127\.0\.0\.1:\d+/);
  });
});
