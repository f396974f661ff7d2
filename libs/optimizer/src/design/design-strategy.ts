import { Rng } from '#random';
import type { Params, Space } from '../space.js';
import type { AskRequest, Proposal, Strategy, StrategyInfo } from '../strategy-interface.js';
import { DesignError, requireInteger } from './errors.js';
import { fullFactorial, spaceCardinality } from './factorial.js';
import { latinHypercube, maximinLatinHypercube } from './lhs.js';
import { centerPoint, runCounts, type RunOptions } from './runs.js';
import { mixSeed } from './seed.js';
import { SobolSequence } from './sobol.js';

export type DesignKind = 'sobol' | 'lhs' | 'random';

export interface DesignStrategyOptions extends RunOptions {
  kind: DesignKind;
}

/** Swap attempts of each maximin Latin hypercube batch. */
const MAXIMIN_ITERATIONS = 1000;
const MAXIMIN_RESTARTS = 4;
/** Unit points drawn before giving up on finding new points by drawing (per wanted point, and at least). */
const DRAWS_PER_POINT = 16;
const MIN_DRAWS = 256;
/**
 * The same with linear constraints, where most draws may be infeasible and
 * are skipped: a region of 1/100 of the box still yields about 40 points per
 * wanted point or 40 in all.
 */
const CONSTRAINED_DRAWS_PER_POINT = 4096;
const CONSTRAINED_MIN_DRAWS = 4096;
/** Finite spaces up to this many points are enumerated when drawing finds too few new points. */
const ENUMERATION_LIMIT = 100_000;

/**
 * An initial design as a strategy: scrambled Sobol points, maximin Latin
 * hypercubes or uniform random points, mapped into the space with
 * Space.fromUnit. Model-free: it looks at the history only to count it (so
 * that successive batches continue the design instead of repeating it) and to
 * skip points already observed, pending or rejected.
 *
 * Reproducible: with the same request (seed and history sizes) it proposes the
 * same batch. Let `offset` be observations + pending + rejected:
 * - sobol: points offset, offset + 1, ... of the Sobol sequence scrambled with
 *   the request's seed, so that a campaign that asks in batches walks one
 *   sequence;
 * - lhs: a maximin Latin hypercube of n points seeded from (seed, offset);
 *   further hypercubes (seeded from (seed, offset, 1), ...) only when points
 *   collide in a discrete space or violate constraints. Those are plain Latin
 *   hypercubes: rejection loses the spread that maximin swaps buy, the swaps
 *   cost 1000 iterations per hypercube, and they spread points away from the
 *   box's corners, so a feasible corner was rarely reached (one of about 6e-4
 *   of the box got 1 of 16,000 points of 4-point maximin hypercubes, against 10
 *   of 16,000 uniform points; a plain hypercube's points are uniform);
 * - random: uniform points from an Rng seeded from (seed, offset).
 *
 * In a space of integer and categorical parameters only, points can coincide:
 * a drawn point equal (by Space.key) to an observed, pending, rejected or
 * already chosen one is skipped. When fewer than n distinct points are left,
 * all of them are returned; never a duplicate. If drawing does not find enough
 * new points, spaces of at most 100,000 points are enumerated and the missing
 * points are taken from the unused ones in seeded random order; a larger,
 * nearly exhausted discrete space may then get fewer than n proposals.
 *
 * With linear constraints on the space, draws that violate one are skipped
 * too (rejection), with many more draws allowed (4096 per wanted point); a
 * feasible region too small for that gives fewer than n proposals, and one
 * where no draw at all is feasible an 'infeasible' DesignError. Never an
 * infeasible point; centre runs need a feasible centre.
 *
 * With `replicates` r > 1 or `centerPoints` c > 0 a batch is, in this order:
 * the centre runs the history lacks (up to c in all), copies of history points
 * run fewer than r times (so that a point cut off at the end of a batch gets
 * its other replicates in the next one), then new points as above, each r
 * times. Replicates are exempt from the de-duplication on purpose; new points
 * still never repeat a used one, and `offset` counts distinct used points
 * (centre excluded), so that Sobol walks its sequence without holes. Such
 * batches are shuffled (seeded) unless randomizeOrder is false, so that
 * replicates do not run back to back and a drift over time does not pass for
 * pure error. Without replicates and centre runs, the batch keeps the design's
 * own order (unrelated to factor levels) unless randomizeOrder is true.
 */
export class DesignStrategy implements Strategy {
  readonly info: StrategyInfo;
  private readonly kind: DesignKind;
  private readonly replicates: number;
  private readonly centerPoints: number;
  private readonly randomizeOrder: boolean;

  constructor(options: DesignStrategyOptions) {
    this.kind = options.kind;
    const { replicates, centerPoints } = runCounts(options);
    this.replicates = replicates;
    this.centerPoints = centerPoints;
    this.randomizeOrder = options.randomizeOrder ?? (replicates > 1 || centerPoints > 0);
    const runSettings = {
      ...(options.replicates !== undefined ? { replicates } : {}),
      ...(options.centerPoints !== undefined ? { centerPoints } : {}),
      ...(options.randomizeOrder !== undefined || this.randomizeOrder ? { randomizeOrder: this.randomizeOrder } : {}),
    };
    this.info = { name: `design/${options.kind}`, settings: { ...settingsOf(options.kind), ...runSettings } };
  }

  async ask(request: AskRequest): Promise<Proposal[]> {
    const { space, n, seed } = request;
    requireInteger('number of proposals', n, 0);
    if (!Number.isFinite(seed)) throw new DesignError('invalid-argument', `seed must be a finite number, got ${seed}`);

    const used = [...request.observations.map((o) => o.params), ...request.pending, ...(request.rejected ?? [])];
    if (this.replicates === 1 && this.centerPoints === 0) {
      const chosen = this.newPoints(space, n, seed, used, used.length);
      return this.inOrder(chosen, seed, used.length).map((params) => ({ params }));
    }

    const batch: Params[] = [];
    const count = new Map<string, number>();
    for (const p of used) if (space.check(p).length === 0) count.set(space.key(p), (count.get(space.key(p)) ?? 0) + 1);
    let centreKey: string | undefined;
    if (this.centerPoints > 0) {
      const centre = centerPoint(space);
      centreKey = space.key(centre);
      for (let c = count.get(centreKey) ?? 0; c < this.centerPoints && batch.length < n; c++) batch.push({ ...centre });
    }
    const designPoints = new Set<string>();
    for (const p of used) {
      const key = space.key(p);
      if (!count.has(key) || key === centreKey || designPoints.has(key)) continue;
      designPoints.add(key);
      for (let c = count.get(key) ?? 0; c < this.replicates && batch.length < n; c++) batch.push({ ...p });
    }
    const wanted = Math.ceil((n - batch.length) / this.replicates);
    const fresh = wanted > 0 ? this.newPoints(space, wanted, seed, [...used, ...batch], designPoints.size) : [];
    for (const p of fresh) for (let r = 0; r < this.replicates && batch.length < n; r++) batch.push({ ...p });
    return this.inOrder(batch, seed, designPoints.size).map((params) => ({ params }));
  }

  /**
   * Up to n distinct points not in `used`, from the design's sequence at
   * `offset` (then by enumeration, see the class comment).
   */
  private newPoints(space: Space, n: number, seed: number, used: readonly Params[], offset: number): Params[] {
    const taken = new Set<string>();
    const usedInSpace = new Set<string>();
    for (const p of used) {
      const key = space.key(p);
      taken.add(key);
      if (space.check(p).length === 0) usedInSpace.add(key);
    }
    const target = Math.min(n, spaceCardinality(space) - usedInSpace.size);
    const chosen: Params[] = [];
    if (target <= 0) return [];

    const take = (params: Params): void => {
      const key = space.key(params);
      if (taken.has(key) || !space.satisfies(params)) return;
      taken.add(key);
      chosen.push(params);
    };

    const draw = this.candidates(space.dimension, n, seed, offset);
    const constrained = space.constraints.length > 0;
    const maxDraws = constrained
      ? Math.max(CONSTRAINED_MIN_DRAWS, CONSTRAINED_DRAWS_PER_POINT * target)
      : Math.max(MIN_DRAWS, DRAWS_PER_POINT * target);
    let feasibleDraws = 0;
    for (let i = 0; i < maxDraws && chosen.length < target; i++) {
      const params = space.fromUnit(draw());
      if (space.satisfies(params)) feasibleDraws += 1;
      take(params);
    }

    if (chosen.length < target && spaceCardinality(space) <= ENUMERATION_LIMIT) {
      const rest = fullFactorial(space, { maxIntegerLevels: Infinity, maxRuns: ENUMERATION_LIMIT });
      new Rng(mixSeed(seed, offset, -1)).shuffle(rest);
      for (const params of rest) {
        if (chosen.length >= target) break;
        take(params);
      }
    }
    if (constrained && chosen.length === 0 && feasibleDraws === 0) {
      throw new DesignError(
        'infeasible',
        `no point of ${maxDraws} drawn satisfies all ${space.constraints.length} constraints of the space: the feasible region is empty or too small to sample`,
      );
    }
    return chosen;
  }

  /** The batch in run order: shuffled with a seed of (seed, offset) when randomizeOrder is on. */
  private inOrder(batch: Params[], seed: number, offset: number): Params[] {
    return this.randomizeOrder ? new Rng(mixSeed(seed, offset, -2)).shuffle(batch) : batch;
  }

  /** An endless source of unit points for this kind, determined by (seed, offset). */
  private candidates(dim: number, n: number, seed: number, offset: number): () => number[] {
    switch (this.kind) {
      case 'sobol': {
        const seq = new SobolSequence(dim, { scramble: true, seed });
        seq.skip(offset);
        return () => seq.next();
      }
      case 'lhs': {
        let batch: number[][] = [];
        let round = 0;
        return () => {
          if (batch.length === 0) {
            const rng = new Rng(round === 0 ? mixSeed(seed, offset) : mixSeed(seed, offset, round));
            batch = (
              round === 0
                ? maximinLatinHypercube(dim, n, rng, { iterations: MAXIMIN_ITERATIONS, restarts: MAXIMIN_RESTARTS })
                : latinHypercube(dim, n, rng)
            ).reverse();
            round += 1;
          }
          return batch.pop() as number[];
        };
      }
      case 'random': {
        const rng = new Rng(mixSeed(seed, offset));
        return () => Array.from({ length: dim }, () => rng.next());
      }
      default:
        return assertNever(this.kind);
    }
  }
}

function settingsOf(kind: DesignKind): Record<string, unknown> {
  switch (kind) {
    case 'sobol':
      return {
        kind,
        directionNumbers: 'joe-kuo-6.21201',
        scrambling: 'linear-matrix+digital-shift',
        skip: 'observations+pending+rejected',
      };
    case 'lhs':
      return { kind, criterion: 'maximin', iterations: MAXIMIN_ITERATIONS, restarts: MAXIMIN_RESTARTS };
    case 'random':
      return { kind };
    default:
      return assertNever(kind);
  }
}

function assertNever(x: never): never {
  throw new DesignError('invalid-argument', `unknown design kind ${JSON.stringify(x)}`);
}
