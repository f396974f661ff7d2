#!/usr/bin/env node
/**
 * Connects a rig driven by a command line: one process per experiment.
 *   node dist/devices/adapters/cli/src/main.js --url mqtt://127.0.0.1:1883 --id rig-1 --kind flow-reactor \
 *     --command "bash ./my-rig.sh" --timeout-s 60 [--capabilities caps.json]
 * See devices/adapters/cli/README.md.
 */
import { DeviceClient } from '#device-sdk';
import { COMMON_USAGE, parseDeviceArgs, positiveNumber, runUntilSignalled, stderrLogger } from '#adapters-common';
import { cliRunHandler } from './cli-runner.js';

const USAGE = `usage: cli-adapter --id ID --kind KIND --command "CMD" --timeout-s S [options]

  --command CMD            run by /bin/sh -c per experiment: params JSON on stdin, result JSON on stdout
  --timeout-s S            per-experiment limit; the process group is killed past it (device failure)
  --kill-grace-s S         SIGTERM to SIGKILL delay                  (default 2)
  --cwd DIR                working directory of the command
${COMMON_USAGE}`;

const parsed = parseDeviceArgs(process.argv.slice(2), process.env, {
  command: { type: 'string' },
  'timeout-s': { type: 'string' },
  'kill-grace-s': { type: 'string' },
  cwd: { type: 'string' },
});
if (parsed.kind === 'help') {
  process.stderr.write(`${USAGE}\n`);
} else {
  const errors = parsed.kind === 'error' ? parsed.errors : [...parsed.errors];
  let command = '';
  let timeoutS = Number.NaN;
  let graceS = 2;
  if (parsed.kind === 'run') {
    const v = parsed.values;
    command = typeof v.command === 'string' ? v.command : '';
    if (!command.trim()) errors.push('--command is required');
    timeoutS = typeof v['timeout-s'] === 'string' ? positiveNumber(v['timeout-s'], '--timeout-s', errors, false) : Number.NaN;
    if (v['timeout-s'] === undefined) errors.push('--timeout-s is required');
    if (typeof v['kill-grace-s'] === 'string') graceS = positiveNumber(v['kill-grace-s'], '--kill-grace-s', errors, false);
  }
  if (parsed.kind === 'error' || errors.length > 0) {
    process.stderr.write(`cli-adapter: ${errors.join('\n  ')}\n\n${USAGE}\n`);
    process.exitCode = 2;
  } else {
    const { common, values } = parsed;
    const log = stderrLogger(common.deviceId, common.logLevel);
    runUntilSignalled(
      'cli-adapter',
      async () => {
        const device = new DeviceClient({
          ...common,
          logger: log,
          run: cliRunHandler({
            command,
            timeoutMs: timeoutS * 1000,
            killGraceMs: graceS * 1000,
            cwd: typeof values.cwd === 'string' ? values.cwd : undefined,
          }),
        });
        log('info', `running "${command}" per experiment (timeout ${timeoutS} s) on ${common.url}`);
        await device.start();
        return () => device.stop();
      },
      log,
    );
  }
}
