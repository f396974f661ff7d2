/**
 * A fleet of instant simulated devices in one process, for the loop benchmark:
 * each answers a run command with the Branin value at once. Started with
 * child_process.fork (an IPC channel): it says `{ type: 'ready' }` once every
 * device is online, and answers `{ type: 'report' }` with when each result was
 * made (the first attempt's; the result event's `ts`) and its CPU time.
 * `node dist/bench/support/instant-fleet.js <mqtt-url> <count> <kind> <capacity> [acceptanceDelayMs]`
 */
import { DeviceClient } from '#device-sdk';
import { branin } from '#simulators';

export type FleetMessage =
  | { type: 'ready' }
  | { type: 'report'; madeAt: [string, number][]; cpuMs: number; accepted: number };

const [url, countArg, kind, capacityArg, acceptanceDelayArg] = process.argv.slice(2);
const count = Number(countArg);
const capacity = Number(capacityArg ?? 8);
const devices: DeviceClient[] = [];
const madeAt = new Map<string, number>();
const cpuAtStart = process.cpuUsage();
for (let i = 0; i < count; i++) {
  const device = new DeviceClient({
    url,
    deviceId: `${kind}-${i}`,
    kind,
    capacity,
    resendIntervalMs: 2000,
    ...(acceptanceDelayArg !== undefined ? { acceptanceDelayMs: Number(acceptanceDelayArg) } : {}),
    run: async (command) => {
      const values = { y: branin.evaluate(command.params as Record<string, number>) };
      if (!madeAt.has(command.experimentId)) madeAt.set(command.experimentId, Date.now());
      return { values };
    },
  });
  await device.start();
  devices.push(device);
}
const send = (m: FleetMessage) => process.send?.(m);
send({ type: 'ready' });
process.on('message', (m: { type?: string }) => {
  if (m.type !== 'report') return;
  const cpu = process.cpuUsage(cpuAtStart);
  send({
    type: 'report',
    madeAt: [...madeAt],
    cpuMs: (cpu.user + cpu.system) / 1000,
    accepted: devices.reduce((n, d) => n + d.stats.acceptancesSent, 0),
  });
});
const stop = async () => {
  await Promise.all(devices.map((d) => d.stop()));
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
