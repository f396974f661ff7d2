/**
 * Tables of results: CSV text (a literature table, a spreadsheet export, a lab
 * notebook) read as points of a space with their outcome. Every problem is
 * reported by line and column, not only the first, so a table can be mended
 * in one go. The optimizer sees spaces and numbers, never tables: this reads
 * a table into them.
 */
import type { Params, Space } from '#optimizer';
import { type CsvTable, separatorHint, unguardedCell } from './csv.js';

/** One row of a results table: a point, and its outcome or its failure. */
export interface TableResult {
  params: Params;
  /** The objective's value (the first outcome's); absent when the experiment failed. */
  value?: number;
  /** Every outcome's value, by name, where the table was read for several outcomes; absent when the experiment failed. */
  values?: Record<string, number>;
  failed?: boolean;
  reason?: string;
  /** The row's line in the CSV text (the header is line 1). */
  line?: number;
}

/** Columns that mark a failed experiment and say why, unless a parameter or the objective has that name. */
export const FAILED_COLUMN = 'failed';
export const REASON_COLUMN = 'failure_reason';

const TRUE = new Set(['true', '1', 'yes', 'y']);
const FALSE = new Set(['false', '0', 'no', 'n', '']);

/**
 * Reads a table's rows as results of `space` (one column per point key, see
 * Space.names, and one for the objective, or one per outcome where
 * `outcomes` names several): numbers for continuous, integer and composition
 * keys, the cell's text for categorical choices. A row with `failed` true is
 * a failed experiment (its outcome cells empty); any other row needs a number
 * in every outcome's cell. Columns the space and the outcomes do not use are
 * listed, not read. Values are not checked against the space here (see
 * Space.check). Given a list of outcomes, each result carries `values` (every
 * outcome's, by name) besides `value` (the first's).
 */
export function tableResults(
  space: Space,
  outcomes: string | readonly string[],
  table: CsvTable,
): { results: TableResult[]; problems: string[]; ignoredColumns: string[] } {
  const names = typeof outcomes === 'string' ? [outcomes] : [...outcomes];
  const objective = names[0];
  const problems: string[] = [];
  const index = new Map<string, number>();
  table.columns.forEach((c, i) => {
    const name = c.trim();
    if (index.has(name)) problems.push(`column "${name}" appears twice in the header`);
    else index.set(name, i);
  });
  const categorical = new Set(space.parameters.filter((p) => p.type === 'categorical').map((p) => p.name));
  const used = new Set([...space.names, ...names]);
  const missing = [...space.names, ...names].filter((k) => !index.has(k));
  if (missing.length > 0) {
    const hint = separatorHint(table.columns);
    const outcomeColumns =
      names.length === 1 ? `one for the objective "${objective}"` : `one per outcome (${names.map((k) => `"${k}"`).join(', ')})`;
    problems.push(
      `the header has no column for ${missing.map((k) => `"${k}"`).join(', ')} (it needs one per parameter${
        space.names.length === space.parameters.length ? '' : ', composition components as <name>.<component>'
      } and ${outcomeColumns})${hint ? `; ${hint}` : ''}`,
    );
  }
  const failedAt = used.has(FAILED_COLUMN) ? undefined : index.get(FAILED_COLUMN);
  const reasonAt = used.has(REASON_COLUMN) ? undefined : index.get(REASON_COLUMN);
  if (failedAt !== undefined) used.add(FAILED_COLUMN);
  if (reasonAt !== undefined) used.add(REASON_COLUMN);
  const ignoredColumns = [...index.keys()].filter((c) => !used.has(c));
  if (problems.length > 0) return { results: [], problems, ignoredColumns };

  const results: TableResult[] = [];
  table.rows.forEach((row, r) => {
    const at = `line ${r + 2}`;
    const before = problems.length;
    const cell = (key: string) => row[index.get(key) as number].trim();
    const number = (key: string): number | undefined => {
      const raw = cell(key);
      const v = Number(raw);
      if (raw === '' || !Number.isFinite(v)) {
        problems.push(`${at}, column "${key}": ${raw === '' ? 'empty' : `"${raw}" is not a number`}`);
        return undefined;
      }
      return v;
    };
    const params: Params = {};
    for (const key of space.names) {
      // A choice that toCsv guarded against formulas ('=x) reads back as written.
      if (categorical.has(key)) params[key] = unguardedCell(cell(key));
      else {
        const v = number(key);
        if (v !== undefined) params[key] = v;
      }
    }
    const flag = failedAt === undefined ? '' : row[failedAt].trim().toLowerCase();
    if (!TRUE.has(flag) && !FALSE.has(flag)) {
      problems.push(`${at}, column "${FAILED_COLUMN}": "${row[failedAt as number].trim()}" is not true or false`);
      return;
    }
    const reason = reasonAt === undefined ? '' : unguardedCell(row[reasonAt].trim());
    if (TRUE.has(flag)) {
      for (const k of names) if (cell(k) !== '') problems.push(`${at}: a failed experiment has no value, but "${k}" is ${cell(k)}`);
      if (problems.length === before) results.push({ params, failed: true, ...(reason ? { reason } : {}), line: r + 2 });
      return;
    }
    const values: Record<string, number> = {};
    for (const k of names) {
      if (cell(k) === '') {
        problems.push(
          `${at}, column "${k}": empty (a failed experiment is marked true in a "${FAILED_COLUMN}" column${failedAt === undefined ? ', which this table lacks' : ''})`,
        );
        continue;
      }
      const v = number(k);
      if (v !== undefined) values[k] = v;
    }
    if (problems.length === before)
      results.push({ params, value: values[objective], ...(typeof outcomes === 'string' ? {} : { values }), line: r + 2 });
  });
  return { results, problems, ignoredColumns };
}
