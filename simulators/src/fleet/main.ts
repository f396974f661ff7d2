#!/usr/bin/env node
/**
 * Fleet launcher: `npm run fleet -- --url mqtt://127.0.0.1:1883 --count 4 --kind branin --noise 0.1`
 * or `npm run fleet -- --file fleet.json` (see --help and simulators/README.md).
 * Logs to stderr; SIGTERM/SIGINT stop every device cleanly (offline published) and exit 0.
 */
import { readFile } from 'node:fs/promises';
import { runUntilSignalled, stderrLogger } from '#adapters-common';
import type { DeviceLogLevel } from '#device-sdk';
import { FLEET_USAGE, parseFleetArgs, parseFleetSpec } from './fleet-config.js';
import { startFleet } from './fleet.js';

const args = parseFleetArgs(process.argv.slice(2), process.env);
const level = (process.env.SIM_LOG_LEVEL ?? 'info') as DeviceLogLevel;
const log = stderrLogger('fleet', level);

if (args.kind === 'help') process.stderr.write(`${FLEET_USAGE}\n`);
else if (args.kind === 'error') {
  process.stderr.write(`fleet: ${args.errors.join('\n  ')}\n\n${FLEET_USAGE}\n`);
  process.exitCode = 2;
} else {
  runUntilSignalled(
    'fleet',
    async () => {
      const input = args.kind === 'file' ? await readFleetFile(args.file) : args.input;
      const spec = parseFleetSpec(input);
      const fleet = await startFleet(spec, {
        logger: (id) => stderrLogger(id, level),
        username: process.env.MQTT_USERNAME,
        password: process.env.MQTT_PASSWORD,
      });
      log(
        'info',
        `${fleet.members.length} device(s) up on ${spec.url}: ${fleet.members.map((m) => `${m.deviceId} (${m.simulator})`).join(', ')}`,
      );
      return () => fleet.stop();
    },
    log,
  );
}

async function readFleetFile(file: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as unknown;
  } catch (err) {
    throw new Error(`fleet file ${file}: ${(err as Error).message}`, { cause: err });
  }
}
