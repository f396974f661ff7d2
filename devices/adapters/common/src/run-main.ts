import type { DeviceLogger, DeviceLogLevel } from '#device-sdk';

const LEVELS: Record<DeviceLogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** A logger writing `time name level message` lines to stderr at or above `threshold`. */
export function stderrLogger(name: string, threshold: DeviceLogLevel): DeviceLogger {
  return (level, message) => {
    if (LEVELS[level] >= LEVELS[threshold]) process.stderr.write(`${new Date().toISOString().slice(11, 23)} ${name} ${level} ${message}\n`);
  };
}

/**
 * Runs a long-lived device process: `start` brings it up and returns its stop
 * function. SIGTERM/SIGINT stop it cleanly (offline published, outbox flushed)
 * and exit 0; a second signal or a stop taking over 5 s exits at once.
 */
export function runUntilSignalled(program: string, start: () => Promise<() => Promise<void>>, log: DeviceLogger): void {
  let stop: (() => Promise<void>) | undefined;
  let stopping = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(130);
    stopping = true;
    log('info', `${signal}: stopping`);
    setTimeout(() => process.exit(1), 5000).unref();
    void (stop ?? (() => Promise.resolve()))().then(
      () => process.exit(0),
      (err: unknown) => {
        log('error', `stop failed: ${(err as Error).message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  start().then(
    (s) => {
      stop = s;
      if (stopping) void s().then(() => process.exit(0));
    },
    (err: unknown) => {
      process.stderr.write(`${program}: ${(err as Error).message}\n`);
      process.exit(1);
    },
  );
}
