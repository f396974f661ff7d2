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
