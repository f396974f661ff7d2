import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

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
    if (r.length !== columns.length) throw new Error(`${file}: line ${i + 2} has ${r.length} fields, the header has ${columns.length}`);
  });
  return { file, columns, rows };
}

/** Column index by name; throws naming the file and the columns it has. */
export function column(table: CsvTable, name: string): number {
  const i = table.columns.indexOf(name);
  if (i < 0) throw new Error(`${table.file}: no column "${name}" (columns: ${table.columns.join(', ')})`);
  return i;
}

/** A numeric cell; throws naming the file, line and column on a non-number. */
export function numberAt(table: CsvTable, row: number, col: number): number {
  const raw = table.rows[row][col];
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n))
    throw new Error(`${table.file}: line ${row + 2}, column "${table.columns[col]}": "${raw}" is not a number`);
  return n;
}

/**
 * The directory of the shared datasets: $HAKKEN_DATASETS_DIR, else
 * `../shared/datasets` beside the repository (found by walking up from this
 * module, so it works from src/ under jest and from dist/), else relative to
 * the working directory. Throws listing every place tried.
 */
export function datasetsDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HAKKEN_DATASETS_DIR) {
    const dir = resolve(env.HAKKEN_DATASETS_DIR);
    if (!existsSync(dir)) throw new Error(`HAKKEN_DATASETS_DIR=${env.HAKKEN_DATASETS_DIR} does not exist`);
    return dir;
  }
  const tried: string[] = [];
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) {
      const candidate = join(dir, '..', 'shared', 'datasets');
      tried.push(candidate);
      if (existsSync(candidate)) return candidate;
      break;
    }
    if (dirname(dir) === dir) break;
  }
  const fromCwd = resolve('..', 'shared', 'datasets');
  tried.push(fromCwd);
  if (existsSync(fromCwd)) return fromCwd;
  throw new Error(
    `the shared datasets directory was not found (tried ${[...new Set(tried)].join(', ')}); set HAKKEN_DATASETS_DIR to the folder holding the dataset CSV files`,
  );
}

/** Reads and parses one dataset file by name, with a clear error when it is missing. */
export function readDataset(fileName: string, dir: string = datasetsDir()): CsvTable {
  const file = join(dir, fileName);
  if (!existsSync(file)) throw new Error(`dataset ${fileName} not found in ${dir} (set HAKKEN_DATASETS_DIR to the folder holding it)`);
  return parseCsv(readFileSync(file, 'utf8'), file);
}
