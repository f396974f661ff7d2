import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { CampaignsModule } from '../campaigns/campaigns.module.js';
import { ComputeModule } from '../compute/compute.module.js';
import { DeviceMonitorService } from './device-monitor.service.js';
import { DispatcherService } from './dispatcher.service.js';
import { LeasesService } from './leases.service.js';
import { LoopService } from './loop.service.js';
import { ProposalStore } from './proposal-store.js';
import { ProposerService } from './proposer.service.js';
import { StallMonitorService } from './stall-monitor.service.js';
import { ExperimentsModule } from '../experiments/experiments.module.js';

/**
 * The closed loop: proposes batches (on the strategy pool), dispatches
 * experiments to devices, watches devices that went silent and campaigns that stalled, and holds the
 * campaign leases shared between replicas. Nothing of it is used elsewhere.
 */
@Module({
  imports: [AuditModule, CampaignsModule, ComputeModule, ExperimentsModule],
  providers: [ProposalStore, ProposerService, DispatcherService, DeviceMonitorService, LeasesService, StallMonitorService, LoopService],
})
export class LoopModule {}
