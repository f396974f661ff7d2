/**
 * Candidate lists read and checked: an upload's structure (planCandidateList),
 * then its rows against a campaign's parameters (checkCandidates), naming
 * every problem by row and column. The optimizer sees rows as points and
 * numbers (PoolRow), never cells.
 */
import { formatIssues, type Params, type PoolRow, type Space } from '#optimizer';
import { CsvError, parseCsv, unguardedCell } from '#tables';
import { DomainError } from '../common/errors.js';
import { candidateListSchema, MAX_CANDIDATES } from './candidate-schema.js';

/** Problems listed in a refusal; the rest are counted. */
const LISTED_PROBLEMS = 50;

export type Cells = Record<string, string | number>;

export interface PlannedList {
  name: string;
  columns: string[];
  descriptors: string[];
  rows: Cells[];
}

/** The columns of JSON rows: every key, in first-seen order. */
export function columnsOf(rows: readonly Cells[]): string[] {
  const seen = new Set<string>();
  for (const r of rows) for (const k of Object.keys(r)) seen.add(k);
  return [...seen];
}

/**
 * Reads an upload (JSON rows, or CSV text with a header) into cells by
 * column: its structure only (one source, at most MAX_CANDIDATES rows,
 * declared descriptors among the columns). Its rows are checked against a
 * campaign's parameters when a campaign names the list.
 */
export function planCandidateList(input: unknown): PlannedList {
  const r = candidateListSchema.safeParse(input ?? {});
  if (!r.success) throw refusal('candidate list', formatIssues(r.error.issues));
  const { rows, csv } = r.data;
  const descriptors = r.data.descriptors ?? [];
  if ((rows === undefined) === (csv === undefined))
    throw refusal('candidate list', ['give the candidates either as "rows" (JSON objects) or as "csv" (text), one of the two']);
  let columns: string[];
  let cells: Cells[];
  if (csv !== undefined) {
    let table;
    try {
      table = parseCsv(csv, 'csv');
    } catch (e) {
      if (e instanceof CsvError)
        throw refusal(
          'candidate list',
          e.problems.map((p) => `csv: ${p}`),
        );
      throw e;
    }
    columns = table.columns.map((c) => c.trim());
    const twice = columns.filter((c, i) => columns.indexOf(c) !== i);
    if (twice.length > 0)
      throw refusal(
        'candidate list',
        [...new Set(twice)].map((c) => `csv: column "${c}" appears twice in the header`),
      );
    if (table.rows.length === 0) throw refusal('candidate list', ['csv: a header but no rows']);
    if (table.rows.length > MAX_CANDIDATES)
      throw refusal('candidate list', [`csv: ${table.rows.length} rows, at most ${MAX_CANDIDATES} per list`]);
    cells = table.rows.map((row) => Object.fromEntries(columns.map((c, k) => [c, unguardedCell(row[k].trim())])));
  } else {
    cells = rows ?? [];
    columns = columnsOf(cells);
  }
  const problems = descriptors
    .filter((d) => !columns.includes(d))
    .map((d) => `descriptors: "${d}" is not a column of the list (columns: ${columns.join(', ')})`);
  if (problems.length > 0) throw refusal('candidate list', problems);
  return { name: r.data.name ?? 'candidates', columns, descriptors, rows: cells };
}

export interface CheckedCandidates {
  /** Row i of the list as a point of the space and its descriptors; id String(i). */
  rows: PoolRow[];
  /** Space.key of each row's point -> row index. */
  index: Map<string, number>;
}

/**
 * Checks a list's rows against a campaign's space: a column for every
 * parameter, no column that is neither a parameter nor a declared
 * descriptor, every row's values within the parameters (and constraints),
 * descriptors finite numbers, no two rows with the same values. Every
 * problem is named by row (1 = the first row after the header) and column;
 * throws an invalid_definition error listing them.
 */
export function checkCandidates(
  space: Space,
  list: { columns: readonly string[]; descriptors: readonly string[]; rows: readonly Cells[] },
): CheckedCandidates {
  const problems: string[] = [];
  const names = space.names;
  const descriptors = new Set(list.descriptors);
  const categorical = new Set(space.parameters.filter((p) => p.type === 'categorical').map((p) => p.name));
  for (const c of list.columns)
    if (!names.includes(c) && !descriptors.has(c))
      problems.push(
        `candidates: column "${c}" is neither a parameter (${names.join(', ')}) nor a declared descriptor${descriptors.size ? ` (${[...descriptors].join(', ')})` : ' (name descriptor columns in "descriptors")'}`,
      );
  for (const d of descriptors)
    if (names.includes(d)) problems.push(`candidates: column "${d}" is a parameter, and cannot be a descriptor too`);
  const missing = names.filter((k) => !list.columns.includes(k));
  if (missing.length > 0)
    problems.push(`candidates: no column for parameter${missing.length > 1 ? 's' : ''} ${missing.map((k) => `"${k}"`).join(', ')}`);
  if (problems.length > 0) throw refusal('candidate list', problems);

  const rows: PoolRow[] = [];
  const index = new Map<string, number>();
  list.rows.forEach((cells, i) => {
    const at = `candidates: row ${i + 1}`;
    const before = problems.length;
    const params: Params = {};
    for (const key of names) {
      const v = cells[key];
      if (v === undefined || v === '') {
        problems.push(`${at}, column "${key}": empty`);
        continue;
      }
      if (categorical.has(key)) params[key] = String(v);
      else {
        const n = typeof v === 'number' ? v : Number(v);
        if (!Number.isFinite(n)) problems.push(`${at}, column "${key}": ${JSON.stringify(v)} is not a number`);
        else params[key] = n;
      }
    }
    const features: Record<string, number> = {};
    for (const d of descriptors) {
      const v = cells[d];
      const n = typeof v === 'number' ? v : v === undefined || v === '' ? NaN : Number(v);
      if (!Number.isFinite(n))
        problems.push(
          `${at}, column "${d}": descriptor ${v === undefined || v === '' ? 'is empty' : `${JSON.stringify(v)} is not a number`}`,
        );
      else features[d] = n;
    }
    if (problems.length > before) return;
    const own = space.check(params);
    if (own.length > 0) {
      problems.push(...own.map((m) => `${at}: ${m}`));
      return;
    }
    const key = space.key(params);
    const first = index.get(key);
    if (first !== undefined) {
      problems.push(`${at} repeats row ${first + 1} (the same parameter values; ask for "replicates" to run a row more than once)`);
      return;
    }
    index.set(key, i);
    rows.push({ id: String(i), params, ...(descriptors.size ? { features } : {}) });
  });
  if (problems.length > 0) throw refusal('candidate list', problems);
  return { rows, index };
}

/** Row numbers as an operator gives them (1 = the first row) checked against a list of `count` rows. */
export function rowNumberProblems(rows: readonly number[], count: number): string[] {
  return rows.flatMap((r, k) => (r >= 1 && r <= count ? [] : [`rows[${k}]: row ${r} is not a row of the list (rows 1 to ${count})`]));
}

function refusal(what: string, problems: string[]): DomainError {
  const listed =
    problems.length > LISTED_PROBLEMS
      ? [...problems.slice(0, LISTED_PROBLEMS), `… and ${problems.length - LISTED_PROBLEMS} more problems of the same kind`]
      : problems;
  return new DomainError(
    'invalid_input',
    `the ${what} is not valid: ${problems.length} problem${problems.length === 1 ? '' : 's'}`,
    listed,
  );
}
