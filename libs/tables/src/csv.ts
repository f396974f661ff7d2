/**
 * CSV text in and out, through csv-parse and csv-stringify (RFC 4180). What
 * is ours: the errors name the file and every row at fault, a table saved
 * with ";" or tabs says how to save it, and the cells we write cannot run as
 * spreadsheet formulas.
 */
import { CsvError as ParserError, parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';

/** A parsed CSV file: header names and rows of raw strings. */
export interface CsvTable {
  file: string;
  columns: string[];
  rows: string[][];
}

/** A CSV text that cannot be read as a table; `problems` names each one (the message holds them all). */
export class CsvError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`${file}: ${problems.join('; ')}`);
    this.name = 'CsvError';
  }
}

/**
 * Parses CSV text (comma separated, optional double-quoted fields with ""
 * escapes, LF, CRLF or CR line ends, a leading byte-order mark skipped, blank
 * lines skipped). The first line is the header; every row must have as many
 * fields, else the error names each row that has not (lines counted in rows,
 * the header being line 1).
 */
export function parseCsv(text: string, file = '(text)'): CsvTable {
  let records: string[][];
  try {
    records = parse(text, {
      bom: true,
      record_delimiter: ['\r\n', '\n', '\r'],
      relax_column_count: true,
      // A quote inside an unquoted field is a character of it (12" pipe), as spreadsheets write it.
      relax_quotes: true,
      skip_empty_lines: true,
    });
  } catch (e) {
    if (e instanceof ParserError) throw new CsvError(file, [e.message]);
    throw e;
  }
  if (records.length === 0) throw new CsvError(file, ['empty CSV file']);
  const [columns, ...rows] = records;
  const problems = rows.flatMap((r, i) =>
    r.length === columns.length ? [] : [`line ${i + 2} has ${r.length} fields, the header has ${columns.length}`],
  );
  if (problems.length > 0) {
    const hint = separatorHint(columns);
    if (hint) problems.push(hint);
    throw new CsvError(file, problems);
  }
  return { file, columns, rows };
}

export type CsvCell = string | number | null | undefined;

/**
 * CSV text (LF line ends) of a header and rows; a field with a comma, quote or
 * line break is quoted, and parseCsv reads it back. A text cell that a
 * spreadsheet would run as a formula (it starts with =, +, -, @, a tab or a
 * carriage return, and is not a number) is written behind a single quote, as
 * OWASP advises against CSV injection; numbers, negative ones included, stay numbers.
 */
export function toCsv(columns: readonly string[], rows: readonly (readonly CsvCell[])[]): string {
  return stringify(
    [columns, ...rows].map((r) => r.map(safeCell)),
    {
      record_delimiter: 'unix',
      // csv-stringify quotes a line feed but not a lone carriage return.
      quoted_match: /\r/,
    },
  );
}

/** The prefix that keeps a cell from being read as a formula. */
export const FORMULA_GUARD = "'";
const FORMULA_START = /^[=+\-@\t\r]/;
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function safeCell(v: CsvCell): CsvCell {
  if (typeof v !== 'string' || !FORMULA_START.test(v) || NUMBER.test(v)) return v;
  return FORMULA_GUARD + v;
}

/** A cell as written before toCsv guarded it against formulas (a cell not guarded as it is). */
export function unguardedCell(text: string): string {
  return text.startsWith(FORMULA_GUARD) && FORMULA_START.test(text.slice(1)) && !NUMBER.test(text.slice(1)) ? text.slice(1) : text;
}

/** A header of one column with semicolons or tabs in it: a table from a spreadsheet set to another separator. */
export function separatorHint(columns: readonly string[]): string {
  return columns.length === 1 && /[;\t]/.test(columns[0])
    ? `the header is one column, "${columns[0]}", separated by ";" or tabs: save the table with commas (and "." for decimals)`
    : '';
}
