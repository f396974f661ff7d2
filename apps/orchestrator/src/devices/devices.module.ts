import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { DevicesController } from './devices.controller.js';
import { DevicesService } from './devices.service.js';
import { HoldingsService } from './holdings.service.js';
import { ExperimentsModule } from '../experiments/experiments.module.js';

/** The rigs: their availability, heartbeats and profiles. The MQTT gateway feeds them. */
@Module({
  imports: [AuditModule, ExperimentsModule],
  controllers: [DevicesController],
  providers: [DevicesService, HoldingsService],
  exports: [DevicesService],
})
export class DevicesModule {}
