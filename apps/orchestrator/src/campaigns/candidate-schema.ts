import { z } from 'zod';

/** Most rows a candidate list may hold. */
export const MAX_CANDIDATES = 100_000;
/** Most rows a definition may carry inline; larger tables are uploaded (POST /api/candidate-lists). */
export const MAX_INLINE_CANDIDATES = 1000;
/** Largest CSV body of an upload (text/csv), beside the JSON body limit. */
export const CANDIDATE_CSV_LIMIT_BYTES = 32 * 1024 * 1024;
/** Most times one row may be proposed (`replicates`). */
export const MAX_CANDIDATE_REPLICATES = 100;

const NUL = '\u0000';
const name = z
  .string()
  .min(1)
  .max(200)
  .refine((s) => !s.includes(NUL), 'must not contain a NUL character');
/** One cell: a parameter's value (a number, or a choice's text) or a descriptor's number. */
const cell = z.union([z.number().finite(), z.string().max(1000)]);
/** Rows as JSON objects: column name -> cell. */
export const candidateRowsSchema = z.array(z.record(name, cell));
/** Columns that hold numeric descriptors of a row (features for the model), not parameters. */
export const descriptorNamesSchema = z.array(name).max(1000);

/**
 * A campaign's candidate list: the only conditions it proposes. Either
 * `rows` inline (up to MAX_INLINE_CANDIDATES) with the descriptor columns
 * among them named in `descriptors`, or `list`: the id of a list uploaded
 * with POST /api/candidate-lists. Each row is proposed at most `replicates`
 * times (default 1).
 */
export const candidateSourceSchema = z
  .object({
    list: z.uuid().optional(),
    rows: candidateRowsSchema.min(1, 'a candidate list needs at least one row').max(MAX_INLINE_CANDIDATES).optional(),
    descriptors: descriptorNamesSchema.optional(),
    replicates: z.number().int().min(1).max(MAX_CANDIDATE_REPLICATES).optional(),
  })
  .strict();

export type CandidateSource = z.infer<typeof candidateSourceSchema>;

/** An upload of a candidate list: JSON rows or CSV text (or a text/csv body, see the controller). */
export const candidateListSchema = z
  .object({
    name: name.optional(),
    descriptors: descriptorNamesSchema.optional(),
    rows: candidateRowsSchema.min(1, 'a candidate list needs at least one row').max(MAX_CANDIDATES).optional(),
    csv: z.string().min(1).optional(),
  })
  .strict();

/** The strategy kinds that propose from a candidate list (a GP over the rows, pool.ts in the optimizer). */
export const CANDIDATE_STRATEGY_KINDS: readonly string[] = ['default', 'bayesian'];

/** Problems of a definition's `candidates` that need no table: the source, and the options it goes with. */
export function candidateSourceProblems(
  candidates: CandidateSource,
  d: { budget: number; strategy: { kind: string; blocks?: string } },
): string[] {
  const out: string[] = [];
  if ((candidates.list === undefined) === (candidates.rows === undefined))
    out.push('candidates: give either "rows" (inline) or "list" (the id of an uploaded list), one of the two');
  if (candidates.list !== undefined && candidates.descriptors !== undefined)
    out.push('candidates.descriptors: an uploaded list names its descriptor columns when uploaded, not here');
  if (!CANDIDATE_STRATEGY_KINDS.includes(d.strategy.kind))
    out.push(
      `candidates: strategy kind "${d.strategy.kind}" cannot propose from a candidate list (use ${CANDIDATE_STRATEGY_KINDS.join(' or ')})`,
    );
  if (d.strategy.blocks !== undefined) out.push('candidates: strategy.blocks is not supported with a candidate list');
  if (candidates.rows !== undefined) {
    const room = candidates.rows.length * (candidates.replicates ?? 1);
    if (d.budget > room)
      out.push(
        `candidates: the budget (${d.budget}) exceeds what the list can give (${candidates.rows.length} rows x ${candidates.replicates ?? 1} replicates = ${room})`,
      );
  }
  return out;
}
