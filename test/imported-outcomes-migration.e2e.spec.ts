import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { MIGRATIONS } from '#persistence';
import { freshDatabase, type TestDatabase } from './support/database.js';

/**
 * The migration that gives imported results a value per outcome
 * (1797520000000), up and down on a database that already holds imports of
 * one value: up keeps every row and reads its value as the objective's, down
 * gives the same rows back, and refuses while a row holds several outcomes'.
 */

const MIGRATION = 'ImportedOutcomes1797520000000';
const at = MIGRATIONS.findIndex((m) => m.name === MIGRATION);

/** A data source with the migrations up to the one tested (`upTo` false: those before it). */
function dataSource(url: string, upTo: boolean): DataSource {
  return new DataSource({
    type: 'postgres',
    url,
    migrations: MIGRATIONS.slice(0, upTo ? at + 1 : at),
    migrationsTransactionMode: 'each',
    // The refusals below are expected: not logged.
    logging: false,
  });
}

describe('migration ImportedOutcomes1797520000000', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await freshDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('keeps imports of one value readable as the objective, and goes back only without losing a value', async () => {
    expect(at).toBeGreaterThan(0);
    const before = dataSource(db.url, false);
    await before.initialize();
    await before.runMigrations();
    const campaign = randomUUID();
    await before.query(
      `INSERT INTO campaigns (id, name, status, definition, seed, created_at, updated_at)
       VALUES ($1, 'c', 'running', '{"objective": {"name": "y", "direction": "minimize"}}', 1, now(), now())`,
      [campaign],
    );
    const rows = [
      { objective: 3.25, failed: false, reason: null },
      { objective: null, failed: true, reason: 'pump blocked' },
    ];
    for (const [index, r] of rows.entries())
      await before.query(
        `INSERT INTO imported_results (id, campaign_id, import_id, index, params, objective, failed, failure_reason, source, imported_by, imported_at)
         VALUES ($1, $2, $3, $4, '{"x": 1}', $5, $6, $7, 'notebook', 'operator:ada', now())`,
        [randomUUID(), campaign, campaign, index, r.objective, r.failed, r.reason],
      );
    const snapshot = async (ds: DataSource) =>
      ds.query(`SELECT index, params, objective, failed, failure_reason, source FROM imported_results ORDER BY index`);
    const old = await snapshot(before);
    await before.destroy();

    const after = dataSource(db.url, true);
    await after.initialize();
    expect((await after.runMigrations()).map((m) => m.name)).toEqual([MIGRATION]);
    expect(await snapshot(after)).toEqual(old);
    expect((await after.query(`SELECT "values" FROM imported_results ORDER BY index`)).map((r: { values: unknown }) => r.values)).toEqual([
      { y: 3.25 },
      null,
    ]);
    // A failure holds no values, a result holds some.
    await expect(after.query(`UPDATE imported_results SET "values" = '{"y": 1}' WHERE failed`)).rejects.toThrow(
      /imported_results_values_check/,
    );

    // A row of several outcomes holds the way back: going back would lose them.
    await after.query(
      `INSERT INTO imported_results (id, campaign_id, import_id, index, params, objective, "values", failed, source, imported_by, imported_at)
       VALUES ($1, $2, $2, 2, '{"x": 2}', 1, '{"y": 1, "cost": 4}', false, 'paper', 'operator:ada', now())`,
      [randomUUID(), campaign],
    );
    await expect(after.undoLastMigration()).rejects.toThrow(/1 imported results of 1 campaign\(s\) hold the values of several outcomes/);
    expect((await after.query(`SELECT count(*)::int AS n FROM imported_results`))[0].n).toBe(3);
    await after.query(`DELETE FROM imported_results WHERE index = 2`);
    await after.undoLastMigration();
    expect(await snapshot(after)).toEqual(old);
    const columns = await after.query(
      `SELECT column_name FROM information_schema.columns WHERE table_name = 'imported_results' AND column_name = 'values'`,
    );
    expect(columns).toEqual([]);
    await after.destroy();
  });
});
