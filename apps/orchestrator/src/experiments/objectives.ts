import type { DataSource } from 'typeorm';
import { queryRows } from '#persistence';
import type { ResultEvent } from '#protocol';

/** What a result is checked against: the campaign's objective as its stored definition holds it (campaigns/campaign-definition.ts). */
export interface Objective {
  name: string;
  low?: number;
  high?: number;
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
    const rows = await queryRows<{ id: string; objective: Objective }>(
      this.dataSource,
      `SELECT id, definition->'objective' AS objective FROM campaigns WHERE id = ANY($1::uuid[])`,
      [missing],
    );
    for (const r of rows) this.objectives.set(r.id, r.objective);
  }
}

/** Why a result cannot complete its experiment (no value, null, outside the plausible range); undefined when it can. */
export function resultProblem(objective: Objective, event: ResultEvent): string | undefined {
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
