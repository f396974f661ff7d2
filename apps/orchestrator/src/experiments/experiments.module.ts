import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { ConflictsService } from './conflicts.service.js';
import { ExperimentsRepository } from './experiments.repository.js';
import { RedispatchService } from './redispatch.service.js';
import { ResultsService } from './results.service.js';

/**
 * An experiment's lifecycle: the one owner of the experiments table's writes
 * (ExperimentsRepository, with the allowed transitions in experiment-lifecycle.ts),
 * the ingestion of what devices report (ResultsService) and the re-dispatch of
 * experiments a device failed (RedispatchService), and the reports that
 * contradict an outcome already stored (ConflictsService). It uses the service's
 * infrastructure (DataSource, clock, event bus) from the global
 * InfrastructureModule, and the audit log.
 */
@Module({
  imports: [AuditModule],
  providers: [ExperimentsRepository, RedispatchService, ResultsService, ConflictsService],
  exports: [ExperimentsRepository, RedispatchService, ResultsService, ConflictsService],
})
export class ExperimentsModule {}
