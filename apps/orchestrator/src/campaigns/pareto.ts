import {
  dominates,
  hypervolume,
  meetsLimits,
  MULTI_OBJECTIVE_DEFAULTS,
  nonDominatedIndices,
  normalCdf,
  type ObjectiveSpec,
  type OutcomeConstraint,
  type Prediction,
} from '#optimizer';
import { outcomesOf, type ObjectiveDefinition, type OutcomeFields, type ParetoTarget } from './outcomes-definition.js';

/**
 * A campaign's Pareto front and its hypervolume, from measured values (the
 * strategy's own front is of its models' means; an operator reads what was
 * measured). Pure functions over results in completion order.
 */

export interface MeasuredResult {
  experimentId: string;
  index: number;
  values: Readonly<Record<string, number | null>>;
  finishedAt: Date | null;
}

export interface ReferencePoint {
  /** The worst value of each objective that still counts. */
  point: Record<string, number>;
  /** `given` where every objective states its ref; else how it was inferred. */
  source: string;
}

export interface ParetoSummary {
  objectives: ObjectiveSpec[];
  constraints: OutcomeConstraint[];
  reference: ReferencePoint | null;
  /** Completed experiments that meet every limit and that no other such experiment dominates, in experiment order. */
  front: { experimentId: string; index: number; values: Record<string, number> }[];
  /** The front's hypervolume after each completed result (in the order they finished). */
  hypervolume: { experimentId: string; completed: number; finishedAt: Date | null; hypervolume: number }[];
}

/** A finite value for every named outcome, or undefined. */
function numbers(values: Readonly<Record<string, number | null>>, names: readonly string[]): Record<string, number> | undefined {
  const out: Record<string, number> = {};
  for (const n of names) {
    const v = Object.hasOwn(values, n) ? values[n] : undefined;
    if (typeof v !== 'number' || !Number.isFinite(v)) return undefined;
    out[n] = v;
  }
  return out;
}

/** Every objective maximised (a minimised one negated). */
function signed(objectives: readonly ObjectiveSpec[], v: Readonly<Record<string, number>>): number[] {
  return objectives.map((o) => (o.direction === 'maximize' ? v[o.name] : -v[o.name]));
}

/**
 * The reference point: each objective's `ref` where given, else the worst
 * value measured (over every completed result) less `margin` of its measured
 * range: the rule the strategy infers its own by (MULTI_OBJECTIVE_DEFAULTS.refMargin).
 */
export function referencePoint(
  objectives: readonly ObjectiveSpec[],
  results: readonly Readonly<Record<string, number>>[],
  margin = MULTI_OBJECTIVE_DEFAULTS.refMargin,
): ReferencePoint | null {
  if (objectives.every((o) => o.ref !== undefined))
    return { point: Object.fromEntries(objectives.map((o) => [o.name, o.ref as number])), source: 'given' };
  if (results.length === 0) return null;
  const point: Record<string, number> = {};
  for (const o of objectives) {
    if (o.ref !== undefined) {
      point[o.name] = o.ref;
      continue;
    }
    const sign = o.direction === 'maximize' ? 1 : -1;
    const col = results.map((v) => sign * v[o.name]);
    const lo = Math.min(...col);
    const range = Math.max(...col) - lo;
    point[o.name] = sign * (lo - margin * (range > 0 ? range : Math.max(1, Math.abs(lo))));
  }
  return { point, source: `inferred: the worst measured value of each objective without a ref, less ${margin} of its measured range` };
}

export function paretoSummary(
  objectives: readonly ObjectiveSpec[],
  constraints: readonly OutcomeConstraint[],
  results: readonly MeasuredResult[],
): ParetoSummary {
  const names = [...new Set([...objectives.map((o) => o.name), ...constraints.map((c) => c.name)])];
  const complete = results.flatMap((r) => {
    const v = numbers(r.values, names);
    return v ? [{ ...r, v }] : [];
  });
  const reference = referencePoint(
    objectives,
    complete.map((r) => r.v),
  );
  const meeting = complete.filter((r) => meetsLimits(r.v, constraints));
  const keep = nonDominatedIndices(meeting.map((r) => signed(objectives, r.v)));
  const front = keep
    .map((k) => meeting[k])
    .sort((a, b) => a.index - b.index)
    .map((r) => ({ experimentId: r.experimentId, index: r.index, values: r.v }));
  const over: ParetoSummary['hypervolume'] = [];
  if (reference) {
    const ref = signed(objectives, reference.point);
    const byTime = [...complete].sort((a, b) => (a.finishedAt?.getTime() ?? 0) - (b.finishedAt?.getTime() ?? 0) || a.index - b.index);
    const points: number[][] = [];
    byTime.forEach((r, k) => {
      if (meetsLimits(r.v, constraints)) points.push(signed(objectives, r.v));
      over.push({ experimentId: r.experimentId, completed: k + 1, finishedAt: r.finishedAt, hypervolume: hypervolume(points, ref) });
    });
  }
  return { objectives: [...objectives], constraints: [...constraints], reference, front, hypervolume: over };
}

/** Why a Pareto target is reached (in words), or undefined while it is not. */
export function paretoTargetReached(target: ParetoTarget, summary: ParetoSummary): string | undefined {
  if ('hypervolume' in target) {
    const last = summary.hypervolume.at(-1)?.hypervolume;
    return last !== undefined && last >= target.hypervolume ? `target reached: hypervolume ${last} >= ${target.hypervolume}` : undefined;
  }
  const goal = signed(summary.objectives, target.dominate);
  for (const f of summary.front) {
    const p = signed(summary.objectives, f.values);
    if (p.every((v, i) => v >= goal[i])) return `target reached: experiment ${f.index} dominates ${JSON.stringify(target.dominate)}`;
  }
  return undefined;
}

/**
 * The objectives a proposal is expected to improve, by its predicted means
 * against the measured front: objective k where it beats every front point
 * that is at least as good in all the other objectives (where there are
 * none, every front point's value of k). An empty front: all of them.
 */
export function expectedImprovements(
  objectives: readonly ObjectiveSpec[],
  front: readonly Readonly<Record<string, number>>[],
  predicted: Readonly<Record<string, Prediction>>,
): string[] {
  if (objectives.some((o) => predicted[o.name] === undefined)) return [];
  const mean = signed(objectives, Object.fromEntries(objectives.map((o) => [o.name, predicted[o.name].mean])));
  if (front.length === 0) return objectives.map((o) => o.name);
  const pts = front.map((f) => signed(objectives, f));
  if (pts.some((p) => dominates(p, mean) || p.every((v, i) => v === mean[i]))) return [];
  return objectives.flatMap((o, k) => {
    const rivals = pts.filter((p) => p.every((v, i) => i === k || v >= mean[i]));
    const against = rivals.length > 0 ? rivals : pts;
    return against.every((p) => mean[k] > p[k]) ? [o.name] : [];
  });
}

/** The probability that an outcome predicted as mean ± sd meets a limit. */
export function limitProbability(limit: OutcomeConstraint, p: Prediction): number {
  if (!(p.sd > 0)) return (limit.op === '<=' ? p.mean <= limit.value : p.mean >= limit.value) ? 1 : 0;
  const z = (limit.value - p.mean) / p.sd;
  return limit.op === '<=' ? normalCdf(z) : 1 - normalCdf(z);
}

/**
 * A campaign's imported results as a front of their own: those that meet
 * every limit and that no other such imported result dominates, by their
 * index among the campaign's imports, and its hypervolume against the
 * campaign's reference point (null while it has none).
 */
export interface ImportedFront {
  /** Imported results with a value for every objective and limited outcome (failures not counted). */
  results: number;
  front: { index: number; source: string; values: Record<string, number> }[];
  hypervolume: number | null;
}

/**
 * The Pareto summary of a campaign: its own front and hypervolume (what its
 * target is judged by), and beside them its imported results' front.
 */
export interface CampaignPareto extends ParetoSummary {
  imported: ImportedFront;
}

/** An imported result as the summary reads it. */
export interface ImportedOutcome {
  index: number;
  source: string;
  failed: boolean;
  values: Record<string, number> | null;
}

/**
 * The Pareto summary of a campaign of several objectives or with outcome
 * limits, from its completed experiments, and the front of its imported
 * results apart (as `best` and `imported.best` are apart for one objective:
 * earlier results are learned from but are not the campaign's); null for a
 * campaign of one objective.
 */
export function paretoOf(
  definition: OutcomeFields & { objective: ObjectiveDefinition },
  experiments: readonly {
    id: string;
    index: number;
    status: string;
    values: Record<string, number | null> | null;
    finishedAt: Date | null;
  }[],
  imported: readonly ImportedOutcome[] = [],
): CampaignPareto | null {
  const outcomes = outcomesOf(definition);
  if (!outcomes.pareto) return null;
  const completed = experiments.flatMap((e) =>
    e.status === 'completed' && e.values ? [{ experimentId: e.id, index: e.index, values: e.values, finishedAt: e.finishedAt }] : [],
  );
  const own = paretoSummary(outcomes.objectives, outcomes.constraints, completed);
  const { objectives, constraints } = outcomes;
  const names = outcomes.names;
  const complete = imported.flatMap((r) => {
    const v = r.failed || !r.values ? undefined : numbers(r.values, names);
    return v ? [{ ...r, v }] : [];
  });
  const meeting = complete.filter((r) => meetsLimits(r.v, constraints));
  const front = nonDominatedIndices(meeting.map((r) => signed(objectives, r.v)))
    .map((k) => meeting[k])
    .sort((a, b) => a.index - b.index);
  const hv = own.reference
    ? hypervolume(
        front.map((r) => signed(objectives, r.v)),
        signed(objectives, own.reference.point),
      )
    : null;
  return {
    ...own,
    imported: { results: complete.length, front: front.map((r) => ({ index: r.index, source: r.source, values: r.v })), hypervolume: hv },
  };
}
