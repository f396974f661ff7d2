import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { DevicesController } from './devices.controller.js';
import { DevicesService } from './devices.service.js';
import { DeviceStopsService } from './device-stops.service.js';
import { HoldingsService } from './holdings.service.js';
import { ExperimentsModule } from '../experiments/experiments.module.js';

/** The rigs: their availability, heartbeats and profiles (the MQTT gateway feeds them), and their emergency stop. */
@Module({
  imports: [AuditModule, ExperimentsModule],
  controllers: [DevicesController],
  providers: [DevicesService, HoldingsService, DeviceStopsService],
  exports: [DevicesService],
})
export class DevicesModule {}
