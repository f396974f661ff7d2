#!/usr/bin/env node
/**
 * Simulated rig CLI: `node dist/simulators/src/sim-rig.js --id rig-1 --function branin ...`
 * (see --help). Logs to stderr only; exits cleanly, publishing offline, on SIGTERM/SIGINT.
 */
import type { DeviceLogLevel } from '#device-sdk';
import type { SimRig } from './sim-rig-core.js';
import { parseSimRigArgs, SIM_RIG_USAGE } from './sim-rig-args.js';

const LEVELS: Record<DeviceLogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

async function main(): Promise<void> {
  const args = parseSimRigArgs(process.argv.slice(2), process.env);
  if (args.kind === 'help') {
    process.stderr.write(`${SIM_RIG_USAGE}\n`);
    return;
  }
  // The rig (MQTT client, device SDK) is loaded only past --help, so that --help answers at once.
  const { checkSimRigOptions, startSimRig } = await import('./sim-rig-core.js');
  const errors = args.kind === 'error' ? args.errors : checkSimRigOptions(args.options);
  if (args.kind === 'error' || errors.length > 0) {
    process.stderr.write(`sim-rig: ${errors.join('\n  ')}\n\n${SIM_RIG_USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  const { options, logLevel } = args;
  const threshold = LEVELS[logLevel];
  const logger = (level: DeviceLogLevel, message: string) => {
    if (LEVELS[level] >= threshold)
      process.stderr.write(`${new Date().toISOString().slice(11, 23)} ${options.deviceId} ${level} ${message}\n`);
  };

  // set once the rig has started; a signal before then has nothing to stop
  let rig: SimRig | undefined = undefined;
  let stopping = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) {
      process.exit(130); // a second signal: leave now
    }
    stopping = true;
    logger('info', `${signal}: stopping`);
    // Exit even if something holds the event loop open.
    setTimeout(() => process.exit(1), 5000).unref();
    void (rig?.stop() ?? Promise.resolve()).then(
      () => process.exit(0),
      (err: unknown) => {
        logger('error', `stop failed: ${(err as Error).message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);

  logger(
    'info',
    `starting ${options.functionName} simulator (noise ${options.noise}, latency ${options.latencyMs}+${options.jitterMs} ms, capacity ${options.capacity}) on ${options.url}`,
  );
  rig = await startSimRig({ ...options, logger });
}

main().catch((err: unknown) => {
  process.stderr.write(`sim-rig: ${(err as Error).message}\n`);
  process.exit(1);
});
