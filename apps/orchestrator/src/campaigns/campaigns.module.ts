import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { CampaignsController } from './campaigns.controller.js';
import { CampaignsService } from './campaigns.service.js';
import { DefinitionChangesController } from './definition-changes.controller.js';
import { DefinitionChangesService } from './definition-changes.service.js';
import { ImportsService } from './imports.service.js';
import { StallsService } from './stalls.service.js';
import { ExperimentsModule } from '../experiments/experiments.module.js';

/** Campaigns: their definitions, batches and operators' decisions, imported and exported results. The console reads them. */
@Module({
  imports: [AuditModule, ExperimentsModule],
  controllers: [CampaignsController, DefinitionChangesController],
  providers: [CampaignsService, ImportsService, StallsService, DefinitionChangesService],
  exports: [CampaignsService, ImportsService],
})
export class CampaignsModule {}
