/**
 * Tables of results: CSV text (a literature table, a spreadsheet export, a lab
 * notebook) read as points of a space with their outcome. Every problem is
 * reported by line and column, not only the first, so a table can be mended
 * in one go.
 */
import type { Params, Space } from './space.js';

/** A parsed CSV file: header names and rows of raw strings. */
export interface CsvTable {
  file: string;
  columns: string[];
  rows: string[][];
}

/**
 * Parses CSV text (RFC 4180: comma separated, optional double-quoted fields
 * with "" escapes, LF or CRLF line ends). The first line is the header; every
 * row must have as many fields, else an error names the line.
 */
export function parseCsv(text: string, file = '(text)'): CsvTable {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      record.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      record.push(field);
      field = '';
      if (record.length > 1 || record[0] !== '') records.push(record);
      record = [];
    } else field += c;
  }
  if (field !== '' || record.length > 0) records.push([...record, field]);
  if (records.length === 0) throw new Error(`${file}: empty CSV file`);
  const [columns, ...rows] = records;
  rows.forEach((r, i) => {
    if (r.length !== columns.length)
      throw new Error(`${file}: line ${i + 2} has ${r.length} fields, the header has ${columns.length}${separatorHint(columns)}`);
  });
  return { file, columns, rows };
}

/** CSV text (RFC 4180, LF line ends) of a header and rows; a field with a comma, quote or line break is quoted. parseCsv reads it back. */
export function toCsv(columns: readonly string[], rows: readonly (readonly (string | number | null | undefined)[])[]): string {
  const field = (v: string | number | null | undefined) => {
    const text = v === null || v === undefined ? '' : String(v);
    return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
  };
  return `${[columns, ...rows].map((r) => r.map(field).join(',')).join('\n')}\n`;
}

/** A header of one column with semicolons or tabs in it: a table from a spreadsheet set to another separator. */
function separatorHint(columns: readonly string[]): string {
  return columns.length === 1 && /[;\t]/.test(columns[0])
    ? `; the header is one column, "${columns[0]}", separated by ";" or tabs: save the table with commas (and "." for decimals)`
    : '';
}

/** One row of a results table: a point, and its outcome or its failure. */
export interface TableResult {
  params: Params;
  /** The objective's value; absent when the experiment failed. */
  value?: number;
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
 * Space.names, and one for the objective): numbers for continuous, integer
 * and composition keys, the cell's text for categorical choices. A row with
 * `failed` true is a failed experiment (its objective cell may be empty).
 * Columns the space and the objective do not use are listed, not read.
 * Values are not checked against the space here (see Space.check).
 */
export function tableResults(
  space: Space,
  objective: string,
  table: CsvTable,
): { results: TableResult[]; problems: string[]; ignoredColumns: string[] } {
  const problems: string[] = [];
  const index = new Map<string, number>();
  table.columns.forEach((c, i) => {
    const name = c.trim();
    if (index.has(name)) problems.push(`column "${name}" appears twice in the header`);
    else index.set(name, i);
  });
  const categorical = new Set(space.parameters.filter((p) => p.type === 'categorical').map((p) => p.name));
  const used = new Set([...space.names, objective]);
  const missing = [...space.names, objective].filter((k) => !index.has(k));
  if (missing.length > 0) {
    problems.push(
      `the header has no column for ${missing.map((k) => `"${k}"`).join(', ')} (it needs one per parameter${
        space.names.length === space.parameters.length ? '' : ', composition components as <name>.<component>'
      } and one for the objective "${objective}")${separatorHint(table.columns)}`,
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
      if (categorical.has(key)) params[key] = cell(key);
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
    const reason = reasonAt === undefined ? '' : row[reasonAt].trim();
    if (TRUE.has(flag)) {
      if (cell(objective) !== '') problems.push(`${at}: a failed experiment has no value, but "${objective}" is ${cell(objective)}`);
      else if (problems.length === before) results.push({ params, failed: true, ...(reason ? { reason } : {}), line: r + 2 });
      return;
    }
    if (cell(objective) === '') {
      problems.push(
        `${at}, column "${objective}": empty (a failed experiment is marked true in a "${FAILED_COLUMN}" column${failedAt === undefined ? ', which this table lacks' : ''})`,
      );
      return;
    }
    const value = number(objective);
    if (value !== undefined && problems.length === before) results.push({ params, value, line: r + 2 });
  });
  return { results, problems, ignoredColumns };
}
