import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type CsvTable, parseCsv } from '#tables';

// The CSV reader is the tables library's (results tables are read with it too).
export { type CsvTable, parseCsv } from '#tables';

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
 * The directory of the datasets: $HAKKEN_DATASETS_DIR, else the repository's
 * `simulators/datasets` (found by walking up from this module to the
 * repository root, so it works from src/ under jest and from dist/).
 */
export function datasetsDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HAKKEN_DATASETS_DIR) {
    const dir = resolve(env.HAKKEN_DATASETS_DIR);
    if (!existsSync(dir)) throw new Error(`HAKKEN_DATASETS_DIR=${env.HAKKEN_DATASETS_DIR} does not exist`);
    return dir;
  }
  for (let dir = dirname(fileURLToPath(import.meta.url)); dirname(dir) !== dir; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return join(dir, 'simulators', 'datasets');
  }
  throw new Error(
    'the repository root (package.json) was not found above the simulators; set HAKKEN_DATASETS_DIR to the folder holding the dataset CSV files',
  );
}

/** Reads and parses one dataset file by name, with a clear error when it is missing. */
export function readDataset(fileName: string, dir: string = datasetsDir()): CsvTable {
  const file = join(dir, fileName);
  if (!existsSync(file)) throw new Error(`dataset ${fileName} not found in ${dir} (set HAKKEN_DATASETS_DIR to the folder holding it)`);
  return parseCsv(readFileSync(file, 'utf8'), file);
}
