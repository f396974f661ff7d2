import { z } from 'zod';
import {
  constraintProblems,
  constraintsSchema,
  DesignError,
  formatIssues,
  linearConstraintSchema,
  parameterProblems,
  parameterSchema,
  Space,
  DESIGN_MODELS,
  LinearModel,
  centerPoint,
  MAX_CENTER_POINTS,
  MAX_REPLICATES,
  ACQUISITION_KINDS,
  type AcquisitionChoice,
} from '#optimizer';
import { DomainError } from '../common/errors.js';
import { APPROVAL_POLICIES } from './approval-policy.js';
import { candidateSourceProblems, candidateSourceSchema } from './candidate-schema.js';
import {
  objectiveSchema,
  outcomeConstraintSchema,
  outcomeProblems,
  outcomesOf,
  measuredProblems,
  paretoObjectiveSchema,
  paretoTargetSchema,
  primaryObjective,
  type ObjectiveDefinition,
} from './outcomes-definition.js';

/**
 * The strategies a campaign can name: `default` lets hakken choose from the
 * space and the data; `bayesian` is a GP with log expected improvement;
 * `trees` an extremely-randomised-trees ensemble (thousands of observations);
 * `neural` a TensorFlow.js deep ensemble (tens of thousands, on a GPU where there is one);
 * `sobol`, `lhs` and `random` are space-filling designs for the whole budget;
 * `doptimal` is a D-optimal design of `runs` runs for a stated `model`, after
 * which the default strategy goes on with the rest of the budget.
 */
export const STRATEGY_KINDS = ['default', 'bayesian', 'trees', 'neural', 'sobol', 'lhs', 'random', 'doptimal'] as const;
/** What a block is, where results share an offset (see the strategy's `blocks`). */
export const BLOCKINGS = ['batch', 'device'] as const;
export type Blocking = (typeof BLOCKINGS)[number];

/**
 * The block a result of the campaign was measured in, as the strategy and the
 * console's model see it: its batch or its device under `strategy.blocks`,
 * none without. Each import of earlier results is a block of its own.
 */
export function experimentBlock(blocking: Blocking | undefined, e: { batchId: string; deviceId: string | null }): string | undefined {
  if (blocking === 'batch') return `batch:${e.batchId}`;
  return blocking === 'device' && e.deviceId ? `device:${e.deviceId}` : undefined;
}

export function importBlock(blocking: Blocking | undefined, importId: string): string | undefined {
  return blocking ? `import:${importId}` : undefined;
}

/** The kinds whose model (the GP) learns block offsets. */
const BLOCKED_KINDS: readonly string[] = ['default', 'bayesian', 'doptimal'];
/** Kinds that use no model, hence no encoding. */
const MODEL_FREE_KINDS: readonly string[] = ['sobol', 'lhs', 'random'];
/**
 * The acquisition of a model-based kind: a name (`"UCB"`) or an object with
 * UCB's weight (`{ "kind": "UCB", "kappa": 2 }` or `"beta": 4`, κ = √β).
 */
const acquisitionSchema = z.union([
  z.enum(ACQUISITION_KINDS),
  z
    .object({
      kind: z.enum(ACQUISITION_KINDS),
      beta: z.number().finite().min(0, 'beta must not be negative').max(1e6).optional(),
      kappa: z.number().finite().min(0, 'kappa must not be negative').max(1e3).optional(),
    })
    .strict(),
]);
/** Thompson sampling needs a joint posterior: the GP has one, the trees' and the neural ensemble's are per point. */
const THOMPSON_KINDS: readonly string[] = ['bayesian'];

/** A definition's acquisition as the optimizer takes it (a name alone is that kind with its defaults). */
export function acquisitionOf(strategy: { acquisition?: z.infer<typeof acquisitionSchema> }): AcquisitionChoice | undefined {
  const a = strategy.acquisition;
  return typeof a === 'string' ? { kind: a } : a;
}

/** The kinds that take the design options replicates, centerPoints and randomizeOrder. */
export const DESIGN_STRATEGY_KINDS = ['sobol', 'lhs', 'random', 'doptimal'] as const;

const strategySchema = z
  .object({
    kind: z.enum(STRATEGY_KINDS).default('default'),
    /** doptimal: the linear model the design estimates (linear, interactions or quadratic). */
    model: z.enum(DESIGN_MODELS).optional(),
    /** doptimal: distinct design runs, before replication. */
    runs: z.number().int().min(1, 'a design needs at least 1 run').max(100_000).optional(),
    /** Design kinds: each design point is run this many times, as separate experiments. */
    replicates: z.number().int().min(1, 'replicates must be at least 1').max(MAX_REPLICATES).optional(),
    /** Design kinds: runs at the centre of the space (numeric parameters only), to estimate pure error. */
    centerPoints: z.number().int().min(0, 'centerPoints must not be negative').max(MAX_CENTER_POINTS).optional(),
    /** Design kinds: shuffle the run order with the campaign's seed (default: on for doptimal and for replicated designs). */
    randomizeOrder: z.boolean().optional(),
    /**
     * Model-based kinds (default, bayesian, trees, neural, and doptimal after its design): how categorical
     * choices with descriptors (`descriptors` or `one-hot`) and compositions (`descriptors` or
     * `fractions`) reach the model. Default: descriptors for both.
     */
    encoding: z
      .object({ categorical: z.enum(['descriptors', 'one-hot']).optional(), composition: z.enum(['descriptors', 'fractions']).optional() })
      .strict()
      .optional(),
    /**
     * GP kinds (default, bayesian, and doptimal after its design): results share an offset per block,
     * which the model learns and looks past: `batch` (each batch is a block: a plate, a day's run) or
     * `device` (each rig is one: its calibration). Each import of earlier results is a block of its own.
     */
    blocks: z.enum(BLOCKINGS).optional(),
    /**
     * Model-based kinds: the acquisition the model proposes with: `logEI` (default), `EI`, `UCB`
     * (with `kappa` or `beta`), `PI`, `thompson` (kind `bayesian` only) or `exploration` (the largest
     * posterior variance: maps the space rather than optimising it).
     */
    acquisition: acquisitionSchema.optional(),
  })
  .strict();

export const campaignDefinitionSchema = z
  .object({
    name: z.string().min(1, 'a campaign needs a name').max(200),
    description: z.string().max(10_000).optional(),
    parameters: z.array(parameterSchema).min(1, 'a campaign needs at least one parameter').max(1000),
    /**
     * Linear constraints on continuous and integer parameters, e.g.
     * `{ "coefficients": { "x1": 1, "x2": 1 }, "op": "<=", "rhs": 10 }`:
     * every proposal satisfies all of them.
     */
    constraints: constraintsSchema.optional(),
    /** The objective; a campaign of several objectives gives `objectives` instead (outcomes-definition.ts). */
    objective: objectiveSchema.optional(),
    /** Several objectives (a Pareto campaign): each `{name, direction, ref?, low?, high?}`. */
    objectives: z.array(paretoObjectiveSchema).max(100).optional(),
    /** Limits on measured outcomes, e.g. `{ "name": "impurity", "op": "<=", "value": 2 }`: the front keeps only results that meet them. */
    outcomeConstraints: z.array(outcomeConstraintSchema).max(50).optional(),
    /** Several objectives: stop once the front's hypervolume reaches a value, or a result dominates a point. */
    target: paretoTargetSchema.optional(),
    /** Experiments to run in total (rejected proposals do not count). */
    budget: z.number().int().min(1).max(100_000),
    batchSize: z.number().int().min(1, 'batch size must be at least 1').max(1000),
    approval: z.enum(APPROVAL_POLICIES).default('auto'),
    strategy: strategySchema.default({ kind: 'default' }),
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 31 - 1)
      .optional(),
    /** Only devices of this kind run the campaign's experiments; absent: any device. */
    deviceKind: z.string().min(1).max(64).optional(),
    /**
     * Batches may overlap: the next batch is proposed once half of the current
     * one has finished (its running experiments are given to the strategy as
     * pending), so devices do not idle through a batch's slowest experiment.
     * At most batchSize experiments are in flight; default: one batch at a time.
     */
    asynchronous: z.boolean().default(false),
    /** Dispatches per experiment before a device failure counts as the experiment's failure. */
    maxAttempts: z.number().int().min(1).max(20).default(3),
    /**
     * Seconds an experiment may stay on a device (from dispatch) before it is
     * taken as a device failure and re-dispatched elsewhere, within maxAttempts;
     * absent: no limit.
     */
    experimentTimeoutS: z
      .number()
      .min(0.1)
      .max(30 * 24 * 3600)
      .optional(),
    /** The only conditions the campaign proposes: rows of a table, inline or uploaded (candidate-schema.ts). */
    candidates: candidateSourceSchema.optional(),
  })
  .strict();

/** A definition as the schema reads it: `objective` may be absent where `objectives` are given. */
export type ParsedDefinition = z.infer<typeof campaignDefinitionSchema>;
/** A checked definition: `objective` is always there (the first of `objectives` where several are given). */
export type CampaignDefinition = Omit<ParsedDefinition, 'objective'> & { objective: ObjectiveDefinition };

/** Fills in `objective` from `objectives` (a definition parses only with one or the other). */
export function withPrimaryObjective(d: ParsedDefinition): CampaignDefinition {
  const objective = primaryObjective(d);
  if (!objective) throw new Error('a campaign definition without an objective');
  return { ...d, objective };
}

/**
 * Validates a campaign definition and names every problem: schema errors and
 * the semantic ones (empty ranges, duplicate names, a batch larger than the
 * budget, constraints on unknown or non-numeric parameters, or that no point
 * satisfies), and those of its outcomes (outcomes-definition.ts): objectives
 * named twice, impossible limits, a strategy kind for one objective only, and
 * outcomes that the devices of its kind do not measure, where the caller
 * passes what they declare (`known.measured`, one list per device).
 */
export function parseCampaignDefinition(input: unknown, known: { measured?: readonly (readonly string[])[] } = {}): CampaignDefinition {
  const r = campaignDefinitionSchema.safeParse(input);
  const problems = r.success ? [] : formatIssues(r.error.issues);
  // Semantic checks run on every parameter that parsed, so one request reports everything.
  const raw = (typeof input === 'object' && input !== null ? input : {}) as Record<string, unknown>;
  if (Array.isArray(raw.parameters)) {
    const parsed = raw.parameters.flatMap((p, index) => {
      const one = parameterSchema.safeParse(p);
      return one.success ? [{ index, parameter: one.data }] : [];
    });
    for (const { index, message } of parameterProblems(parsed)) problems.push(`parameters[${index}]: ${message}`);
    // Constraints name parameters: checked against the parameters only when every one of them parsed.
    if (parsed.length === raw.parameters.length && Array.isArray(raw.constraints)) {
      const constraints = raw.constraints.flatMap((c, index) => {
        const one = linearConstraintSchema.safeParse(c);
        return one.success ? [{ index, constraint: one.data }] : [];
      });
      const own = constraintProblems(
        parsed.map((p) => p.parameter),
        constraints.map((c) => c.constraint),
      );
      for (const { index, message } of own) problems.push(`constraints[${constraints[index ?? 0].index}]: ${message}`);
    }
  }
  if (r.success) {
    const d = r.data;
    // Schema errors would have failed the parse: anything found so far is a parameter's problem.
    const spaceValid = problems.length === 0;
    if (d.batchSize > d.budget) problems.push(`batchSize (${d.batchSize}) exceeds budget (${d.budget})`);
    const objective = primaryObjective(d);
    if (!d.objectives && objective) {
      if (d.parameters.some((p) => p.name === objective.name)) problems.push(`objective "${objective.name}" has the name of a parameter`);
      if (objective.low !== undefined && objective.high !== undefined && !(objective.low < objective.high)) {
        problems.push(`objective range is empty: low (${objective.low}) must be below high (${objective.high})`);
      }
    }
    problems.push(
      ...outcomeProblems(
        d,
        d.parameters.map((p) => p.name),
        d.strategy,
      ),
    );
    // Each constraint satisfiable alone, yet none of a few thousand points satisfies all:
    // no strategy could propose anything, so the definition is refused.
    if (spaceValid) for (const { message } of spaceOf(d).constraintProblems()) problems.push(`constraints: ${message}`);
    // The space-dependent strategy checks need a valid space; the others run regardless.
    if (objective) {
      problems.push(...strategyProblems(withPrimaryObjective(d), spaceValid));
      // What the devices of the kind declare they measure, where the caller looked it up.
      if (d.deviceKind !== undefined && known.measured)
        problems.push(...measuredProblems(outcomesOf(withPrimaryObjective(d)).names, d.deviceKind, known.measured));
    }
    if (objective && outcomesOf(withPrimaryObjective(d)).pareto && d.strategy.acquisition !== undefined)
      problems.push(
        'strategy.acquisition: several objectives or outcome limits choose their own acquisition (expected hypervolume improvement or ParEGO); leave it out',
      );
    if (d.candidates) problems.push(...candidateSourceProblems(d.candidates, d));
  }
  if (problems.length > 0 || !r.success) {
    throw new DomainError(
      'invalid_definition',
      `invalid campaign definition: ${problems.length} problem${problems.length === 1 ? '' : 's'}`,
      [...new Set(problems)],
    );
  }
  return withPrimaryObjective(r.data);
}

/**
 * The search space of a (valid) definition: its parameters and constraints.
 * Every place that proposes or checks points of a campaign builds its space
 * here, so that none forgets the constraints.
 */
export function spaceOf(definition: Pick<CampaignDefinition, 'parameters' | 'constraints'>): Space {
  return new Space(definition.parameters, definition.constraints ?? []);
}

/**
 * Problems of the strategy's options given the rest of a valid definition:
 * options the kind does not use, a D-optimal design without model or runs,
 * with more runs than the budget or fewer runs than model terms, centre
 * points in a space without a centre.
 */
function strategyProblems(d: CampaignDefinition, spaceValid: boolean): string[] {
  const s = d.strategy;
  const out: string[] = [];
  const isDesign = (DESIGN_STRATEGY_KINDS as readonly string[]).includes(s.kind);
  for (const option of ['model', 'runs'] as const) {
    if (s.kind !== 'doptimal' && s[option] !== undefined)
      out.push(`strategy.${option} is used by kind "doptimal" only, not by "${s.kind}"`);
  }
  for (const option of ['replicates', 'centerPoints', 'randomizeOrder'] as const) {
    if (!isDesign && s[option] !== undefined) {
      out.push(`strategy.${option} applies to the design kinds (${DESIGN_STRATEGY_KINDS.join(', ')}) only, not to "${s.kind}"`);
    }
  }
  if (s.encoding !== undefined && MODEL_FREE_KINDS.includes(s.kind)) {
    const modelKinds = STRATEGY_KINDS.filter((k) => !MODEL_FREE_KINDS.includes(k));
    out.push(`strategy.encoding applies to the model-based kinds (${modelKinds.join(', ')}) only, not to "${s.kind}"`);
  }
  const acquisition = acquisitionOf(s);
  if (acquisition !== undefined && MODEL_FREE_KINDS.includes(s.kind)) {
    const modelKinds = STRATEGY_KINDS.filter((k) => !MODEL_FREE_KINDS.includes(k));
    out.push(`strategy.acquisition applies to the model-based kinds (${modelKinds.join(', ')}) only, not to the design "${s.kind}"`);
  }
  if (acquisition?.kind === 'thompson' && !MODEL_FREE_KINDS.includes(s.kind) && !THOMPSON_KINDS.includes(s.kind)) {
    out.push(
      `strategy.acquisition "thompson" needs a joint posterior, which only the GP of kind "bayesian" has; kind "${s.kind}" ${s.kind === 'trees' || s.kind === 'neural' ? 'has' : 'moves to trees past 200 results, which have'} per-point uncertainty only`,
    );
  }
  if (acquisition?.kind !== 'UCB' && (acquisition?.beta !== undefined || acquisition?.kappa !== undefined)) {
    out.push(`strategy.acquisition: beta and kappa are UCB's weights, not ${acquisition?.kind}'s`);
  }
  if (acquisition?.beta !== undefined && acquisition.kappa !== undefined)
    out.push('strategy.acquisition: give beta or kappa, not both (kappa = √beta)');
  if (s.blocks !== undefined && !BLOCKED_KINDS.includes(s.kind)) {
    out.push(`strategy.blocks applies to the kinds whose GP learns block offsets (${BLOCKED_KINDS.join(', ')}) only, not to "${s.kind}"`);
  }
  if (!isDesign) return out;

  const replicates = s.replicates ?? 1;
  const centerPoints = s.centerPoints ?? 0;
  if (replicates > d.budget) out.push(`strategy.replicates (${replicates}) exceeds budget (${d.budget})`);
  if (s.kind === 'doptimal') {
    if (s.model === undefined) out.push(`strategy kind "doptimal" needs a model: one of ${DESIGN_MODELS.join(', ')}`);
    if (s.runs === undefined) out.push('strategy kind "doptimal" needs runs: the number of design runs before replication');
    if (s.runs !== undefined) {
      const total = s.runs * replicates + centerPoints;
      if (total > d.budget) {
        out.push(
          `the D-optimal design has ${total} runs (${s.runs} runs x ${replicates} replicates + ${centerPoints} centre points), more than the budget (${d.budget})`,
        );
      }
    }
  }
  if (!spaceValid) return out;
  const space = spaceOf(d);
  if (centerPoints > 0) {
    try {
      centerPoint(space);
    } catch (e) {
      out.push(`strategy.centerPoints: ${(e as Error).message}`);
    }
  }
  if (s.kind !== 'doptimal' || s.model === undefined || s.runs === undefined) return out;
  // Blocked by batch: each batch of the design is a block, and each block beyond the first adds a term.
  const blocked = s.blocks === 'batch' && s.runs > d.batchSize;
  const blocks = blocked ? Math.ceil(s.runs / d.batchSize) : 1;
  if (blocked) {
    if (replicates > 1 || centerPoints > 0)
      out.push(
        'strategy: a D-optimal design blocked by batch takes neither replicates nor centerPoints (it may repeat a point across blocks by itself)',
      );
    if (d.asynchronous) out.push('strategy: a D-optimal design blocked by batch needs whole batches: not with "asynchronous": true');
  }
  try {
    const terms = new LinearModel(space, s.model).size;
    if (terms + blocks - 1 > s.runs) {
      out.push(
        blocked
          ? `strategy: the ${s.model} model has ${terms} terms for these parameters and its ${blocks} batches of ${d.batchSize} add ${blocks - 1}, but runs is ${s.runs}; a blocked D-optimal design needs at least ${terms + blocks - 1}`
          : `strategy: the ${s.model} model has ${terms} terms for these parameters but runs is ${s.runs}; a D-optimal design needs at least as many runs as terms`,
      );
    }
  } catch (e) {
    if (!(e instanceof DesignError)) throw e;
    out.push(`strategy.model: ${e.message}`);
  }
  return out;
}
