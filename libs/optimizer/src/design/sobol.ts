import { Rng } from '#random';
import { DesignError, requireInteger } from './errors.js';
import { JOE_KUO_MAX_DIMENSION, joeKuoRow } from './joe-kuo.js';

/**
 * Sobol low-discrepancy sequence in base 2 (I. M. Sobol', 1967), with the
 * Joe–Kuo direction numbers (new-joe-kuo-6.21201, see joe-kuo.ts) and points
 * in Gray-code order (Antonov and Saleev, 1979), 32 bits per coordinate.
 *
 * Randomisation: each dimension's generator matrix is multiplied on the left by
 * a random lower-triangular binary matrix with unit diagonal (linear matrix
 * scrambling, Matoušek 1998), then every point gets a random digital shift
 * (XOR with a random 32-bit vector). Both keep the net properties: the first
 * 2^m points of every dimension still fall one in each of the 2^m equal bins,
 * and the points are uniform on [0,1)^d. The scrambling is drawn from an Rng
 * seeded with `seed`, dimension by dimension, so a seed reproduces the points
 * and the first k coordinates do not depend on how many dimensions follow.
 *
 * Balance properties hold for blocks of 2^m points starting at a multiple of
 * 2^m: prefer powers of two for n and skip.
 */

const BITS = 32;
const SCALE = 2 ** -BITS;

/** The most dimensions a Sobol sequence can have here (the embedded direction numbers). */
export const SOBOL_MAX_DIMENSION = JOE_KUO_MAX_DIMENSION;
/** The most points one sequence can produce (32-bit coordinates). */
export const SOBOL_MAX_POINTS = 2 ** BITS;

export interface SobolOptions {
  /** Randomise the points (linear matrix scrambling plus digital shift). Default: true when a seed is given. */
  scramble?: boolean;
  /** Seed of the scrambling; required when scrambling. */
  seed?: number;
}

export class SobolSequence {
  readonly dimension: number;
  readonly scrambled: boolean;
  /** directions[j * BITS + k]: direction number v_{k+1} of dimension j, as a 32-bit binary fraction. */
  private readonly directions: Uint32Array;
  /** The digital shift of each dimension (zeros when not scrambled). */
  private readonly shift: Uint32Array;
  /** The current point, as 32-bit binary fractions, shift included. */
  private readonly state: Uint32Array;
  private position = 0;

  constructor(dim: number, options: SobolOptions = {}) {
    requireInteger('Sobol dimension', dim, 1);
    if (dim > SOBOL_MAX_DIMENSION) {
      throw new DesignError('unsupported-dimension', `Sobol sequences are available up to ${SOBOL_MAX_DIMENSION} dimensions, got ${dim}`);
    }
    const scramble = options.scramble ?? options.seed !== undefined;
    if (scramble && (options.seed === undefined || !Number.isFinite(options.seed))) {
      throw new DesignError('invalid-argument', `a scrambled Sobol sequence needs a finite seed, got ${String(options.seed)}`);
    }
    this.dimension = dim;
    this.scrambled = scramble;
    this.directions = new Uint32Array(dim * BITS);
    this.shift = new Uint32Array(dim);
    const rng = scramble ? new Rng(options.seed as number) : undefined;
    for (let j = 0; j < dim; j++) {
      let v = directionNumbers(j + 1);
      if (rng) {
        v = scrambleMatrix(v, rng);
        this.shift[j] = rng.nextUint32();
      }
      this.directions.set(v, j * BITS);
    }
    this.state = Uint32Array.from(this.shift);
  }

  /** Index of the point the next call to next() returns. */
  get index(): number {
    return this.position;
  }

  /** The next point, in [0,1)^dim. The first unscrambled point is the origin. */
  next(): number[] {
    if (this.position >= SOBOL_MAX_POINTS) {
      throw new DesignError('invalid-argument', `a Sobol sequence has at most 2^${BITS} points`);
    }
    const point = Array.from(this.state, (x) => x * SCALE);
    this.position += 1;
    if (this.position < SOBOL_MAX_POINTS) {
      // Gray code: point i+1 differs from point i by the direction of the lowest set bit of i+1.
      const c = trailingZeros(this.position);
      for (let j = 0; j < this.dimension; j++) this.state[j] ^= this.directions[j * BITS + c];
    }
    return point;
  }

  /** Advances by n points without producing them (O(dim * 32), whatever n). */
  skip(n: number): void {
    requireInteger('Sobol skip', n, 0, SOBOL_MAX_POINTS - this.position);
    this.position += n;
    this.seek(this.position);
  }

  /** Sets the state to point `index` directly from its Gray code. */
  private seek(index: number): void {
    const gray = index < SOBOL_MAX_POINTS ? (index ^ (index >>> 1)) >>> 0 : 0;
    for (let j = 0; j < this.dimension; j++) {
      let x = this.shift[j];
      for (let k = 0; k < BITS; k++) if ((gray >>> k) & 1) x ^= this.directions[j * BITS + k];
      this.state[j] = x >>> 0;
    }
  }
}

/**
 * Scrambled Sobol points skip, ..., skip + n - 1 in [0,1)^dim, reproducible
 * from `seed`. Use n and skip that are powers of two (or multiples of one)
 * to keep the stratification.
 */
export function sobolPoints(dim: number, n: number, seed: number, skip = 0): number[][] {
  requireInteger('number of Sobol points', n, 0, SOBOL_MAX_POINTS);
  const seq = new SobolSequence(dim, { scramble: true, seed });
  seq.skip(skip);
  const points: number[][] = [];
  for (let i = 0; i < n; i++) points.push(seq.next());
  return points;
}

/** Direction numbers v_k = m_k / 2^k, k = 1..32, of a 1-based dimension, as 32-bit binary fractions. */
function directionNumbers(dimension: number): Uint32Array {
  const v = new Uint32Array(BITS);
  if (dimension === 1) {
    // van der Corput: m_k = 1 for every k.
    for (let k = 0; k < BITS; k++) v[k] = 2 ** (BITS - 1 - k);
    return v;
  }
  const { degree: s, a, m } = joeKuoRow(dimension);
  for (let k = 0; k < s; k++) v[k] = m[k] * 2 ** (BITS - 1 - k);
  // m_k = 2 a_1 m_{k-1} ^ 4 a_2 m_{k-2} ^ ... ^ 2^(s-1) a_{s-1} m_{k-s+1} ^ 2^s m_{k-s} ^ m_{k-s},
  // which for v_k = m_k / 2^k reads v_k = a_1 v_{k-1} ^ ... ^ a_{s-1} v_{k-s+1} ^ v_{k-s} ^ (v_{k-s} >> s).
  for (let k = s; k < BITS; k++) {
    let x = v[k - s] ^ (v[k - s] >>> s);
    for (let i = 1; i < s; i++) if ((a >>> (s - 1 - i)) & 1) x ^= v[k - i];
    v[k] = x >>> 0;
  }
  return v;
}

/**
 * Left-multiplies a generator matrix (columns = direction numbers, row r =
 * binary digit r + 1 of the fraction) by a random lower-triangular matrix
 * with unit diagonal: output digit r is the parity of input digits 1..r
 * selected by row r of the scrambling matrix.
 */
function scrambleMatrix(v: Uint32Array, rng: Rng): Uint32Array {
  const rows = new Uint32Array(BITS);
  for (let r = 0; r < BITS; r++) {
    const above = r === 0 ? 0 : (rng.nextUint32() & (-1 << (BITS - r))) >>> 0;
    rows[r] = (above | (1 << (BITS - 1 - r))) >>> 0;
  }
  const out = new Uint32Array(BITS);
  for (let k = 0; k < BITS; k++) {
    let x = 0;
    for (let r = 0; r < BITS; r++) if (parity(rows[r] & v[k])) x |= 1 << (BITS - 1 - r);
    out[k] = x >>> 0;
  }
  return out;
}

function parity(x: number): number {
  x ^= x >>> 16;
  x ^= x >>> 8;
  x ^= x >>> 4;
  x ^= x >>> 2;
  x ^= x >>> 1;
  return x & 1;
}

/** Number of trailing zero bits of a positive integer below 2^32. */
function trailingZeros(i: number): number {
  return 31 - Math.clz32(i & -i);
}
