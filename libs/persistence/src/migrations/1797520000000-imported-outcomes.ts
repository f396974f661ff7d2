import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Imported results of several outcomes: each row keeps the value of every
 * objective and limited outcome of its campaign (`values`, by name), as an
 * experiment does, so that a campaign of several objectives or outcome limits
 * learns from earlier results too. `objective` stays the first objective's
 * value (the summary's best is read from it in SQL). Rows imported before
 * hold one value: `values` is filled in from it and the campaign's objective,
 * so every result reads the same way and nothing is lost.
 */
export class ImportedOutcomes1797520000000 implements MigrationInterface {
  name = 'ImportedOutcomes1797520000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE imported_results ADD COLUMN "values" jsonb`);
    await q.query(`
      UPDATE imported_results r SET "values" = jsonb_build_object(c.definition->'objective'->>'name', r.objective)
      FROM campaigns c WHERE c.id = r.campaign_id AND NOT r.failed`);
    await q.query(`
      ALTER TABLE imported_results
        ADD CONSTRAINT imported_results_values_check CHECK (failed = ("values" IS NULL)),
        ADD CONSTRAINT imported_results_values_object_check CHECK ("values" IS NULL OR jsonb_typeof("values") = 'object')`);
  }

  /**
   * Back to one value per result: refused while a result holds more than its
   * objective's value (they would be lost; export the campaign's results and
   * delete those rows first).
   */
  async down(q: QueryRunner): Promise<void> {
    const [held] = (await q.query(
      `SELECT count(*)::int AS n, count(DISTINCT campaign_id)::int AS campaigns FROM imported_results
       WHERE "values" IS NOT NULL AND (SELECT count(*) FROM jsonb_object_keys("values")) > 1`,
    )) as { n: number; campaigns: number }[];
    if (held.n > 0)
      throw new Error(
        `${held.n} imported results of ${held.campaigns} campaign(s) hold the values of several outcomes, which one value per result cannot keep: ` +
          'export those campaigns (GET /api/campaigns/:id/results.csv) and delete their imported results before going back',
      );
    await q.query(
      `ALTER TABLE imported_results DROP CONSTRAINT imported_results_values_object_check, DROP CONSTRAINT imported_results_values_check`,
    );
    await q.query(`ALTER TABLE imported_results DROP COLUMN "values"`);
  }
}
