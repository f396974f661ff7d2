import { startEmbeddedBroker, type EmbeddedBroker } from '#broker';
import { FakeService } from './fake-service.js';

interface Stoppable {
  stop(): Promise<void>;
}

/**
 * Test harness for device-side suites: a broker (the run's shared one from
 * HAKKEN_TEST_MQTT_URL, i.e. Mosquitto when MQTT_URL is set, else a private
 * embedded one), a FakeService answering only devices with this harness's id
 * prefix, and cleanup of every device started through it (retained
 * availability included, so a shared broker stays clean).
 */
export class DeviceHarness {
  private readonly started: Array<{ deviceId: string; device: Stoppable }> = [];
  private seq = 0;

  private constructor(
    readonly url: string,
    readonly service: FakeService,
    readonly prefix: string,
    private readonly broker: EmbeddedBroker | undefined,
  ) {}

  static async start(name: string): Promise<DeviceHarness> {
    const shared = process.env.HAKKEN_TEST_MQTT_URL;
    const broker = shared ? undefined : await startEmbeddedBroker();
    const url = shared ?? (broker as EmbeddedBroker).url;
    const prefix = `${name}-${process.pid}-${Date.now().toString(36)}-`;
    const service = await FakeService.connect(url, { devicePrefix: prefix });
    return new DeviceHarness(url, service, prefix, broker);
  }

  /** A fresh device id under this harness's prefix. */
  nextId(): string {
    return `${this.prefix}${++this.seq}`;
  }

  /** Registers a device (anything with stop()) for cleanup; returns it. */
  track<T extends Stoppable>(deviceId: string, device: T): T {
    this.started.push({ deviceId, device });
    return device;
  }

  async close(): Promise<void> {
    const devices = this.started.splice(0);
    await Promise.all(devices.map((d) => d.device.stop()));
    await Promise.all(devices.map((d) => this.service.clearRetained(d.deviceId)));
    await this.service.close();
    await this.broker?.close();
  }
}
