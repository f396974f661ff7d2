import { z } from 'zod';
import { type Params, Space } from '#optimizer';
import { DomainError } from '../common/errors.js';
import { APPROVAL_POLICIES, type ApprovalPolicy } from './approval-policy.js';

const paramValue = z.union([z.number(), z.string()]);

/** Edit-and-approve: new values for some proposals, others left out, and why. */
export const batchEditSchema = z
  .object({
    /** New values of some parameters of some proposals; the other values are kept. */
    edits: z
      .array(z.object({ experimentId: z.string().uuid(), params: z.record(z.string(), paramValue) }).strict())
      .max(1000)
      .default([]),
    /** Proposals not to run: they are rejected, the rest of the batch approved. */
    exclude: z.array(z.string().uuid()).max(1000).default([]),
    reason: z.string().trim().min(1, 'say why the batch is changed').max(2000),
  })
  .strict();
export type BatchEdit = z.infer<typeof batchEditSchema>;

export const approvalChangeSchema = z.object({ policy: z.enum(APPROVAL_POLICIES), note: z.string().max(2000).optional() }).strict();
export type ApprovalChange = { policy: ApprovalPolicy; note?: string };

export interface ProposalRow {
  id: string;
  index: number;
  params: Params;
}

/** One proposal's change, with the old and new values of the parameters that changed. */
export interface PlannedEdit {
  experimentId: string;
  index: number;
  params: Params;
  before: Params;
  after: Params;
}

/**
 * Checks an edit against the batch's proposals and the campaign's space (from
 * spaceOf, so that an edit breaking a constraint is refused with its values)
 * and says what will change. Every problem is reported, by proposal index.
 */
export function planBatchEdit(
  space: Space,
  proposals: readonly ProposalRow[],
  edit: BatchEdit,
): { edits: PlannedEdit[]; exclude: ProposalRow[] } {
  const byId = new Map(proposals.map((p) => [p.id, p]));
  const problems: string[] = [];
  const excluded = new Set(edit.exclude);
  const planned: PlannedEdit[] = [];
  const seen = new Set<string>();
  for (const e of edit.edits) {
    const p = byId.get(e.experimentId);
    if (!p) {
      problems.push(`experiment ${e.experimentId} is not a proposal of this batch`);
      continue;
    }
    if (seen.has(p.id)) problems.push(`proposal ${p.index} is edited twice`);
    seen.add(p.id);
    if (excluded.has(p.id)) problems.push(`proposal ${p.index} is both edited and left out`);
    const merged: Params = { ...p.params, ...e.params };
    for (const message of space.check(merged)) problems.push(`proposal ${p.index}: ${message}`);
    const before: Params = {};
    const after: Params = {};
    for (const [k, v] of Object.entries(e.params)) {
      if (p.params[k] !== v) {
        before[k] = p.params[k];
        after[k] = v;
      }
    }
    if (Object.keys(after).length > 0) planned.push({ experimentId: p.id, index: p.index, params: merged, before, after });
  }
  const exclude: ProposalRow[] = [];
  for (const id of excluded) {
    const p = byId.get(id);
    if (!p) problems.push(`experiment ${id} is not a proposal of this batch`);
    else exclude.push(p);
  }
  if (proposals.length > 0 && exclude.length === proposals.length) {
    problems.push('every proposal is left out: reject the batch instead');
  }
  if (problems.length)
    throw new DomainError(
      'invalid_input',
      `the edited batch is not valid: ${problems.length} problem${problems.length === 1 ? '' : 's'}`,
      problems,
    );
  return { edits: planned, exclude };
}
