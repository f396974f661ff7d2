import { Rng } from '#random';
import type { Params, Space } from '../space.js';
import { DesignError, requireInteger } from './errors.js';

/** How a design's points become runs. */
export interface RunOptions {
  /** Each design point is run this many times, as separate experiments. Default 1. */
  replicates?: number;
  /** Extra runs at the centre of the space, to estimate pure error and detect curvature. Default 0. */
  centerPoints?: number;
  /** Shuffle the run order (seeded), so that a drift over time does not alias with a factor. */
  randomizeOrder?: boolean;
}

/** Most replicates of one point and most centre runs a design accepts. */
export const MAX_REPLICATES = 100;
export const MAX_CENTER_POINTS = 1000;

/** Checks replicates and centerPoints; returns them with their defaults. */
export function runCounts(options: RunOptions): { replicates: number; centerPoints: number } {
  const replicates = options.replicates ?? 1;
  const centerPoints = options.centerPoints ?? 0;
  requireInteger('replicates', replicates, 1, MAX_REPLICATES);
  requireInteger('centerPoints', centerPoints, 0, MAX_CENTER_POINTS);
  return { replicates, centerPoints };
}

/**
 * The centre of a space: the middle of each continuous range (the geometric
 * middle on a log scale) and of each integer range (rounded down). A
 * categorical parameter has no centre, so centre points need numeric
 * parameters only, and a centre that satisfies the space's constraints.
 */
export function centerPoint(space: Space): Params {
  const out: Params = {};
  for (const p of space.parameters) {
    switch (p.type) {
      case 'continuous':
        out[p.name] = p.scale === 'log' ? Math.sqrt(p.low * p.high) : (p.low + p.high) / 2;
        break;
      case 'integer':
        out[p.name] = Math.floor((p.low + p.high) / 2);
        break;
      case 'categorical':
        throw new DesignError('invalid-argument', `centre points need numeric parameters: categorical parameter "${p.name}" has no centre`);
      default: {
        const { name, type } = p as { name: string; type: string };
        throw new DesignError('invalid-argument', `centre points need numeric parameters: parameter "${name}" has type "${type}"`);
      }
    }
  }
  const violated = space.check(out);
  if (violated.length > 0)
    throw new DesignError('invalid-argument', `the centre of the space violates its constraints: ${violated.join('; ')}`);
  return out;
}

/**
 * The run list of a fixed design: every point `replicates` times, then the
 * centre runs; in that standard order, or shuffled by `rng` when
 * randomizeOrder is true. A blocked design (`blocks`: the block of each
 * point, in order) keeps its blocks in place and is shuffled within each; it
 * takes neither replicates nor centre runs, which would break its blocks.
 */
export function runList(space: Space, points: readonly Params[], options: RunOptions, rng: Rng, blocks?: readonly number[]): Params[] {
  const { replicates, centerPoints } = runCounts(options);
  if (blocks) {
    if (replicates > 1 || centerPoints > 0)
      throw new DesignError(
        'invalid-argument',
        'a blocked design takes neither replicates nor centre points (it may repeat a point across blocks by itself)',
      );
    const runs = points.map((x) => ({ ...x }));
    if (!options.randomizeOrder) return runs;
    const out: Params[] = [];
    for (let start = 0; start < runs.length;) {
      let end = start;
      while (end < runs.length && blocks[end] === blocks[start]) end++;
      out.push(...rng.shuffle(runs.slice(start, end)));
      start = end;
    }
    return out;
  }
  const runs: Params[] = [];
  for (const x of points) for (let r = 0; r < replicates; r++) runs.push({ ...x });
  if (centerPoints > 0) {
    const centre = centerPoint(space);
    for (let c = 0; c < centerPoints; c++) runs.push({ ...centre });
  }
  return options.randomizeOrder ? rng.shuffle(runs) : runs;
}

/**
 * The runs of a fixed run list that the history has not used yet, in list
 * order. History and list are matched as multisets by Space.key: a point run
 * twice in the history uses up two of its replicates, and a replicate is left
 * as long as fewer copies of its point were run, pending or rejected.
 */
export function remainingRuns(space: Space, runs: readonly Params[], used: readonly Params[]): Params[] {
  const count = new Map<string, number>();
  for (const x of used) {
    const key = space.key(x);
    count.set(key, (count.get(key) ?? 0) + 1);
  }
  const out: Params[] = [];
  for (const x of runs) {
    const key = space.key(x);
    const c = count.get(key) ?? 0;
    if (c > 0) count.set(key, c - 1);
    else out.push(x);
  }
  return out;
}
