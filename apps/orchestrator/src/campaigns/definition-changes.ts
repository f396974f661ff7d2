import { z } from 'zod';
import { formatIssues } from '#optimizer';
import { DomainError } from '../common/errors.js';
import { parseCampaignDefinition, type CampaignDefinition } from './campaign-definition.js';

/**
 * A change of a running or paused campaign's definition (PATCH /api/campaigns/:id):
 * its budget, batch size, strategy (a patch of `strategy`: each field given
 * replaces the current one whole, a null removes one, e.g. `{"acquisition": "UCB"}`)
 * or target (a number, or null for none), with the reason, which the audit log
 * and the definition's history keep. Everything else of a campaign is fixed
 * once it has results: its parameters, objective, approval (its own route), seed.
 */
export const CHANGEABLE = ['budget', 'batchSize', 'strategy', 'target'] as const;

const changeSchema = z.object({
  reason: z.string().trim().min(1, 'a change needs a reason').max(2000),
  budget: z.number().int().min(1).max(100_000).optional(),
  batchSize: z.number().int().min(1).max(1000).optional(),
  strategy: z.record(z.string(), z.unknown()).optional(),
  target: z.number().finite().nullable().optional(),
});

export type DefinitionChange = z.infer<typeof changeSchema>;

/** What the campaign has used of its budget: experiments finished (completed or failed) and those proposed, queued or running. */
export interface BudgetUse {
  spent: number;
  committed: number;
}

export interface PlannedChange {
  definition: CampaignDefinition;
  /** Each field that changes, with its value before and after. */
  changes: Record<string, { from: unknown; to: unknown }>;
  reason: string;
}

/**
 * Checks a change against the campaign's definition and its use of the
 * budget, and returns the new definition with what changed. Every problem is
 * named in one invalid_input error: an unknown or fixed field, a new
 * definition that parseCampaignDefinition refuses (a batch larger than the
 * budget, an acquisition the kind does not support, ...), or a budget below
 * what is already spent or committed.
 */
export function planDefinitionChange(current: CampaignDefinition, input: unknown, use: BudgetUse): PlannedChange {
  const problems: string[] = [];
  const record = typeof input === 'object' && input !== null && !Array.isArray(input) ? (input as Record<string, unknown>) : {};
  if (record !== input) problems.push('a change is a JSON object');
  for (const key of Object.keys(record)) {
    if (key !== 'reason' && !(CHANGEABLE as readonly string[]).includes(key))
      problems.push(`${key}: cannot change mid-campaign (only ${CHANGEABLE.join(', ')} can, with a reason)`);
  }
  const known = Object.fromEntries(Object.entries(record).filter(([k]) => k === 'reason' || (CHANGEABLE as readonly string[]).includes(k)));
  const r = changeSchema.safeParse(known);
  if (!r.success) problems.push(...formatIssues(r.error.issues));
  if (CHANGEABLE.every((k) => record[k] === undefined)) problems.push(`nothing to change: give one of ${CHANGEABLE.join(', ')}`);
  if (problems.length > 0 || !r.success) throw invalid(problems);
  const change = r.data;

  const { target: _target, ...objective } = current.objective;
  const nextTarget = change.target === undefined ? current.objective.target : (change.target ?? undefined);
  const merged = {
    ...current,
    budget: change.budget ?? current.budget,
    batchSize: change.batchSize ?? current.batchSize,
    strategy: change.strategy ? mergePatch(current.strategy, change.strategy) : current.strategy,
    objective: { ...objective, ...(nextTarget === undefined ? {} : { target: nextTarget }) },
  };
  // The budget's own problem and the definition's are named together.
  const used = use.spent + use.committed;
  const budgetProblems =
    merged.budget < used
      ? [
          `budget ${merged.budget} is below what the campaign has already spent or committed: ${used} experiments (${use.spent} finished, ${use.committed} proposed, queued or running)`,
        ]
      : [];
  let definition: CampaignDefinition;
  try {
    definition = parseCampaignDefinition(merged);
  } catch (e) {
    if (!(e instanceof DomainError)) throw e;
    throw invalid([...budgetProblems, ...(e.problems.length > 0 ? e.problems : [e.message])]);
  }
  if (budgetProblems.length > 0) throw invalid(budgetProblems);
  const changes: PlannedChange['changes'] = {};
  const compare = (name: string, from: unknown, to: unknown) => {
    if (JSON.stringify(from) !== JSON.stringify(to)) changes[name] = { from: from ?? null, to: to ?? null };
  };
  compare('budget', current.budget, definition.budget);
  compare('batchSize', current.batchSize, definition.batchSize);
  compare('strategy', current.strategy, definition.strategy);
  compare('target', current.objective.target, definition.objective.target);
  return { definition, changes, reason: change.reason };
}

/** The strategy's fields patched: each field given replaces the current one whole (an acquisition, an encoding), a null removes it. */
function mergePatch(target: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...target };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = v;
  }
  return out;
}

function invalid(problems: string[]): DomainError {
  return new DomainError(
    'invalid_input',
    `invalid definition change: ${problems.length} problem${problems.length === 1 ? '' : 's'}; nothing was changed`,
    [...new Set(problems)],
  );
}
