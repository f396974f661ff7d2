import { DataSource, type LoggerOptions } from 'typeorm';
import { AuditEntryEntity } from './entities/audit-entry.entity.js';
import { BatchEntity } from './entities/batch.entity.js';
import { CampaignEntity } from './entities/campaign.entity.js';
import { DeviceEntity } from './entities/device.entity.js';
import { ExperimentEntity } from './entities/experiment.entity.js';
import { InitialSchema1763830000000 } from './migrations/1763830000000-initial-schema.js';
import { CampaignLeases1763900000000 } from './migrations/1763900000000-campaign-leases.js';
import { DeviceRegistry1763910000000 } from './migrations/1763910000000-device-registry.js';

/** Explicit lists: no discovery by glob. */
export const ENTITIES = [CampaignEntity, BatchEntity, ExperimentEntity, DeviceEntity, AuditEntryEntity];
export const MIGRATIONS = [InitialSchema1763830000000, CampaignLeases1763900000000, DeviceRegistry1763910000000];

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
