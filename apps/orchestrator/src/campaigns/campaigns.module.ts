import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { CampaignsController } from './campaigns.controller.js';
import { CampaignsService } from './campaigns.service.js';
import { CampaignCandidatesController, CandidateListsController } from './candidates.controller.js';
import { CandidatesService } from './candidates.service.js';
import { DefinitionChangesController } from './definition-changes.controller.js';
import { DefinitionChangesService } from './definition-changes.service.js';
import { ImportsService } from './imports.service.js';
import { StallsService } from './stalls.service.js';
import { ExperimentsModule } from '../experiments/experiments.module.js';

/** Campaigns: their definitions, batches and operators' decisions, imported and exported results. The console reads them. */
@Module({
  imports: [AuditModule, ExperimentsModule],
  controllers: [CampaignsController, CandidateListsController, CampaignCandidatesController, DefinitionChangesController],
  providers: [CampaignsService, ImportsService, StallsService, CandidatesService, DefinitionChangesService],
  exports: [CampaignsService, ImportsService, CandidatesService],
})
export class CampaignsModule {}
