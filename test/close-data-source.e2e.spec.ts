import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { closeDataSource, createDataSource } from '#persistence';
import { freshDatabase, type TestDatabase } from './support/database.js';

/**
 * At shutdown the service closes its data source and then (embedded default)
 * stops PostgreSQL. Every pooled session must be gone by then: a session the
 * server has to cut reaches the log as "Postgres pool raised an error …
 * terminating connection due to administrator command". pg-pool's end() alone
 * resolves before its clients' sockets close (measured: 0 to 7 of 8 sessions
 * still open right after dataSource.destroy()).
 */
describe('closeDataSource', () => {
  let database: TestDatabase | undefined;
  afterAll(async () => {
    await database?.drop();
  });

  it('returns only once every pooled session has ended', async () => {
    database = await freshDatabase();
    const admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    try {
      for (let round = 0; round < 5; round++) {
        const app = `close-${randomUUID().slice(0, 8)}`;
        const url = new URL(database.url);
        url.searchParams.set('application_name', app);
        const dataSource = createDataSource({ url: url.toString(), poolSize: 8, logging: false });
        await dataSource.initialize();
        // Eight concurrent queries leave eight sessions in the pool.
        await Promise.all(Array.from({ length: 8 }, () => dataSource.query('SELECT pg_sleep(0.02)')));
        const before = await admin.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1', [
          app,
        ]);
        expect(before.rows[0].n).toBe(8);
        await closeDataSource(dataSource);
        expect(dataSource.isInitialized).toBe(false);
        const after = await admin.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1', [
          app,
        ]);
        expect(after.rows[0].n).toBe(0);
      }
    } finally {
      await admin.end();
    }
  });

  it('does nothing to a data source that was never initialised', async () => {
    const dataSource = createDataSource({ url: 'postgres://nobody@127.0.0.1:1/none' });
    await expect(closeDataSource(dataSource)).resolves.toBeUndefined();
  });
});
