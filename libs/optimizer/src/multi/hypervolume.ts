/**
 * Hypervolume of a set of outcome vectors, every objective maximised: the
 * volume of the union of the boxes [ref, p] over the points p that dominate
 * the reference point (strictly better in every objective). A point that does
 * not dominate the reference point counts for nothing. Exact for any number of
 * objectives: a sorted sweep for two, the slicing recursion (HSO) above, fine
 * for the three or four objectives and the few dozen front points of a campaign.
 */

/** Whether a is at least as good as b everywhere and better somewhere (maximisation). */
export function dominates(a: readonly number[], b: readonly number[]): boolean {
  let better = false;
  for (let i = 0; i < a.length; i++) {
    if (a[i] < b[i]) return false;
    if (a[i] > b[i]) better = true;
  }
  return better;
}

/** Indices of the non-dominated points (duplicates keep their first copy). */
export function nonDominatedIndices(points: readonly (readonly number[])[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < points.length; i++) {
    let keep = true;
    for (let j = 0; j < points.length && keep; j++) {
      if (j === i) continue;
      if (dominates(points[j], points[i])) keep = false;
      else if (j < i && points[j].every((v, k) => v === points[i][k])) keep = false;
    }
    if (keep) out.push(i);
  }
  return out;
}

/** The non-dominated points (maximisation), in their original order. */
export function nonDominated(points: readonly (readonly number[])[]): number[][] {
  return nonDominatedIndices(points).map((i) => [...points[i]]);
}

/** Points that strictly dominate the reference point: the only ones that add volume. */
function beyond(points: readonly (readonly number[])[], ref: readonly number[]): number[][] {
  return points.filter((p) => p.every((v, i) => v > ref[i])).map((p) => [...p]);
}

export function hypervolume(points: readonly (readonly number[])[], ref: readonly number[]): number {
  const m = ref.length;
  for (const p of points) if (p.length !== m) throw new Error(`a point has ${p.length} values, the reference point ${m}`);
  const pts = beyond(points, ref);
  if (pts.length === 0) return 0;
  return volume(m > 2 ? nonDominated(pts) : pts, ref);
}

function volume(pts: number[][], ref: readonly number[]): number {
  const m = ref.length;
  if (pts.length === 0) return 0;
  if (m === 1) return Math.max(...pts.map((p) => p[0])) - ref[0];
  if (m === 2)
    return sweep2(
      pts.sort((a, b) => b[0] - a[0] || b[1] - a[1]),
      ref,
    );
  // Slices along the last objective: between consecutive values of it (best first),
  // the slab is covered by the projection of the points at least that good.
  const s = [...pts].sort((a, b) => b[m - 1] - a[m - 1]);
  let hv = 0;
  for (let i = 0; i < s.length; i++) {
    const next = i + 1 < s.length ? s[i + 1][m - 1] : ref[m - 1];
    const depth = s[i][m - 1] - next;
    if (depth <= 0) continue;
    const slab = s.slice(0, i + 1).map((p) => p.slice(0, m - 1));
    hv += depth * volume(m - 1 > 2 ? nonDominated(slab) : slab, ref.slice(0, m - 1));
  }
  return hv;
}

/** Two objectives, points sorted by the first objective, best first: each adds the strip above the best second value so far. */
function sweep2(sorted: readonly (readonly number[])[], ref: readonly number[]): number {
  let hv = 0;
  let top = ref[1];
  for (const p of sorted) {
    if (p[1] > top) {
      hv += (p[0] - ref[0]) * (p[1] - top);
      top = p[1];
    }
  }
  return hv;
}

/**
 * A front prepared for many hypervolume-improvement queries (the Monte Carlo
 * samples of an acquisition): its points beyond the reference point,
 * non-dominated, sorted by the first objective (best first).
 */
export class PreparedFront {
  readonly points: number[][];
  readonly volume: number;

  constructor(
    points: readonly (readonly number[])[],
    readonly ref: readonly number[],
  ) {
    this.points = nonDominated(beyond(points, ref)).sort((a, b) => b[0] - a[0] || b[1] - a[1]);
    this.volume = volume(
      this.points.map((p) => [...p]),
      ref,
    );
  }

  /**
   * The volume y adds to the front: the box [ref, y] less the part the front
   * already covers, which is the hypervolume of the front clipped to y (the
   * points min(f, y)).
   */
  improvement(y: ArrayLike<number>): number {
    const ref = this.ref;
    const m = ref.length;
    let box = 1;
    for (let i = 0; i < m; i++) {
      if (!(y[i] > ref[i])) return 0;
      box *= y[i] - ref[i];
    }
    if (m === 2) {
      // The clipped front keeps the order of the first objective: one sweep.
      let covered = 0;
      let top = ref[1];
      for (const f of this.points) {
        const a = Math.min(f[0], y[0]);
        const b = Math.min(f[1], y[1]);
        if (b > top) {
          covered += (a - ref[0]) * (b - top);
          top = b;
        }
      }
      return Math.max(box - covered, 0);
    }
    const clipped = this.points.map((f) => f.map((v, i) => Math.min(v, y[i])));
    return Math.max(box - hypervolume(clipped, ref), 0);
  }
}
