#!/usr/bin/env node
/**
 * Connects a rig that has an HTTP API: one POST per experiment, optional status polling.
 *   node dist/devices/adapters/http/src/main.js --url mqtt://127.0.0.1:1883 --id hplc-1 --kind hplc \
 *     --run-url http://rig.lab:8080/run --status-url "http://rig.lab:8080/runs/{id}" --timeout-s 600
 * See devices/adapters/http/README.md.
 */
import { DeviceClient } from '#device-sdk';
import { COMMON_USAGE, parseDeviceArgs, positiveNumber, runUntilSignalled, stderrLogger } from '#adapters-common';
import { httpRunHandler, type HttpRunnerOptions } from './http-runner.js';

const USAGE = `usage: http-adapter --id ID --kind KIND --run-url URL --timeout-s S [options]

  --run-url URL            POST each experiment's params (JSON) here
  --status-url URL         poll this (GET) after a 202; {id} = the id the rig returned, {experimentId}
  --abort-url URL          POST here when the service aborts the experiment or stops the device ({id}, {experimentId} as above)
  --timeout-s S            per-experiment limit, polling included (device failure past it)
  --poll-interval-s S      between status polls                      (default 1)
  --request-timeout-s S    per HTTP request                          (default 30)
  --header "Name: value"   extra request header, repeatable (e.g. Authorization)
${COMMON_USAGE}`;

const parsed = parseDeviceArgs(process.argv.slice(2), process.env, {
  'run-url': { type: 'string' },
  'status-url': { type: 'string' },
  'abort-url': { type: 'string' },
  'timeout-s': { type: 'string' },
  'poll-interval-s': { type: 'string' },
  'request-timeout-s': { type: 'string' },
  header: { type: 'string', multiple: true },
});
if (parsed.kind === 'help') {
  process.stderr.write(`${USAGE}\n`);
} else {
  const errors = parsed.kind === 'error' ? parsed.errors : [...parsed.errors];
  let runner: HttpRunnerOptions | undefined;
  if (parsed.kind === 'run') {
    const v = parsed.values;
    const text = (flag: string): string | undefined => (typeof v[flag] === 'string' ? v[flag] : undefined);
    const seconds = (flag: string): number | undefined => {
      const raw = text(flag);
      return raw === undefined ? undefined : positiveNumber(raw, `--${flag}`, errors, false) * 1000;
    };
    const runUrl = text('run-url');
    if (!runUrl) errors.push('--run-url is required');
    else if (!URL.canParse(runUrl)) errors.push(`--run-url is not a URL: "${runUrl}"`);
    const timeoutMs = seconds('timeout-s');
    if (timeoutMs === undefined) errors.push('--timeout-s is required');
    const headers: Record<string, string> = {};
    for (const h of Array.isArray(v.header) ? v.header : []) {
      const m = /^([^:\s]+):\s*(.*)$/.exec(String(h));
      if (m) headers[m[1].toLowerCase()] = m[2];
      else errors.push(`--header must look like "Name: value", got "${String(h)}"`);
    }
    runner = {
      runUrl: runUrl ?? '',
      statusUrl: text('status-url'),
      abortUrl: text('abort-url'),
      timeoutMs: timeoutMs ?? Number.NaN,
      pollIntervalMs: seconds('poll-interval-s'),
      requestTimeoutMs: seconds('request-timeout-s'),
      headers,
    };
  }
  if (parsed.kind === 'error' || errors.length > 0 || !runner) {
    process.stderr.write(`http-adapter: ${errors.join('\n  ')}\n\n${USAGE}\n`);
    process.exitCode = 2;
  } else {
    const { common } = parsed;
    const options = runner;
    const log = stderrLogger(common.deviceId, common.logLevel);
    runUntilSignalled(
      'http-adapter',
      async () => {
        const device = new DeviceClient({ ...common, logger: log, run: httpRunHandler(options) });
        log('info', `POSTing experiments to ${options.runUrl} (timeout ${options.timeoutMs / 1000} s) on ${common.url}`);
        await device.start();
        return () => device.stop();
      },
      log,
    );
  }
}
