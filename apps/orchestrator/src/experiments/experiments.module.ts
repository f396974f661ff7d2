import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { CommandsModule } from '../commands/commands.module.js';
import { ExperimentControlsService } from './controls.service.js';
import { ExperimentsController } from './experiments.controller.js';
import { ConflictsService } from './conflicts.service.js';
import { ExperimentsRepository } from './experiments.repository.js';
import { RedispatchService } from './redispatch.service.js';
import { ResultsService } from './results.service.js';

/**
 * An experiment's lifecycle: the one owner of the experiments table's writes
 * (ExperimentsRepository, with the allowed transitions in experiment-lifecycle.ts),
 * the ingestion of what devices report (ResultsService) and the re-dispatch of
 * experiments a device failed (RedispatchService), and the reports that
 * contradict an outcome already stored (ConflictsService), and what an operator does to one experiment
 * (ExperimentControlsService: abort, the result of one a person ran; REST in experiments.controller.ts). It uses the service's
 * infrastructure (DataSource, clock, event bus) from the global
 * InfrastructureModule, and the audit log.
 */
@Module({
  imports: [AuditModule, CommandsModule],
  controllers: [ExperimentsController],
  providers: [ExperimentsRepository, RedispatchService, ResultsService, ConflictsService, ExperimentControlsService],
  exports: [ExperimentsRepository, RedispatchService, ResultsService, ConflictsService, ExperimentControlsService, CommandsModule],
})
export class ExperimentsModule {}
