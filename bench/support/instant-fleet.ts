/**
 * A fleet of instant simulated devices in one process, for the loop benchmark:
 * each answers a run command with the Branin value at once.
 * `node dist/bench/support/instant-fleet.js <mqtt-url> <count> <kind> <capacity>`
 */
import { DeviceClient } from '#device-sdk';
import { branin } from '#simulators';

const [url, countArg, kind, capacityArg] = process.argv.slice(2);
const count = Number(countArg);
const capacity = Number(capacityArg ?? 8);
const devices: DeviceClient[] = [];
for (let i = 0; i < count; i++) {
  const device = new DeviceClient({
    url,
    deviceId: `${kind}-${i}`,
    kind,
    capacity,
    resendIntervalMs: 2000,
    run: async (command) => ({ values: { y: branin.evaluate(command.params as Record<string, number>) } }),
  });
  await device.start();
  devices.push(device);
}
process.stdout.write('ready\n');
const stop = async () => {
  await Promise.all(devices.map((d) => d.stop()));
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
