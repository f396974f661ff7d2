import { createServer, type Server, type Socket } from 'node:net';
import { Aedes } from 'aedes';

/**
 * An in-process MQTT 3.1.1 broker (aedes) for development, demos and tests.
 * It keeps sessions and retained messages in memory only: a restart forgets
 * them, which is why the protocol's reliability rests on application-level
 * acknowledgements, not on the broker.
 */
export interface EmbeddedBroker {
  /** `mqtt://host:port`, ready to pass to mqtt.connect. */
  url: string;
  port: number;
  /** Closes every client connection and the listening socket. Idempotent. */
  close(): Promise<void>;
}

export interface EmbeddedBrokerOptions {
  /** TCP port; 0 (the default) picks a free ephemeral port. */
  port?: number;
  /** Interface to listen on; default 127.0.0.1. */
  host?: string;
  logger?: (msg: string) => void;
}

export async function startEmbeddedBroker(options: EmbeddedBrokerOptions = {}): Promise<EmbeddedBroker> {
  const host = options.host ?? '127.0.0.1';
  const log = options.logger ?? (() => undefined);
  const broker = await Aedes.createBroker();
  const sockets = new Set<Socket>();

  broker.on('clientError', (client, err) => log(`client ${client.id} error: ${err.message}`));
  broker.on('connectionError', (client, err) => log(`connection error (${client.id ?? 'no id'}): ${err.message}`));

  const server: Server = createServer((socket) => {
    // Without TCP_NODELAY a QoS 1 round trip waits ~40 ms on Nagle + delayed ACK.
    socket.setNoDelay(true);
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', (err) => log(`socket error: ${err.message}`));
    broker.handle(socket);
  });

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    throw new Error(`embedded MQTT broker could not listen on ${host}:${options.port ?? 0}: ${(err as Error).message}`, { cause: err });
  }
  server.on('error', (err) => log(`server error: ${err.message}`));

  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('embedded MQTT broker: unexpected server address');
  const port = address.port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  log(`embedded MQTT broker listening on ${urlHost}:${port}`);

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
      // aedes closes its clients gracefully; destroy whatever socket is left so
      // server.close() does not wait on a half-open connection.
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await serverClosed;
      log(`embedded MQTT broker on port ${port} closed`);
    })();
    return closing;
  };

  return { url: `mqtt://${urlHost}:${port}`, port, close };
}
