import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { MqttEdgeLimits } from '../common/rate-limiter.js';
import { DevicesModule } from '../devices/devices.module.js';
import { BrokerLinkService } from './broker-link.service.js';
import { MqttGateway } from './mqtt.gateway.js';
import { ExperimentsModule } from '../experiments/experiments.module.js';

/**
 * The MQTT edge: devices' availability, heartbeats and events in (size and
 * rate limited), results stored. The health endpoint reports its counters.
 */
@Module({
  imports: [AuditModule, DevicesModule, ExperimentsModule],
  providers: [MqttEdgeLimits, MqttGateway, BrokerLinkService],
  exports: [MqttGateway, MqttEdgeLimits, BrokerLinkService],
})
export class MqttModule {}
