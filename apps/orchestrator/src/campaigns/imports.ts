import { z } from 'zod';
import { formatIssues, type Params } from '#optimizer';
import { parseCsv, tableResults, type TableResult } from '#tables';
import { DomainError } from '../common/errors.js';
import { spaceOf, type CampaignDefinition } from './campaign-definition.js';
import { outcomeRanges, outcomesOf } from './outcomes-definition.js';

/** Most results one import may hold. */
export const MAX_IMPORTED_RESULTS = 10_000;
/** Problems listed in a refusal; the rest are counted. */
const LISTED_PROBLEMS = 50;

const paramValue = z.union([z.number(), z.string()]);
/** PostgreSQL stores no U+0000 in text. */
const NUL = '\u0000';
const text = (max: number) =>
  z
    .string()
    .max(max)
    .refine((s) => !s.includes(NUL), 'must not contain a NUL character');

/**
 * Earlier results for a campaign (a literature table, a lab notebook, an
 * earlier campaign): as JSON rows or as CSV text with one column per
 * parameter (compositions as `<name>.<component>`), one for the objective
 * (with several objectives or outcome limits: one per objective and limited
 * outcome), and optional `failed` and `failure_reason` columns.
 */
export const importSchema = z
  .object({
    /** Where the results come from: a citation, a notebook page, an earlier campaign. */
    source: text(500)
      .transform((s) => s.trim())
      .refine((s) => s.length > 0, 'say where the results come from (a paper, a notebook, an earlier campaign)'),
    results: z
      .array(
        z
          .object({
            params: z.record(z.string(), paramValue),
            /** The objective's value; absent when the experiment failed. */
            value: z.number().optional(),
            /** Every objective's and limited outcome's value, by name (a campaign of several needs them all); absent when the experiment failed. */
            values: z.record(z.string(), z.number()).optional(),
            /** The experiment ran and gave no value (an infeasible condition): data too. */
            failed: z.boolean().optional(),
            reason: text(2000).optional(),
          })
          .strict(),
      )
      .min(1, 'an import needs at least one result')
      .max(MAX_IMPORTED_RESULTS)
      .optional(),
    /** The same as CSV text: header, then one line per result. */
    csv: z.string().min(1).optional(),
  })
  .strict();

export interface PlannedImport {
  source: string;
  /** `value` is the (first) objective's; `values` every objective's and limited outcome's, by name; both null for a failure. */
  results: { params: Params; value: number | null; values: Record<string, number> | null; failed: boolean; reason: string | null }[];
  /** CSV columns that name neither a parameter nor an outcome: not read. */
  ignoredColumns: string[];
}

/**
 * Checks an import against the campaign: every result a point of its space
 * (constraints included: the model learns only from points inside), with a
 * finite value for every objective and limited outcome, each objective's
 * within its plausible range, or a failure. Every problem is named, by
 * result number or CSV line, and nothing is imported unless all are right.
 */
export function planImport(definition: CampaignDefinition, input: unknown): PlannedImport {
  const r = importSchema.safeParse(input ?? {});
  if (!r.success) throw refusal(formatIssues(r.error.issues));
  const { source, results, csv } = r.data;
  if ((results === undefined) === (csv === undefined)) {
    throw refusal(['give the results either as "results" (JSON rows) or as "csv" (text), one of the two']);
  }
  const space = spaceOf(definition);
  const objective = definition.objective;
  const outcomes = outcomesOf(definition);
  // Every objective and limited outcome (the one objective for a campaign of one), the first objective first.
  const names = outcomes.pareto ? outcomes.names : [objective.name];
  const ranges = outcomeRanges(definition);
  const problems: string[] = [];
  // Each row with where it is and what is wrong with it so far (JSON rows: a value and a failure, or neither).
  let rows: { at: string; result: TableResult; own: string[] }[];
  let ignoredColumns: string[] = [];
  if (csv !== undefined) {
    let table;
    try {
      table = parseCsv(csv, 'csv');
    } catch (e) {
      throw refusal([(e as Error).message]);
    }
    if (table.rows.length > MAX_IMPORTED_RESULTS)
      throw refusal([`csv: ${table.rows.length} lines of results, at most ${MAX_IMPORTED_RESULTS} per import`]);
    if (table.rows.length === 0) throw refusal(['csv: a header but no results']);
    const read = tableResults(space, names, table);
    problems.push(...read.problems.map((p) => `csv: ${p}`));
    ignoredColumns = read.ignoredColumns;
    // Line numbers of the rows that were read (a row with a bad cell was reported and left out).
    rows = read.results.map((result) => ({ at: `csv: line ${result.line}`, result, own: [] }));
  } else {
    rows = (results ?? []).map((row, i) => jsonRow(row, `results[${i}]`, names));
  }
  const out: PlannedImport['results'] = [];
  for (const { at, result, own } of rows) {
    problems.push(...own);
    if (result.reason?.includes(NUL)) problems.push(`${at}: the failure reason contains a NUL character`);
    problems.push(...space.check(result.params).map((m) => `${at}: ${m}`));
    const values = result.failed
      ? undefined
      : (result.values ?? (result.value !== undefined ? { [objective.name]: result.value } : undefined));
    for (const [name, value] of Object.entries(values ?? {})) {
      const range = ranges.get(name);
      if (range?.low !== undefined && value < range.low)
        problems.push(`${at}: ${name} = ${value} is below the objective's plausible range (low ${range.low})`);
      if (range?.high !== undefined && value > range.high)
        problems.push(`${at}: ${name} = ${value} is above the objective's plausible range (high ${range.high})`);
    }
    out.push({
      params: result.params,
      value: values?.[objective.name] ?? null,
      values: values ?? null,
      failed: result.failed === true,
      reason: result.reason ?? null,
    });
  }
  if (problems.length > 0) throw refusal(problems);
  return { source, results: out, ignoredColumns };
}

/**
 * A JSON row as a table's result, with what is wrong with it so far: a value
 * and a failure both, or neither; `value` where the campaign needs several
 * outcomes' values, or both `value` and `values`; an outcome of `values`
 * missing, or one the campaign does not have.
 */
function jsonRow(
  row: { params: Params; value?: number; values?: Record<string, number>; failed?: boolean; reason?: string },
  at: string,
  names: readonly string[],
): { at: string; result: TableResult; own: string[] } {
  const own: string[] = [];
  const several = names.length > 1;
  const list = names.map((n) => `"${n}"`).join(', ');
  if (row.failed === true) {
    if (row.value !== undefined) own.push(`${at}: a failed experiment has no value, but value is ${row.value}`);
    if (row.values !== undefined) own.push(`${at}: a failed experiment has no values, but values is ${JSON.stringify(row.values)}`);
    return { at, result: { params: row.params, failed: true, reason: row.reason }, own };
  }
  if (row.value !== undefined && row.values !== undefined) own.push(`${at}: give "value" or "values", not both`);
  else if (row.value !== undefined && several)
    own.push(`${at}: "value" holds one objective's value; this campaign needs "values" with one for each of ${list}`);
  else if (row.value === undefined && row.values === undefined)
    own.push(
      `${at}: no value (give ${several ? `"values" with one for each of ${list}` : '"value"'}, or "failed": true for an experiment that ran and gave none)`,
    );
  if (row.values !== undefined) {
    for (const k of Object.keys(row.values))
      if (!names.includes(k))
        own.push(
          `${at}: values: "${k}" is not ${several ? 'an objective or limited outcome' : 'the objective'} of this campaign (${list})`,
        );
    for (const k of names) if (!Object.hasOwn(row.values, k)) own.push(`${at}: values: no value for "${k}"`);
  }
  const values = row.values && Object.fromEntries(names.flatMap((k) => (Object.hasOwn(row.values!, k) ? [[k, row.values![k]]] : [])));
  return { at, result: { params: row.params, ...(values ? { values } : { value: row.value }) }, own };
}

/** A new campaign's earlier results, checked against its definition; their problems are the definition's. */
export function planEarlierResults(definition: CampaignDefinition, input: unknown): PlannedImport {
  try {
    return planImport(definition, input);
  } catch (e) {
    if (!(e instanceof DomainError)) throw e;
    throw new DomainError(
      'invalid_definition',
      'invalid campaign definition: its earlier results are not valid; nothing was stored',
      e.problems.map((p) => `earlierResults: ${p}`),
    );
  }
}

function refusal(problems: string[]): DomainError {
  const listed =
    problems.length > LISTED_PROBLEMS
      ? [...problems.slice(0, LISTED_PROBLEMS), `… and ${problems.length - LISTED_PROBLEMS} more problems of the same import`]
      : problems;
  return new DomainError(
    'invalid_input',
    `the import is not valid: ${problems.length} problem${problems.length === 1 ? '' : 's'}; nothing was imported`,
    listed,
  );
}
