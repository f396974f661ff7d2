import 'reflect-metadata';
import { Logger, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { DataSource } from 'typeorm';
import type { EmbeddedBroker } from '#broker';
import { networkCodeIn, redactUrl, retryWhileUnreachable, type WaitOptions } from '#connections';
import { closeDataSource, openDatabase, openDatabaseWhenReachable, startEmbeddedPostgres, type EmbeddedDatabase } from '#persistence';
import { CANDIDATE_CSV_LIMIT_BYTES } from './campaigns/candidate-schema.js';
import { AppModule } from './app.module.js';
import type { AppConfig } from './common/config.js';
import { HttpErrorFilter } from './common/http-exception.filter.js';
import { createLogger } from './common/logger.js';
import { mountConsole } from './console/console-static.js';
import { MqttConnection } from './mqtt/mqtt-connection.js';

export interface Orchestrator {
  app: INestApplication;
  /** Base URL of the REST API. */
  httpUrl: string;
  mqttUrl: string;
  databaseUrl: string;
  dataSource: DataSource;
  close(): Promise<void>;
}

export interface StartOptions {
  /** Aborts the start while it waits for the database or the broker (a signal during a long wait). */
  signal?: AbortSignal;
}

/**
 * Starts the service: the database (embedded unless DATABASE_URL), migrations,
 * the broker (in-process unless MQTT_URL), the MQTT client, the REST API and the loop.
 * An external database or broker not reachable yet is waited for, up to
 * DATABASE_WAIT_S and MQTT_WAIT_S, each retry logged.
 */
export async function startOrchestrator(config: AppConfig, options: StartOptions = {}): Promise<Orchestrator> {
  const logger = new Logger('hakken');
  // One logger for the lines before Nest starts (Logger's static instance) and for Nest's own.
  const sink = createLogger(config);
  Logger.overrideLogger(sink);
  const cleanups: (() => Promise<void>)[] = [];
  const cleanup = async () => {
    for (const c of cleanups.reverse()) await c().catch((e: Error) => logger.warn(`shutdown: ${e.message}`));
  };
  try {
    let databaseUrl = config.databaseUrl;
    let embeddedDb: EmbeddedDatabase | undefined;
    if (!databaseUrl) {
      embeddedDb = await startEmbeddedPostgres({ dataDir: config.dataDir });
      cleanups.push(() => embeddedDb!.stop());
      databaseUrl = embeddedDb.url;
      logger.log(`database: embedded PostgreSQL in ${embeddedDb.clusterDir} (port ${embeddedDb.port})`);
    } else {
      logger.log(`database: ${redactUrl(databaseUrl)}`);
    }
    const wait = (waitS: number, setting: string): WaitOptions => ({
      waitS,
      log: (message) => logger.warn(message),
      signal: options.signal,
      hint: `${setting}=${waitS}; set ${setting} to wait longer`,
    });
    // The embedded database is up once started: only an external one is waited for.
    const { dataSource, applied } = embeddedDb
      ? await openDatabase({ url: databaseUrl })
      : await openDatabaseWhenReachable({ url: databaseUrl, wait: wait(config.databaseWaitS, 'DATABASE_WAIT_S') });
    cleanups.push(() => closeDataSource(dataSource));
    logger.log(applied.length ? `migrations applied: ${applied.join(', ')}` : 'schema up to date');

    let mqttUrl = config.mqttUrl;
    let broker: EmbeddedBroker | undefined;
    let mqttUsername = config.mqttUsername;
    if (!mqttUrl) {
      // Loaded only here: a production install (npm ci --omit=dev) has no in-process broker.
      const { Credentials, SERVICE_USER, startEmbeddedBroker } = await loadEmbeddedBroker();
      // Safe by default: loopback only, or per-device credentials (startEmbeddedBroker refuses anything else).
      const credentials = config.mqttPasswordFile ? await Credentials.load(config.mqttPasswordFile) : undefined;
      if (credentials && !config.mqttPassword)
        throw new Error(
          `MQTT_PASSWORD_FILE is set: the service logs in to its broker as "${SERVICE_USER}" with MQTT_PASSWORD, which is not set`,
        );
      if (credentials) mqttUsername ??= SERVICE_USER;
      broker = await startEmbeddedBroker({ port: config.mqttPort, host: config.mqttBindHost, credentials });
      cleanups.push(() => broker!.close());
      mqttUrl = broker.url;
      logger.log(
        `broker: in-process MQTT 3.1.1 broker on ${mqttUrl}${credentials ? ` (${credentials.size} users, each on its own topics)` : ' (anonymous, this machine only)'}`,
      );
    } else {
      logger.log(`broker: ${redactUrl(mqttUrl)} (MQTT ${config.mqttProtocolVersion === 5 ? '5' : '3.1.1'})`);
    }
    const connectOptions = {
      url: mqttUrl,
      clientId: `hakken-${config.instanceId}`,
      username: mqttUsername,
      password: config.mqttPassword,
      protocolVersion: config.mqttProtocolVersion,
    };
    const mqtt = broker
      ? await MqttConnection.connect(connectOptions)
      : await retryWhileUnreachable(
          { what: `MQTT broker at ${redactUrl(mqttUrl)}`, retryReason: mqttRetryReason },
          () => connectMqttWithin(connectOptions, MQTT_ATTEMPT_TIMEOUT_MS),
          wait(config.mqttWaitS, 'MQTT_WAIT_S'),
        ).catch((e: unknown) => {
          throw e instanceof Error ? Object.assign(e, { message: redactUrl(e.message) }) : e;
        });
    cleanups.push(() => mqtt.close());

    const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot({ config, dataSource, mqtt }), {
      logger: sink,
      abortOnError: false,
    });
    // An explicit body limit (express's default is 100 kB): larger bodies get a 413 through HttpErrorFilter.
    app.useBodyParser('json', { limit: config.httpBodyLimitBytes });
    // Candidate lists may come as text/csv bodies (POST /api/candidate-lists), up to their own larger limit.
    app.useBodyParser('text', { type: 'text/csv', limit: Math.max(config.httpBodyLimitBytes, CANDIDATE_CSV_LIMIT_BYTES) });
    app.useGlobalFilters(new HttpErrorFilter());
    mountConsole(app);
    const document = SwaggerModule.createDocument(
      app,
      new DocumentBuilder()
        .setTitle('hakken')
        .setDescription('Closed-loop experiment orchestrator: campaigns, batches, experiments, devices')
        .setVersion('1')
        .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'A token from HAKKEN_TOKENS (token:role:name)' })
        .build(),
    );
    SwaggerModule.setup('api/docs', app, document, { jsonDocumentUrl: 'api/openapi.json' });
    await app.listen(config.httpPort, config.httpHost);
    const httpUrl = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    cleanups.push(() => app.close());
    logger.log(`REST API on ${httpUrl}/api (OpenAPI at ${httpUrl}/api/docs), operator console at ${httpUrl}/console/`);
    return { app, httpUrl, mqttUrl, databaseUrl, dataSource, close: cleanup };
  } catch (e) {
    await cleanup();
    throw e;
  }
}

/**
 * The in-process broker (aedes) is a development dependency, as the embedded
 * PostgreSQL is: loaded only when MQTT_URL is unset, so that a production
 * install (`npm ci --omit=dev`, the Dockerfile's) runs without it and says
 * what to set when it is asked for.
 */
async function loadEmbeddedBroker(): Promise<typeof import('#broker')> {
  try {
    return await import('#broker');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw e;
    throw new Error(
      'the in-process MQTT broker is not installed (a production install, npm ci --omit=dev, leaves it out). Set MQTT_URL to a broker (e.g. Mosquitto), or install the development dependencies (npm ci)',
      { cause: e },
    );
  }
}

/**
 * MqttConnection.connect fails on the first socket error (ECONNREFUSED and
 * the like) or on a CONNACK timeout (10 s), which are retried here; a broker
 * that refuses the client (bad credentials, not authorised) fails at once.
 */
export function mqttRetryReason(error: unknown): string | undefined {
  const message = error instanceof Error ? error.message : String(error);
  // MqttConnection's message holds the socket error's text, its code among it.
  const code = networkCodeIn(message);
  if (code) return code;
  if (/connack timeout|no CONNACK within/i.test(message)) return 'no CONNACK in time';
  if (/server unavailable|server busy/i.test(message)) return message.replace(/^.*: /, '');
  return undefined;
}

/**
 * A broker that accepts the TCP connection and drops it before its CONNACK
 * makes mqtt.js reconnect without ever failing: one attempt is bounded here,
 * and its client ended when the bound passes (so no attempt keeps
 * reconnecting in the background).
 */
const MQTT_ATTEMPT_TIMEOUT_MS = 15_000;
export async function connectMqttWithin(options: Parameters<typeof MqttConnection.connect>[0], timeoutMs: number): Promise<MqttConnection> {
  const attempt = new AbortController();
  const timer = setTimeout(() => attempt.abort(new Error(`no CONNACK within ${timeoutMs / 1000} s`)), timeoutMs);
  try {
    return await MqttConnection.connect({ ...options, signal: attempt.signal });
  } finally {
    clearTimeout(timer);
  }
}
