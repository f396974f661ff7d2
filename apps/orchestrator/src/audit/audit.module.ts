import { Module } from '@nestjs/common';
import { AuditService } from './audit.service.js';

/** The audit trail: the areas that change campaigns, experiments and devices record who did what. */
@Module({ providers: [AuditService], exports: [AuditService] })
export class AuditModule {}
