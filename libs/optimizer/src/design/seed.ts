/**
 * A 32-bit seed derived from several integers (each taken as a 64-bit
 * two's-complement value), mixed with the murmur3 finaliser so that nearby
 * inputs give unrelated seeds.
 */
export function mixSeed(...parts: number[]): number {
  let h = 0x243f6a88;
  for (const part of parts) {
    const v = Math.trunc(part);
    for (const word of [v >>> 0, Math.floor(v / 2 ** 32) >>> 0]) {
      h = Math.imul(h ^ word, 0x9e3779b1);
      h ^= h >>> 16;
      h = Math.imul(h, 0x85ebca6b);
      h ^= h >>> 13;
      h = Math.imul(h, 0xc2b2ae35);
      h ^= h >>> 16;
    }
  }
  return h >>> 0;
}
