/**
 * One ask/tell benchmark session (shared/bench/PROTOCOL.md): init, ask, tell,
 * close, each a JSON object in and one reply out. Transport-free, so the
 * stdio CLI (cli/asktell.ts) stays a thin loop and the logic is testable.
 */
import { type Params, Space } from '../space.js';
import type { Direction, Observation } from '../strategy.js';
import { encodePool, type PoolObservation, type PoolRow, PoolStrategy } from './pool.js';
import { BayesianStrategy, type BayesianStrategyOptions } from './strategy.js';

export type Reply = Record<string, unknown>;

interface Problem {
  parameters: unknown;
  objectives: { name: string; goal: string }[];
  pool?: PoolRow[] | null;
}

interface State {
  space: Space;
  direction: Direction;
  objective: string;
  seed: number;
  observations: Observation[];
  pool?: { strategy: PoolStrategy; observations: PoolObservation[] };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export class AskTellSession {
  private state: State | undefined;
  private readonly strategy: BayesianStrategy;
  closed = false;

  constructor(options: BayesianStrategyOptions = {}, private readonly log: (line: string) => void = () => {}) {
    this.strategy = new BayesianStrategy(options);
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
    if (!isRecord(problem) || !Array.isArray(problem.objectives) || problem.objectives.length === 0) throw new Error('init needs a problem with objectives');
    const p = problem as unknown as Problem;
    const space = Space.parse(p.parameters);
    const goal = p.objectives[0].goal;
    if (goal !== 'minimize' && goal !== 'maximize') throw new Error(`unknown goal ${JSON.stringify(goal)}`);
    const seed = Number(msg.seed ?? 0);
    if (!Number.isFinite(seed)) throw new Error('seed must be a number');
    this.state = { space, direction: goal, objective: p.objectives[0].name, seed, observations: [] };
    if (Array.isArray(p.pool)) {
      const X = encodePool(space, p.pool);
      const dim = X[0]?.length ?? 1;
      this.state.pool = { strategy: new PoolStrategy(p.pool.map((r) => r.id), X, Math.max(5, Math.min(10, dim + 1))), observations: [] };
    }
    return { ok: true };
  }

  private async ask(msg: Record<string, unknown>): Promise<Reply> {
    const s = this.require();
    const n = Number(msg.n ?? 1);
    if (!Number.isInteger(n) || n < 0) throw new Error(`n must be a non-negative integer, got ${String(msg.n)}`);
    const pending = Array.isArray(msg.pending) ? (msg.pending as Params[]) : [];
    if (s.pool) {
      const picks = s.pool.strategy.ask({ direction: s.direction, observations: s.pool.observations, pending: pending.map((p) => String(p.id)), n, seed: s.seed });
      return { candidates: picks.map((p) => ({ id: p.id })) };
    }
    const proposals = await this.strategy.ask({ space: s.space, direction: s.direction, observations: s.observations, pending, n, seed: s.seed });
    for (const p of proposals) if (p.extrapolation) this.log(`extrapolation: ${p.extrapolation}`);
    return { candidates: proposals.map((p) => p.params) };
  }

  private tell(msg: Record<string, unknown>): Reply {
    const s = this.require();
    if (!Array.isArray(msg.results)) throw new Error('tell needs results');
    for (const r of msg.results as unknown[]) {
      if (!isRecord(r) || !isRecord(r.params)) throw new Error('each result needs params');
      const v = isRecord(r.values) ? r.values[s.objective] : undefined;
      const failed = r.failed === true || typeof v !== 'number' || !Number.isFinite(v);
      if (s.pool) {
        const id = String(r.params.id);
        s.pool.observations.push(failed ? { id, failed: true } : { id, value: v as number });
      } else {
        const params = r.params as Params;
        s.observations.push(failed ? { params, failed: true } : { params, value: v as number });
      }
    }
    return { ok: true };
  }

  private require(): State {
    if (!this.state) throw new Error('init first');
    return this.state;
  }
}
