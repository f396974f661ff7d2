import { performance } from 'node:perf_hooks';
import { OptimizerProcess, ProtocolError } from './optimizer-process.js';
import type { BenchProblem, Params } from './problems.js';
import { seededRandom } from './random.js';

/** log10 regret is floored here (a regret of 1e-8 or less counts as solved). */
export const REGRET_FLOOR = 1e-8;

export interface RunSettings {
  optimizer: string;
  seed: number;
  budget: number;
  batch: number;
  /**
   * Evaluations kept in flight (an asynchronous run): asks of at most `batch`
   * refill them as they finish, one at a time, each after a seeded random
   * duration, as the outside driver's `--pending` does. 0 or absent: synchronous batches.
   */
  pending?: number;
  timeoutMs: number;
}

export interface RunRecord {
  problem: string;
  seed: number;
  budget: number;
  batch: number;
  /** Evaluations kept in flight (0: synchronous batches). */
  pending: number;
  optimum: number;
  /** Every evaluation in order: the told (noisy) value, or failed. */
  evaluations: { params: Params; told: number | null; noiseless: number | null }[];
  /** Best noiseless value after each evaluation (null before the first success). */
  bestSoFar: (number | null)[];
  askMs: number[];
  finalBest: number | null;
  finalLog10Regret: number | null;
  /** Why the run failed (it then counts in no median). */
  error?: string;
  wallS: number;
}

/** What the optimizer is told of a problem: never its optimum, noise or function. */
function publicSpec(problem: BenchProblem): Record<string, unknown> {
  return {
    name: problem.name,
    parameters: problem.parameters,
    objectives: [problem.objective],
    pool: problem.pool ?? null,
  };
}

/** One run: init, then ask n / evaluate / tell until the budget is spent, then close. */
export async function runOne(problem: BenchProblem, settings: RunSettings): Promise<RunRecord> {
  const started = performance.now();
  const noise = seededRandom(`noise/${problem.name}/${settings.seed}`);
  const { name: objective, goal } = problem.objective;
  const record: RunRecord = {
    problem: problem.name,
    seed: settings.seed,
    budget: settings.budget,
    batch: settings.batch,
    pending: settings.pending ?? 0,
    optimum: problem.optimum,
    evaluations: [],
    bestSoFar: [],
    askMs: [],
    finalBest: null,
    finalLog10Regret: null,
    wallS: 0,
  };
  const optimizer = new OptimizerProcess(settings.optimizer);
  const timeout = settings.timeoutMs;
  let best: number | null = null;
  try {
    await optimizer.request(
      { op: 'init', problem: publicSpec(problem), seed: settings.seed, budget: settings.budget, batchSize: settings.batch },
      timeout,
    );
    const ask = async (n: number, pending: Params[]): Promise<Params[]> => {
      const askStart = performance.now();
      const reply = await optimizer.request({ op: 'ask', n, pending }, timeout);
      record.askMs.push(performance.now() - askStart);
      return checkCandidates(problem, reply.candidates, n);
    };
    const evaluate = (params: Params) => {
      const evaluation = problem.evaluate(params);
      if ('failed' in evaluation) {
        record.evaluations.push({ params, told: null, noiseless: null });
        record.bestSoFar.push(best);
        return { params, failed: true };
      }
      const noiseless = evaluation.values[objective];
      const told = problem.noiseSd ? noiseless + problem.noiseSd * noise.normal() : noiseless;
      record.evaluations.push({ params, told, noiseless });
      if (best === null || (goal === 'minimize' ? noiseless < best : noiseless > best)) best = noiseless;
      record.bestSoFar.push(best);
      return { params, values: { [objective]: told } };
    };
    const pending = settings.pending ?? 0;
    if (!pending) {
      for (let asked = 0; asked < settings.budget;) {
        const n = Math.min(settings.batch, settings.budget - asked);
        const candidates = await ask(n, []);
        asked += n;
        await optimizer.request({ op: 'tell', results: candidates.map(evaluate) }, timeout);
      }
    } else {
      // Asynchronous: keep `pending` evaluations in flight; each finishes after 0.5 + U(0, 1) time units.
      const durations = seededRandom(`async/${problem.name}/${settings.seed}`);
      const inFlight: { params: Params; done: number }[] = [];
      let clock = 0;
      for (let asked = 0; asked < settings.budget || inFlight.length > 0;) {
        while (inFlight.length < pending && asked < settings.budget) {
          const n = Math.min(settings.batch, pending - inFlight.length, settings.budget - asked);
          const candidates = await ask(
            n,
            inFlight.map((f) => f.params),
          );
          for (const params of candidates) inFlight.push({ params, done: clock + 0.5 + durations() });
          asked += n;
        }
        inFlight.sort((a, b) => a.done - b.done);
        const finished = inFlight.shift()!;
        clock = finished.done;
        await optimizer.request({ op: 'tell', results: [evaluate(finished.params)] }, timeout);
      }
    }
    await optimizer.request({ op: 'close' }, timeout);
    record.finalBest = best;
    if (best === null) record.error = 'no evaluation succeeded';
    else {
      const regret = goal === 'minimize' ? best - problem.optimum : problem.optimum - best;
      record.finalLog10Regret = Math.log10(Math.max(regret, REGRET_FLOOR));
    }
  } catch (e) {
    if (!(e instanceof ProtocolError)) throw e;
    record.error = e.message;
  } finally {
    await optimizer.stop();
    record.wallS = (performance.now() - started) / 1000;
  }
  return record;
}

/** Exactly n candidates, each naming every parameter (or a pool row's id) and nothing else, within bounds. */
function checkCandidates(problem: BenchProblem, candidates: unknown, n: number): Params[] {
  if (!Array.isArray(candidates) || candidates.length !== n)
    throw new ProtocolError(`asked for ${n} candidates, got ${Array.isArray(candidates) ? candidates.length : 'no list'}`);
  const poolIds = problem.pool ? new Set(problem.pool.map((r) => r.id)) : undefined;
  return candidates.map((c: unknown) => {
    if (typeof c !== 'object' || c === null || Array.isArray(c))
      throw new ProtocolError(`a candidate that is not an object: ${JSON.stringify(c)}`);
    const params = c as Params;
    if (poolIds) {
      if (Object.keys(params).length !== 1 || !poolIds.has(params.id as string))
        throw new ProtocolError(`not a pool row: ${JSON.stringify(c)}`);
      return params;
    }
    const names = new Set(problem.parameters.map((p) => p.name));
    const extra = Object.keys(params).filter((k) => !names.has(k));
    if (extra.length) throw new ProtocolError(`a candidate with unknown parameters ${extra.join(', ')}`);
    for (const p of problem.parameters) {
      const v = params[p.name];
      const ok =
        p.type === 'categorical'
          ? typeof v === 'string' && p.choices.includes(v)
          : typeof v === 'number' && Number.isFinite(v) && v >= p.low && v <= p.high && (p.type === 'continuous' || Number.isInteger(v));
      if (!ok) throw new ProtocolError(`parameter "${p.name}" = ${JSON.stringify(v)} is not valid in ${JSON.stringify(c)}`);
    }
    return params;
  });
}
