/**
 * Block offsets for models that cannot learn them (the trees the default
 * strategy moves to past its GP limit): a GP with blocks (see
 * surrogates/mll.ts) fitted to a subsample that keeps some results of every
 * block estimates each block's offset, and every result is then given net of
 * its block's offset. Blocks left out of the subsample (more blocks than the
 * subsample can hold two results of) keep their values.
 */
import { Rng } from '#random';
import type { Space } from '../space.js';
import type { Observation } from '../strategy-interface.js';
import { GaussianProcess } from '../surrogates/gp.js';
import { Encoder, type EncoderOptions } from './encoding.js';

export interface NetOfBlocks {
  observations: Observation[];
  /** Provenance: blocks seen, how many had their offset estimated, from how many results, and the offsets' sd. */
  summary: { blocks: number; estimated: number; fittedTo: number; offsetSd: number };
}

/**
 * The observations with every successful value net of its block's estimated
 * offset and without blocks; at most `limit` results go into the GP.
 */
export function netOfBlocks(
  space: Space,
  observations: readonly Observation[],
  options: { limit: number; seed: number; encoding?: EncoderOptions },
): NetOfBlocks {
  const ok = observations.filter(
    (o) => !o.failed && typeof o.value === 'number' && Number.isFinite(o.value) && space.check(o.params).length === 0,
  );
  const byBlock = new Map<string, Observation[]>();
  for (const o of ok) {
    if (o.block === undefined) continue;
    const members = byBlock.get(o.block);
    if (members) members.push(o);
    else byBlock.set(o.block, [o]);
  }
  const strip = (o: Observation): Observation => {
    const { block: _block, ...rest } = o;
    return rest;
  };
  const none = { observations: observations.map(strip), summary: { blocks: byBlock.size, estimated: 0, fittedTo: 0, offsetSd: 0 } };
  if (byBlock.size === 0) return none;

  // An even share of the subsample per block (at least two results, or the block is left out: one result says nothing of its offset);
  // the most recent blocks first when there are more than the subsample can hold.
  const rng = new Rng(options.seed ^ 0x51ed27);
  const share = Math.max(2, Math.floor(options.limit / byBlock.size));
  const sample: Observation[] = [];
  for (const members of [...byBlock.values()].reverse()) {
    if (members.length < 2 || sample.length + 2 > options.limit) continue;
    const take = Math.min(members.length, share, options.limit - sample.length);
    sample.push(...rng.shuffle([...members]).slice(0, take));
  }
  if (sample.length < 4) return none;
  const enc = new Encoder(space, options.encoding);
  const gp = new GaussianProcess({ seed: options.seed });
  gp.fit(
    sample.map((o) => enc.encode(o.params)),
    sample.map((o) => o.value as number),
    sample.map((o) => o.block ?? null),
  );
  const offsets = new Map<string, number>();
  gp.blockOffsets().forEach((v, i) => offsets.set(sample[i].block as string, v));
  const values = [...offsets.values()];
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return {
    observations: observations.map((o) => {
      const offset = o.block === undefined ? undefined : offsets.get(o.block);
      return offset === undefined || typeof o.value !== 'number' ? strip(o) : { ...strip(o), value: o.value - offset };
    }),
    summary: {
      blocks: byBlock.size,
      estimated: offsets.size,
      fittedTo: sample.length,
      offsetSd: Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / Math.max(1, values.length - 1)),
    },
  };
}
