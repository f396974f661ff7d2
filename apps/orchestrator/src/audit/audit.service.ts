import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { AuditEntryEntity, type JsonObject } from '#persistence';
import { CLOCK, type Clock } from '../common/ports.js';

export interface AuditRecord {
  actor: string;
  action: string;
  campaignId?: string | null;
  experimentId?: string | null;
  deviceId?: string | null;
  details?: JsonObject;
}

/** Appends to the audit log; pass the transaction's manager so the entry commits with the change it explains. */
@Injectable()
export class AuditService {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async record(entry: AuditRecord, manager: EntityManager = this.dataSource.manager): Promise<void> {
    await manager.query(
      `INSERT INTO audit_log (at, actor, action, campaign_id, experiment_id, device_id, details) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [
        this.clock.now(),
        entry.actor,
        entry.action,
        entry.campaignId ?? null,
        entry.experimentId ?? null,
        entry.deviceId ?? null,
        // PostgreSQL cannot store U+0000 in jsonb; details may quote what a device sent.
        JSON.stringify(entry.details ?? {}, (_key, value: unknown) =>
          typeof value === 'string' ? value.replaceAll('\u0000', '\ufffd') : value,
        ),
      ],
    );
  }

  async list(campaignId: string, limit = 500): Promise<AuditEntryEntity[]> {
    return this.dataSource.getRepository(AuditEntryEntity).find({ where: { campaignId }, order: { id: 'ASC' }, take: limit });
  }
}
