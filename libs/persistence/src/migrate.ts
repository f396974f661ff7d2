/**
 * `npm run migrate`: applies pending migrations to DATABASE_URL (or to the
 * embedded database in HAKKEN_DATA_DIR), with the data source the service uses.
 * `npm run migrate -- --show` lists them without applying.
 */
import { closeDataSource, createDataSource } from './data-source.js';
import { startEmbeddedPostgres, type EmbeddedDatabase } from './embedded-postgres.js';

const show = process.argv.includes('--show');
let embedded: EmbeddedDatabase | undefined;
let url = process.env.DATABASE_URL;
if (!url) {
  try {
    embedded = await startEmbeddedPostgres({ dataDir: process.env.HAKKEN_DATA_DIR || '.data' });
  } catch (e) {
    // One line that says why and what to do (EmbeddedDatabaseError), no stack trace.
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  }
  url = embedded.url;
  process.stdout.write(`embedded PostgreSQL in ${embedded.clusterDir}\n`);
}
const dataSource = createDataSource({ url, logging: ['error'] });
try {
  await dataSource.initialize();
  if (show) {
    const pending = await dataSource.showMigrations();
    process.stdout.write(pending ? 'there are pending migrations\n' : 'schema up to date\n');
  } else {
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    process.stdout.write(applied.length ? `applied: ${applied.map((m) => m.name).join(', ')}\n` : 'schema up to date\n');
  }
} catch (e) {
  process.stderr.write(`migration failed: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
} finally {
  await closeDataSource(dataSource);
  await embedded?.stop();
}
