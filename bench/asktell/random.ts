/**
 * The benchmark's seeded randomness: the xmur3 string hash seeding sfc32 (both
 * public-domain generators), the same sequence for a given seed on every Node
 * version. The outside driver (../shared/bench) uses the same pair, so a
 * generated problem (pool_activity) and the observation noise are the same
 * there and here, and results compare seed for seed.
 */
export interface Random {
  /** Uniform in [0, 1). */
  (): number;
  /** Standard normal (Box–Muller). */
  normal(): number;
  /** Uniform integer in [low, high]. */
  int(low: number, high: number): number;
}

export function seededRandom(seed: string | number): Random {
  const text = String(seed);
  let h = 1779033703 ^ text.length;
  for (let i = 0; i < text.length; i++) {
    h = Math.imul(h ^ text.charCodeAt(i), 3432918353);
    h = (h << 13) | (h >>> 19);
  }
  const nextHash = (): number => {
    h = Math.imul(h ^ (h >>> 16), 2246822507);
    h = Math.imul(h ^ (h >>> 13), 3266489909);
    return (h ^= h >>> 16) >>> 0;
  };
  let a = nextHash();
  let b = nextHash();
  let c = nextHash();
  let d = nextHash();
  const uniform = (): number => {
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    let t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    t = (t + d) | 0;
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  // The first outputs of a freshly seeded sfc32 are poorly mixed.
  for (let i = 0; i < 12; i++) uniform();
  return Object.assign(uniform, {
    normal(): number {
      let u = 0;
      while (u === 0) u = uniform();
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * uniform());
    },
    int(low: number, high: number): number {
      return low + Math.floor(uniform() * (high - low + 1));
    },
  });
}

/** Linearly interpolated quantile (q in [0, 1]); null for no values. */
export function quantile(values: readonly number[], q: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((x, y) => x - y);
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}
