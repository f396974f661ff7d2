import { Rng } from '#random';
import { hash32 } from '#simulators';

/** Every kind of fault the suite injects. */
export const FAULT_KINDS = [
  'service-sigkill',
  'service-sigterm',
  'rig-and-service-killed',
  'broker-restart',
  'database-outage',
  'duplicate-result',
  'result-twice',
  'out-of-order',
  'result-as-acceptance',
  'never-answers',
  'late-result',
  'replayed-result',
  'unassigned-result',
  'wrong-version',
  'forged-offline',
  'forged-conflict',
  'stalled-campaign',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** Counts of injected faults, by kind. */
export class FaultTally {
  private readonly counts = new Map<FaultKind, number>(FAULT_KINDS.map((k) => [k, 0]));

  add(kind: FaultKind, n = 1): void {
    this.counts.set(kind, (this.counts.get(kind) ?? 0) + n);
  }

  get(kind: FaultKind): number {
    return this.counts.get(kind) ?? 0;
  }

  total(): number {
    return [...this.counts.values()].reduce((a, b) => a + b, 0);
  }

  entries(): [FaultKind, number][] {
    return [...this.counts];
  }
}

/** A random stream that depends only on the suite's seed and a label, so one decision never shifts another. */
export function rngFor(seed: number, label: string): Rng {
  return new Rng((seed ^ hash32(label)) >>> 0);
}

/** Picks a key by weight. */
export function pickWeighted<K extends string>(rng: Rng, weights: Record<K, number>): K {
  const entries = Object.entries(weights) as [K, number][];
  const total = entries.reduce((a, [, w]) => a + w, 0);
  let u = rng.next() * total;
  for (const [k, w] of entries) {
    u -= w;
    if (u < 0) return k;
  }
  return entries[entries.length - 1][0];
}

/** The deliberate wait of a fault (its timing is the point, not a poll). */
export function pause(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
