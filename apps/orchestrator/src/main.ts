import { Logger } from '@nestjs/common';
import { startOrchestrator, type Orchestrator } from './bootstrap.js';
import { loadConfig } from './common/config.js';

/** `npm start`: the service for real use, configured by the environment (see README.md). */
const logger = new Logger('hakken');
/** A service still closing this long after a signal exits anyway, with 1. */
const SHUTDOWN_TIMEOUT_MS = 30_000;

let orchestrator: Orchestrator | undefined;
let signalled: string | undefined;
let closing = false;
/** A signal while waiting for the database or the broker ends the wait at once. */
const starting = new AbortController();
const stop = async (signal: string) => {
  signalled ??= signal;
  if (!orchestrator) starting.abort(new Error(`${signal} while starting`));
  if (!orchestrator || closing) return; // still starting: closed as soon as it has started (below)
  closing = true;
  logger.log(`${signal}: finishing what was received, then exiting`);
  setTimeout(() => {
    logger.error(`still closing ${SHUTDOWN_TIMEOUT_MS} ms after ${signal}: exiting anyway`);
    process.exit(1);
  }, SHUTDOWN_TIMEOUT_MS).unref();
  await orchestrator.close();
  process.exit(0);
};

const handlers: Record<'SIGTERM' | 'SIGINT', () => void> = { SIGTERM: () => void stop('SIGTERM'), SIGINT: () => void stop('SIGINT') };
/**
 * The service owns its signals: a library that adds its own SIGTERM or SIGINT
 * listener (one that stops at once and exits with 143 while results are still
 * being stored) is taken off. A signal closes in bootstrap's order instead
 * (HTTP, loop and MQTT gateway; MQTT client; broker; database pool; embedded
 * database last) and exits 0.
 */
function ownSignals(): void {
  for (const [signal, handler] of Object.entries(handlers)) {
    for (const listener of process.listeners(signal as NodeJS.Signals)) if (listener !== handler) process.off(signal, listener);
    if (!process.listeners(signal as NodeJS.Signals).includes(handler)) process.on(signal, handler);
  }
}

ownSignals();
try {
  orchestrator = await startOrchestrator(loadConfig(), { signal: starting.signal });
  // Again: a library loaded while starting may have added its own.
  ownSignals();
} catch (e) {
  if (signalled && starting.signal.aborted) {
    logger.log(`${signalled} while starting: exiting`);
    process.exit(0);
  }
  logger.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
}
if (signalled) await stop(signalled);
