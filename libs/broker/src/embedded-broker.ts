import { createServer, type Server, type Socket } from 'node:net';
import { Aedes, type AedesOptions, type AuthenticateError, type Client } from 'aedes';
import { allowed, type Credentials } from './credentials.js';

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
  /**
   * Interface to listen on; default 127.0.0.1. Any other than a loopback address needs
   * `credentials`: a broker reachable from the network that takes anyone would let anyone
   * speak for any device.
   */
  host?: string;
  /**
   * Users and their passwords (Mosquitto's password file): every client must log in, and each is
   * confined to its topics as by deploy/mosquitto/acl (a device to its own, the service user
   * "hakken" to reading devices and writing commands). Absent: anonymous, loopback only.
   */
  credentials?: Credentials;
  logger?: (msg: string) => void;
}

/** True for an address only this machine can reach. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

export async function startEmbeddedBroker(options: EmbeddedBrokerOptions = {}): Promise<EmbeddedBroker> {
  const host = options.host ?? '127.0.0.1';
  const log = options.logger ?? (() => undefined);
  if (!isLoopback(host) && !options.credentials)
    throw new Error(
      `embedded MQTT broker: refusing to listen on ${host} without credentials (anyone on the network could speak for any device); ` +
        'give it a password file (MQTT_PASSWORD_FILE) or listen on 127.0.0.1',
    );
  const broker = await Aedes.createBroker(options.credentials ? authorization(options.credentials, log) : {});
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

/** Log-in and topic rules (deploy/mosquitto/acl) for a broker with credentials. */
function authorization(credentials: Credentials, log: (msg: string) => void): AedesOptions {
  const users = new WeakMap<Client, string>();
  return {
    authenticate: (client, username, password, done) => {
      if (username !== undefined && credentials.verify(username, password)) {
        users.set(client, username);
        return done(null, true);
      }
      log(`client ${client.id} refused: bad user name or password`);
      const error = Object.assign<Error, { returnCode: 4 }>(new Error('bad user name or password'), {
        returnCode: 4,
      }) satisfies AuthenticateError;
      done(error, false);
    },
    authorizePublish: (client, packet, done) => {
      const user = client ? users.get(client) : undefined;
      // A client null is the broker itself ($SYS); a Last Will is checked as its client's publish.
      // Refused, aedes disconnects the client (Mosquitto drops the message): either way it goes nowhere.
      if (client === null || (user !== undefined && allowed(user, 'publish', packet.topic))) return done(null);
      log(`publish by ${user ?? 'unknown'} on ${packet.topic} refused`);
      done(new Error(`not authorised to publish on ${packet.topic}`));
    },
    authorizeSubscribe: (client, subscription, done) => {
      const user = users.get(client);
      if (user !== undefined && allowed(user, 'subscribe', subscription.topic)) return done(null, subscription);
      log(`subscription of ${user ?? 'unknown'} to ${subscription.topic} refused`);
      done(null, null); // a refused subscription (SUBACK 0x80), the connection stays
    },
  };
}
