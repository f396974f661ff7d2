import type { DataSource, EntityManager } from 'typeorm';

/**
 * Runs SQL and returns its rows. TypeORM's postgres `query()` answers UPDATE and
 * DELETE with `[rows, rowCount]` but SELECT and INSERT with the rows alone;
 * this gives the rows in every case, so `UPDATE ... RETURNING` can be tested by length.
 */
export async function queryRows<T>(db: DataSource | EntityManager, sql: string, params: unknown[] = []): Promise<T[]> {
  const result: unknown = await db.query(sql, params);
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') return result[0] as T[];
  return result as T[];
}
