/**
 * One ask/tell benchmark session (bench/asktell/README.md): init, ask, tell,
 * close, each a JSON object in and one reply out. Transport-free, so the
 * stdio CLI (cli/asktell.ts) stays a thin loop and the logic is testable.
 * One objective without outcome limits goes to BayesianStrategy (PoolStrategy
 * for pools) exactly as before; several objectives, or outcome limits, go to
 * MultiObjectiveStrategy (MultiObjectivePoolStrategy; MultiObjectiveTreesStrategy
 * with the multiObjectiveTrees option), every result carrying
 * the value of each objective and limited outcome.
 */
import { type Params, Space } from '../space.js';
import type { Direction, Observation } from '../strategy-interface.js';
import { encodePool, type PoolObservation, type PoolRow, PoolStrategy } from '../bo/pool.js';
import type { BayesianStrategyOptions } from '../bo/bayesian-options.js';
import { BayesianStrategy } from '../bo/bayesian-strategy.js';
import { type MultiObjectiveOptions, resolveMultiObjectiveOptions } from '../multi/multi-options.js';
import type { ObjectiveSpec, OutcomeConstraint } from '../multi/outcome-models.js';
import { MultiObjectivePoolStrategy, MultiObjectiveStrategy, type MultiObservation } from '../multi/multi-strategy.js';
import { type MultiCandidateOptions, MultiObjectiveTreesStrategy } from '../multi/multi-candidate-strategy.js';

export type Reply = Record<string, unknown>;

/**
 * The session's options: the single-objective strategy's, and the several-objective one's under `multiObjective`;
 * `multiObjectiveTrees` (its options, `{}` for the defaults) puts several objectives on a searched space on
 * extremely randomised trees per outcome (MultiObjectiveTreesStrategy) instead of a GP per outcome.
 */
export type AskTellOptions = BayesianStrategyOptions & {
  multiObjective?: MultiObjectiveOptions;
  multiObjectiveTrees?: MultiCandidateOptions;
};

interface Problem {
  parameters: unknown;
  objectives: { name: string; goal: string; ref?: unknown }[];
  outcomeConstraints?: { name: string; op: string; value: unknown }[] | null;
  pool?: PoolRow[] | null;
}

/**
 * Several objectives, or outcome limits: every outcome named in the problem
 * is modelled, and each result must carry all of their values.
 */
interface MultiState {
  objectives: ObjectiveSpec[];
  constraints: OutcomeConstraint[];
  observations: MultiObservation[];
  pool?: { strategy: MultiObjectivePoolStrategy; observations: { id: string; values?: Record<string, number>; failed?: boolean }[] };
}

interface State {
  space: Space;
  direction: Direction;
  objective: string;
  seed: number;
  observations: Observation[];
  pool?: { strategy: PoolStrategy; observations: PoolObservation[]; ids: Set<string> };
  multi?: MultiState;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export class AskTellSession {
  private state: State | undefined;
  private readonly strategy: BayesianStrategy;
  private readonly multiOptions: MultiObjectiveOptions;
  private readonly poolAcquisition: BayesianStrategyOptions['acquisition'];
  private readonly treesOptions: MultiCandidateOptions | undefined;
  private multiStrategy: MultiObjectiveStrategy | MultiObjectiveTreesStrategy | undefined;
  closed = false;

  constructor(
    options: AskTellOptions = {},
    private readonly log: (line: string) => void = () => {},
  ) {
    const { multiObjective, multiObjectiveTrees, ...single } = options;
    this.treesOptions = multiObjectiveTrees;
    this.strategy = new BayesianStrategy(single);
    this.poolAcquisition = single.acquisition;
    this.multiOptions = multiObjective ?? {};
  }

  /** Handles one request; errors become `{error}` replies. */
  async handle(msg: unknown): Promise<Reply> {
    try {
      if (!isRecord(msg)) throw new Error('a request is a JSON object');
      switch (msg.op) {
        case 'init':
          return this.init(msg);
        case 'ask':
          return await this.ask(msg);
        case 'tell':
          return this.tell(msg);
        case 'close':
          this.closed = true;
          return { ok: true };
        default:
          throw new Error(`unknown op ${JSON.stringify(msg.op)}`);
      }
    } catch (e) {
      this.log(`error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      return { error: e instanceof Error ? e.message : String(e) };
    }
  }

  private init(msg: Record<string, unknown>): Reply {
    const problem = msg.problem;
    if (!isRecord(problem) || !Array.isArray(problem.objectives) || problem.objectives.length === 0)
      throw new Error('init needs a problem with objectives');
    const p = problem as unknown as Problem;
    const space = Space.parse(p.parameters);
    const goal = p.objectives[0].goal;
    if (goal !== 'minimize' && goal !== 'maximize') throw new Error(`unknown goal ${JSON.stringify(goal)}`);
    const seed = Number(msg.seed ?? 0);
    if (!Number.isFinite(seed)) throw new Error('seed must be a number');
    this.state = { space, direction: goal, objective: p.objectives[0].name, seed, observations: [] };
    const constraints = parseConstraints(p.outcomeConstraints);
    const multi = p.objectives.length > 1 || constraints.length > 0;
    if (multi) this.state.multi = { objectives: parseObjectives(p.objectives), constraints, observations: [] };
    if (Array.isArray(p.pool)) {
      const X = encodePool(space, p.pool);
      const dim = X[0]?.length ?? 1;
      const ids = p.pool.map((r) => r.id);
      const design = Math.max(5, Math.min(10, dim + 1));
      this.state.pool = {
        strategy: new PoolStrategy(ids, X, design, { acquisition: this.poolAcquisition }),
        observations: [],
        ids: new Set(ids.map(String)),
      };
      if (this.state.multi) {
        const Xm = encodePool(space, p.pool, resolveMultiObjectiveOptions(this.multiOptions).poolMaxOneHot);
        this.state.multi.pool = {
          strategy: new MultiObjectivePoolStrategy(
            ids.map(String),
            Xm,
            Math.max(5, Math.min(10, (Xm[0]?.length ?? 1) + 1)),
            this.multiOptions,
          ),
          observations: [],
        };
      }
    } else if (multi) {
      this.multiStrategy = this.treesOptions
        ? new MultiObjectiveTreesStrategy(this.treesOptions)
        : new MultiObjectiveStrategy(this.multiOptions);
    }
    return { ok: true };
  }

  private async ask(msg: Record<string, unknown>): Promise<Reply> {
    const s = this.require();
    const n = Number(msg.n ?? 1);
    if (!Number.isInteger(n) || n < 0) throw new Error(`n must be a non-negative integer, got ${String(msg.n)}`);
    if (msg.pending !== undefined && msg.pending !== null && !Array.isArray(msg.pending))
      throw new Error('pending must be a list of candidates');
    const pending = ((msg.pending ?? []) as unknown[]).map((p, i) => this.candidate(s, p, `pending[${i}]`));
    if (s.multi) return this.askMulti(s, s.multi, n, pending);
    if (s.pool) {
      const picks = s.pool.strategy.ask({
        direction: s.direction,
        observations: s.pool.observations,
        pending: pending.map((p) => String(p.id)),
        n,
        seed: s.seed,
      });
      return { candidates: picks.map((p) => ({ id: p.id })) };
    }
    const proposals = await this.strategy.ask({
      space: s.space,
      direction: s.direction,
      observations: s.observations,
      pending,
      n,
      seed: s.seed,
    });
    for (const p of proposals) if (p.extrapolation) this.log(`extrapolation: ${p.extrapolation}`);
    return { candidates: proposals.map((p) => p.params) };
  }

  /**
   * Every result is checked before any is stored, so a malformed tell stores
   * nothing: params within the space (or a row of the pool), and either
   * `"failed": true` or a finite number for the objective. A missing or
   * non-finite value is an error, not a failure: the protocol says failures
   * with `failed`, and a NaN from a broken evaluation must not pass for data.
   */
  private tell(msg: Record<string, unknown>): Reply {
    const s = this.require();
    if (!Array.isArray(msg.results)) throw new Error('tell needs results');
    const checked = (msg.results as unknown[]).map((r, i) => {
      const at = `results[${i}]`;
      if (!isRecord(r)) throw new Error(`${at} is not an object`);
      const params = this.candidate(s, r.params, `${at}.params`);
      if (r.failed === true) return { params, failed: true as const };
      if (s.multi) return { params, values: this.multiValues(s.multi, r.values, at) };
      const v = isRecord(r.values) ? r.values[s.objective] : undefined;
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        throw new Error(
          `${at}.values.${s.objective} must be a finite number, got ${JSON.stringify(v) ?? 'nothing'} (a run that gave no value is told with "failed": true)`,
        );
      }
      return { params, value: v };
    });
    for (const c of checked) {
      if (s.multi) {
        const values = 'values' in c ? c.values : undefined;
        const failed = 'failed' in c ? { failed: true } : {};
        if (s.multi.pool) s.multi.pool.observations.push({ id: String(c.params.id), ...(values ? { values } : {}), ...failed });
        else s.multi.observations.push({ params: c.params, ...(values ? { values } : {}), ...failed });
        continue;
      }
      if (s.pool) {
        const id = String(c.params.id);
        s.pool.observations.push('failed' in c ? { id, failed: true } : { id, value: c.value });
      } else {
        s.observations.push(c);
      }
    }
    return { ok: true };
  }

  private async askMulti(s: State, m: MultiState, n: number, pending: Params[]): Promise<Reply> {
    if (m.pool) {
      const picks = m.pool.strategy.ask({
        objectives: m.objectives,
        constraints: m.constraints,
        observations: m.pool.observations,
        pending: pending.map((p) => String(p.id)),
        n,
        seed: s.seed,
      });
      return { candidates: picks.map((p) => ({ id: p.id })) };
    }
    if (!this.multiStrategy) throw new Error('init first');
    const proposals = await this.multiStrategy.ask({
      space: s.space,
      objectives: m.objectives,
      constraints: m.constraints,
      observations: m.observations,
      pending,
      n,
      seed: s.seed,
    });
    return { candidates: proposals.map((p) => p.params) };
  }

  /** Every objective's and limited outcome's value, each a finite number. */
  private multiValues(m: MultiState, values: unknown, at: string): Record<string, number> {
    const out: Record<string, number> = {};
    for (const name of [...m.objectives.map((o) => o.name), ...m.constraints.map((c) => c.name)]) {
      const v = isRecord(values) ? values[name] : undefined;
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        throw new Error(
          `${at}.values.${name} must be a finite number, got ${JSON.stringify(v) ?? 'nothing'} (a run that gave no value is told with "failed": true)`,
        );
      }
      out[name] = v;
    }
    return out;
  }

  /** A candidate as told or listed pending: a point of the space, or a row of the pool. */
  private candidate(s: State, p: unknown, at: string): Params {
    if (!isRecord(p)) throw new Error(`${at} is not an object`);
    if (s.pool) {
      if (!s.pool.ids.has(String(p.id))) throw new Error(`${at}: ${JSON.stringify(p.id) ?? 'no id'} is not a row of the pool`);
      return p as Params;
    }
    const problems = s.space.check(p);
    if (problems.length > 0) throw new Error(`${at}: ${problems.join('; ')}`);
    return p as Params;
  }

  private require(): State {
    if (!this.state) throw new Error('init first');
    return this.state;
  }
}

function parseObjectives(list: Problem['objectives']): ObjectiveSpec[] {
  return list.map((o, i) => {
    if (!isRecord(o) || typeof o.name !== 'string') throw new Error(`objectives[${i}] needs a name`);
    if (o.goal !== 'minimize' && o.goal !== 'maximize') throw new Error(`objectives[${i}]: unknown goal ${JSON.stringify(o.goal)}`);
    if (o.ref !== undefined && o.ref !== null && (typeof o.ref !== 'number' || !Number.isFinite(o.ref)))
      throw new Error(`objectives[${i}].ref must be a finite number`);
    return { name: o.name, direction: o.goal, ...(typeof o.ref === 'number' ? { ref: o.ref } : {}) };
  });
}

function parseConstraints(list: Problem['outcomeConstraints']): OutcomeConstraint[] {
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) throw new Error('outcomeConstraints must be a list');
  return list.map((c, i) => {
    if (!isRecord(c) || typeof c.name !== 'string') throw new Error(`outcomeConstraints[${i}] needs a name`);
    if (c.op !== '<=' && c.op !== '>=') throw new Error(`outcomeConstraints[${i}]: op must be "<=" or ">=", got ${JSON.stringify(c.op)}`);
    if (typeof c.value !== 'number' || !Number.isFinite(c.value)) throw new Error(`outcomeConstraints[${i}].value must be a finite number`);
    return { name: c.name, op: c.op, value: c.value };
  });
}
