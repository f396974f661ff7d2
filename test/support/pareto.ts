/**
 * Independent reckonings of a front and its hypervolume, for tests to check
 * what the API reports against (written apart from the service's own code).
 */

/** Whether a dominates b, every objective maximised. */
export const dominates = (a: number[], b: number[]): boolean => a.every((x, i) => x >= b[i]) && a.some((x, i) => x > b[i]);

/** The hypervolume of two maximised objectives above ref, by a sweep. */
export function hypervolume2(points: number[][], ref: number[]): number {
  const pts = points.filter((p) => p[0] > ref[0] && p[1] > ref[1]).sort((a, b) => b[0] - a[0]);
  let hv = 0;
  let top = ref[1];
  for (const p of pts) {
    if (p[1] > top) {
      hv += (p[0] - ref[0]) * (p[1] - top);
      top = p[1];
    }
  }
  return hv;
}
