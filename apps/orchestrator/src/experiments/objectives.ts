import type { DataSource } from 'typeorm';
import { queryRows } from '#persistence';
import type { ResultEvent } from '#protocol';

/** What a result is checked against: the campaign's objective as its stored definition holds it (campaigns/campaign-definition.ts). */
export interface Objective {
  name: string;
  low?: number;
  high?: number;
  /** The other outcomes a result must carry: further objectives (with their ranges) and limited outcomes. */
  others?: OutcomeCheck[];
}

export interface OutcomeCheck {
  name: string;
  low?: number;
  high?: number;
}

interface StoredOutcomes {
  id: string;
  objective: Objective;
  objectives: OutcomeCheck[] | null;
  limits: { name: string }[] | null;
}

/** The objective as results are checked against it: the first, and every other objective and limited outcome. */
export function objectiveOf(r: Omit<StoredOutcomes, 'id'>): Objective {
  const { name, low, high } = r.objective;
  const others = new Map<string, OutcomeCheck>();
  for (const o of r.objectives ?? []) if (o.name !== name) others.set(o.name, { name: o.name, low: o.low, high: o.high });
  for (const c of r.limits ?? []) if (c.name !== name && !others.has(c.name)) others.set(c.name, { name: c.name });
  return { name, low, high, ...(others.size > 0 ? { others: [...others.values()] } : {}) };
}

/**
 * Objectives of campaigns kept in memory. What a result is checked against (the objective's name and
 * plausible range) never changes; a change of the definition mid-campaign (definition-changes.ts)
 * changes at most the target, which the loop reads from the stored definition on each pass, never from here.
 */
const OBJECTIVE_CACHE = 10_000;

/** The objectives of the campaigns results come for, read once each. */
export class ObjectiveCache {
  private readonly objectives = new Map<string, Objective>();

  constructor(private readonly dataSource: DataSource) {}

  get(campaignId: string): Objective | undefined {
    return this.objectives.get(campaignId);
  }

  async load(campaignIds: string[]): Promise<void> {
    const missing = campaignIds.filter((id) => !this.objectives.has(id));
    if (missing.length === 0) return;
    if (this.objectives.size + missing.length > OBJECTIVE_CACHE) this.objectives.clear();
    const rows = await queryRows<StoredOutcomes>(
      this.dataSource,
      `SELECT id, definition->'objective' AS objective, definition->'objectives' AS objectives, definition->'outcomeConstraints' AS limits
       FROM campaigns WHERE id = ANY($1::uuid[])`,
      [missing],
    );
    for (const r of rows) this.objectives.set(r.id, objectiveOf(r));
  }
}

/**
 * Why a result cannot complete its experiment (a value missing, null, outside
 * the plausible range), naming every outcome at fault; undefined when it can.
 */
export function resultProblem(objective: Objective, event: ResultEvent): string | undefined {
  const problems = [objective, ...(objective.others ?? [])].flatMap((o) => outcomeProblem(o, event) ?? []);
  return problems.length > 0 ? problems.join('; ') : undefined;
}

function outcomeProblem(objective: OutcomeCheck, event: ResultEvent): string | undefined {
  // Own keys only: an objective named like an Object method must not read the prototype.
  const value = Object.hasOwn(event.values, objective.name) ? event.values[objective.name] : undefined;
  if (value === undefined)
    return `the result has no value for the objective "${objective.name}" (got ${Object.keys(event.values).join(', ') || 'no values'})`;
  if (value === null) return `the instrument reported no value (null) for "${objective.name}"`;
  if (objective.low !== undefined && value < objective.low)
    return `"${objective.name}" = ${value} is below the plausible range (low ${objective.low})`;
  if (objective.high !== undefined && value > objective.high)
    return `"${objective.name}" = ${value} is above the plausible range (high ${objective.high})`;
  return undefined;
}
