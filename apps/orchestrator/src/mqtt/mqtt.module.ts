import { Module } from '@nestjs/common';
import { MqttEdgeLimits } from '../common/rate-limiter.js';
import { DevicesModule } from '../devices/devices.module.js';
import { MqttGateway } from './mqtt.gateway.js';
import { ExperimentsModule } from '../experiments/experiments.module.js';

/**
 * The MQTT edge: devices' availability, heartbeats and events in (size and
 * rate limited), results stored. The health endpoint reports its counters.
 */
@Module({
  imports: [DevicesModule, ExperimentsModule],
  providers: [MqttEdgeLimits, MqttGateway],
  exports: [MqttGateway, MqttEdgeLimits],
})
export class MqttModule {}
