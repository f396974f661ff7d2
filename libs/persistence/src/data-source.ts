import { DataSource, type LoggerOptions } from 'typeorm';
import { AuditEntryEntity } from './entities/audit-entry.entity.js';
import { BatchEntity } from './entities/batch.entity.js';
import { ConflictingReportEntity } from './entities/conflicting-report.entity.js';
import { CampaignEntity } from './entities/campaign.entity.js';
import { DeviceEntity } from './entities/device.entity.js';
import { ExperimentEntity } from './entities/experiment.entity.js';
import { ImportedResultEntity } from './entities/imported-result.entity.js';
import { CandidateExclusionEntity, CandidateListEntity, CandidateRowEntity } from './entities/candidate-list.entity.js';
import { DeviceCommandEntity } from './entities/device-command.entity.js';
import { InitialSchema1763830000000 } from './migrations/1763830000000-initial-schema.js';
import { CampaignLeases1763900000000 } from './migrations/1763900000000-campaign-leases.js';
import { DeviceRegistry1763910000000 } from './migrations/1763910000000-device-registry.js';
import { ImportedResults1796530000000 } from './migrations/1796530000000-imported-results.js';
import { DeviceAnnouncement1796600000000 } from './migrations/1796600000000-device-announcement.js';
import { ConflictingReports1796605000000 } from './migrations/1796605000000-conflicting-reports.js';
import { Liveness1796610000000 } from './migrations/1796610000000-liveness.js';
import { DefinitionVersions1797200000000 } from './migrations/1797200000000-definition-versions.js';
import { CampaignControls1797300000000 } from './migrations/1797300000000-campaign-controls.js';
import { CandidateLists1797400000000 } from './migrations/1797400000000-candidate-lists.js';
import { ImportedOutcomes1797520000000 } from './migrations/1797520000000-imported-outcomes.js';

/** Explicit lists: no discovery by glob. */
export const ENTITIES = [
  CampaignEntity,
  BatchEntity,
  ExperimentEntity,
  ImportedResultEntity,
  DeviceEntity,
  AuditEntryEntity,
  ConflictingReportEntity,
  CandidateListEntity,
  CandidateRowEntity,
  CandidateExclusionEntity,
  DeviceCommandEntity,
];
export const MIGRATIONS = [
  InitialSchema1763830000000,
  CampaignLeases1763900000000,
  DeviceRegistry1763910000000,
  ImportedResults1796530000000,
  DeviceAnnouncement1796600000000,
  ConflictingReports1796605000000,
  Liveness1796610000000,
  DefinitionVersions1797200000000,
  CampaignControls1797300000000,
  CandidateLists1797400000000,
  ImportedOutcomes1797520000000,
];

export interface DataSourceOptions {
  url: string;
  logging?: LoggerOptions;
  poolSize?: number;
  /** A connection attempt not answered within this fails (default: none, the kernel's TCP timeout). */
  connectTimeoutMs?: number;
}

/** The one data source shape, shared by the service, the migration command and the tests. */
export function createDataSource(options: DataSourceOptions): DataSource {
  return new DataSource({
    type: 'postgres',
    url: options.url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    synchronize: false,
    migrationsRun: false,
    migrationsTransactionMode: 'each',
    logging: options.logging ?? ['error', 'warn', 'migration'],
    ...(options.connectTimeoutMs !== undefined ? { connectTimeoutMS: options.connectTimeoutMs } : {}),
    extra: { max: options.poolSize ?? 10 },
  });
}

/** Initialises the data source and applies pending migrations; returns the names applied. */
export async function openDatabase(options: DataSourceOptions): Promise<{ dataSource: DataSource; applied: string[] }> {
  const dataSource = createDataSource(options);
  await dataSource.initialize();
  try {
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    return { dataSource, applied: applied.map((m) => m.name) };
  } catch (e) {
    await dataSource.destroy();
    throw e;
  }
}

/** The part of pg-pool's Pool that closeDataSource watches. */
interface WatchedPool {
  totalCount: number;
  on(event: 'remove', listener: () => void): unknown;
  off(event: 'remove', listener: () => void): unknown;
}

/**
 * Destroys the data source and then waits, up to `timeoutMs`, until every
 * pooled connection has closed its socket. pg-pool's end() resolves once it
 * has asked its clients to end, not once they have: a server stopped in that
 * window (the embedded one, right after this at shutdown) sends each
 * still-open session "terminating connection due to administrator command",
 * which the pool then reports as an error.
 */
export async function closeDataSource(dataSource: DataSource, timeoutMs = 2000): Promise<void> {
  if (!dataSource.isInitialized) return;
  const pool = (dataSource.driver as unknown as { master?: WatchedPool }).master;
  const open = pool && typeof pool.on === 'function' ? pool.totalCount : 0;
  let removed = 0;
  let timer: NodeJS.Timeout | undefined;
  let onRemove: () => void = () => undefined;
  const closed = new Promise<void>((resolve) => {
    onRemove = () => {
      removed += 1;
      if (removed >= open) resolve();
    };
    timer = setTimeout(resolve, timeoutMs);
  });
  if (open > 0) pool!.on('remove', onRemove);
  try {
    await dataSource.destroy();
    if (open > 0) await closed;
  } finally {
    clearTimeout(timer);
    if (open > 0) pool!.off('remove', onRemove);
  }
}
