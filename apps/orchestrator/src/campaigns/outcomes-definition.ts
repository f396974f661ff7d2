import { z } from 'zod';
import type { ObjectiveSpec, OutcomeConstraint } from '#optimizer';

/**
 * The outcomes of a campaign: one objective (`objective`, the historical
 * form), or several (`objectives`, a Pareto campaign), and limits on measured
 * outcomes (`outcomeConstraints`). A single objective is the one-element
 * case. Whatever the form, a parsed definition carries `objective`: the
 * first objective, which the loop, the dispatcher and the statistics read
 * in SQL (its value is the experiments' `objective` column).
 */

const DIRECTIONS = ['minimize', 'maximize'] as const;

export const objectiveSchema = z
  .object({
    name: z.string().min(1).max(64),
    direction: z.enum(DIRECTIONS),
    /** Plausible range: a value outside it fails the experiment, not the campaign. */
    low: z.number().finite().optional(),
    high: z.number().finite().optional(),
    /** Stop the campaign once a value this good is measured. */
    target: z.number().finite().optional(),
  })
  .strict();

/** One of several objectives: `ref` is the worst value that still counts (the hypervolume's reference point). */
export const paretoObjectiveSchema = z
  .object({
    name: z.string().min(1).max(64),
    direction: z.enum(DIRECTIONS),
    /** The worst value that still counts; absent: inferred from the data (the worst measured, 10 % of the range worse). */
    ref: z.number().finite().optional(),
    low: z.number().finite().optional(),
    high: z.number().finite().optional(),
  })
  .strict();

/** A limit on a measured outcome, e.g. `{ "name": "impurity", "op": "<=", "value": 2 }`. */
export const outcomeConstraintSchema = z
  .object({
    name: z.string().min(1).max(64),
    op: z.enum(['<=', '>=']),
    value: z.number().finite(),
  })
  .strict();

/**
 * When a campaign of several objectives is done: its front's hypervolume
 * reaches `hypervolume` (against the campaign's reference point), or a result
 * that meets every limit is at least as good as `dominate` in every objective.
 */
export const paretoTargetSchema = z.union([
  z.object({ hypervolume: z.number().finite().positive() }).strict(),
  z.object({ dominate: z.record(z.string().min(1).max(64), z.number().finite()) }).strict(),
]);

export type ObjectiveDefinition = z.infer<typeof objectiveSchema>;
export type ParetoObjective = z.infer<typeof paretoObjectiveSchema>;
export type OutcomeConstraintDefinition = z.infer<typeof outcomeConstraintSchema>;
export type ParetoTarget = z.infer<typeof paretoTargetSchema>;

/** The fields of a definition that state its outcomes, as the schema parses them. */
export interface OutcomeFields {
  objective?: ObjectiveDefinition;
  objectives?: ParetoObjective[];
  outcomeConstraints?: OutcomeConstraintDefinition[];
  target?: ParetoTarget;
}

export const MAX_OBJECTIVES = 8;

/**
 * The strategy kinds that handle several objectives or outcome limits: a model per outcome (GPs for default and
 * bayesian, extremely randomised trees for trees, a neural ensemble for neural), or a design that needs no model.
 */
export const PARETO_STRATEGY_KINDS = ['default', 'bayesian', 'trees', 'neural', 'sobol', 'lhs', 'random'] as const;

/** The first objective, filled in from `objectives` where only they are given. */
export function primaryObjective(d: OutcomeFields): ObjectiveDefinition | undefined {
  if (d.objective) return d.objective;
  const first = d.objectives?.[0];
  if (!first) return undefined;
  const { name, direction, low, high } = first;
  return { name, direction, ...(low !== undefined ? { low } : {}), ...(high !== undefined ? { high } : {}) };
}

/** What the strategy and the statistics see of a definition's outcomes. */
export interface Outcomes {
  objectives: ObjectiveSpec[];
  constraints: OutcomeConstraint[];
  /** Several objectives, or any limit: the Pareto strategy, front and hypervolume apply. */
  pareto: boolean;
  /** Every name a result must carry a value for (objectives first, then limited outcomes not among them). */
  names: string[];
}

export function outcomesOf(d: OutcomeFields & { objective: ObjectiveDefinition }): Outcomes {
  const objectives: ObjectiveSpec[] = d.objectives?.length
    ? d.objectives.map((o) => ({ name: o.name, direction: o.direction, ...(o.ref !== undefined ? { ref: o.ref } : {}) }))
    : [{ name: d.objective.name, direction: d.objective.direction }];
  const constraints = (d.outcomeConstraints ?? []).map((c) => ({ ...c }));
  const names = [...new Set([...objectives.map((o) => o.name), ...constraints.map((c) => c.name)])];
  return { objectives, constraints, pareto: objectives.length > 1 || constraints.length > 0, names };
}

/** The plausible range of every objective (a limited outcome that is not an objective has none). */
export function outcomeRanges(d: OutcomeFields & { objective: ObjectiveDefinition }): Map<string, { low?: number; high?: number }> {
  const out = new Map<string, { low?: number; high?: number }>();
  for (const o of d.objectives?.length ? d.objectives : [d.objective]) out.set(o.name, { low: o.low, high: o.high });
  return out;
}

/**
 * Problems of a definition's outcomes, given its parameter names and
 * strategy kind: no objective, an objective named twice or like a parameter,
 * an empty range, a reference point outside it, a limit that no value in an
 * objective's range can meet, a target that names unknown objectives, a
 * strategy kind that handles one objective only.
 */
export function outcomeProblems(
  d: OutcomeFields,
  parameterNames: readonly string[],
  strategy: { kind: string; blocks?: string },
): string[] {
  const out: string[] = [];
  const params = new Set(parameterNames);
  if (!d.objective && !d.objectives) out.push('a campaign needs an objective: "objective", or "objectives" for several');
  if (d.objectives !== undefined) {
    if (d.objectives.length === 0) out.push('objectives: a campaign needs at least one objective');
    if (d.objectives.length > MAX_OBJECTIVES) out.push(`objectives: at most ${MAX_OBJECTIVES} objectives, not ${d.objectives.length}`);
    const first = d.objectives[0];
    // Stored definitions carry both (objective is the first of objectives); a user gives one or the other.
    if (d.objective && first && (d.objective.name !== first.name || d.objective.direction !== first.direction)) {
      out.push(`objective "${d.objective.name}" and objectives both given: give "objectives" only (or make objective the first of them)`);
    }
    if (d.objective?.target !== undefined && d.objectives.length > 1) {
      out.push('objective.target applies to a single objective: with several, give "target": {"hypervolume": ...} or {"dominate": {...}}');
    }
    const seen = new Set<string>();
    d.objectives.forEach((o, i) => {
      if (seen.has(o.name)) out.push(`objectives[${i}]: objective "${o.name}" is named twice`);
      seen.add(o.name);
      if (params.has(o.name)) out.push(`objectives[${i}]: objective "${o.name}" has the name of a parameter`);
      if (o.low !== undefined && o.high !== undefined && !(o.low < o.high))
        out.push(`objectives[${i}]: objective "${o.name}" range is empty: low (${o.low}) must be below high (${o.high})`);
      if (o.ref !== undefined && ((o.low !== undefined && o.ref < o.low) || (o.high !== undefined && o.ref > o.high)))
        out.push(`objectives[${i}]: ref ${o.ref} of "${o.name}" is outside its range [${o.low ?? '-inf'}, ${o.high ?? 'inf'}]`);
    });
  }
  const ranges = new Map<string, { low?: number; high?: number }>();
  for (const o of d.objectives ?? (d.objective ? [d.objective] : []))
    if (!ranges.has(o.name)) ranges.set(o.name, { low: o.low, high: o.high });
  const limits = new Set<string>();
  (d.outcomeConstraints ?? []).forEach((c, i) => {
    const key = `${c.name} ${c.op}`;
    if (limits.has(key)) out.push(`outcomeConstraints[${i}]: "${c.name}" ${c.op} is limited twice`);
    limits.add(key);
    if (params.has(c.name))
      out.push(`outcomeConstraints[${i}]: "${c.name}" is a parameter, not a measured outcome (limit it with "constraints")`);
    const r = ranges.get(c.name);
    if (c.op === '<=' && r?.low !== undefined && c.value < r.low)
      out.push(`outcomeConstraints[${i}]: "${c.name}" <= ${c.value} is impossible: "${c.name}" is at least ${r.low}`);
    if (c.op === '>=' && r?.high !== undefined && c.value > r.high)
      out.push(`outcomeConstraints[${i}]: "${c.name}" >= ${c.value} is impossible: "${c.name}" is at most ${r.high}`);
  });
  // A pair of limits on one outcome that cannot both hold.
  for (const c of d.outcomeConstraints ?? []) {
    if (c.op !== '>=') continue;
    for (const u of d.outcomeConstraints ?? []) {
      if (u.op === '<=' && u.name === c.name && u.value < c.value)
        out.push(`outcomeConstraints: "${c.name}" >= ${c.value} and <= ${u.value} cannot both hold`);
    }
  }
  if (d.target !== undefined) {
    if ('dominate' in d.target) {
      const names = new Set(ranges.keys());
      const given = Object.keys(d.target.dominate);
      for (const k of given) if (!names.has(k)) out.push(`target.dominate: "${k}" is not an objective (${[...names].join(', ')})`);
      for (const k of names) if (!given.includes(k)) out.push(`target.dominate: no value for objective "${k}"`);
    }
  }
  const several = (d.objectives?.length ?? 1) > 1 || (d.outcomeConstraints?.length ?? 0) > 0;
  if (several && !(PARETO_STRATEGY_KINDS as readonly string[]).includes(strategy.kind)) {
    out.push(
      `strategy kind "${strategy.kind}" handles one objective without outcome limits; with several objectives or outcomeConstraints use ${PARETO_STRATEGY_KINDS.join(', ')}`,
    );
  }
  if (several && strategy.blocks !== undefined) out.push('strategy.blocks is not supported with several objectives or outcomeConstraints');
  return out;
}

/**
 * Problems of a definition's outcomes against what the devices of its kind
 * declare they measure (`capabilities.objectives` of their announcements):
 * each objective and limited outcome must be measured by one of them. Devices
 * that declare nothing, or no device of the kind yet, leave nothing to check.
 */
export function measuredProblems(outcomes: readonly string[], deviceKind: string, declared: readonly (readonly string[])[]): string[] {
  if (declared.length === 0) return [];
  const measured = new Set(declared.flat());
  return outcomes
    .filter((n) => !measured.has(n))
    .map((n) => `"${n}" is not measured by devices of kind "${deviceKind}" (they declare ${[...measured].sort().join(', ') || 'nothing'})`);
}
