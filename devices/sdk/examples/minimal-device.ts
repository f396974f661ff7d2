import { DeviceClient } from '#device-sdk';

const device = new DeviceClient({
  url: process.env.MQTT_URL ?? 'mqtt://127.0.0.1:1883',
  deviceId: process.env.DEVICE_ID ?? 'heater-1',
  kind: 'heater',
  capabilities: { parameters: { temperature: { low: 20, high: 120, unit: '°C' } }, objectives: ['yield'] },
  run: async ({ params }, ctx) => {
    ctx.progress(0.5, 'heating');
    const t = Number(params.temperature); // your instrument here: this one peaks at 80 °C
    return { values: { yield: 100 * Math.exp(-(((t - 80) / 30) ** 2)) } };
  },
});
await device.start();
process.once('SIGTERM', () => void device.stop().then(() => process.exit(0)));
