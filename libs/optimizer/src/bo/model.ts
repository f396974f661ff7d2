/**
 * The objective's model: a GP on (optionally warped) outcomes. With warp
 * 'auto', a GP is fitted to the raw outcomes and to log-warped ones (one per
 * δ fraction), and the one with the largest evidence for the raw data wins:
 * log p(y) of a warped model is its log marginal likelihood (plus log prior)
 * plus Σ log |w'(y_i)|.
 */
import { GaussianProcess, type GpOptions } from '../surrogates/gp.js';
import { IDENTITY_WARP, logWarp, type OutcomeWarp } from './warp.js';

export type WarpMode = 'none' | 'log' | 'auto';

export interface FittedObjective {
  gp: GaussianProcess;
  warp: OutcomeWarp;
  /** Evidence of each candidate warp (log p(y) up to a shared constant; the losers' on the subsample when compared on one). */
  evidence: Record<string, number>;
}

/**
 * Above this many points, 'auto' refits only the last winner, and compares
 * warps every COMPARE_EVERY fits, by GPs fitted to a subsample of COMPARE_ON
 * points (each warp's full fit would cost as much as the winner's).
 */
const LARGE = 100;
const COMPARE_EVERY = 8;
const COMPARE_ON = 128;

export class ObjectiveModel {
  private readonly gps = new Map<string, GaussianProcess>();
  /** Per warp, the GP of the comparisons on a subsample (warm-started from one comparison to the next). */
  private readonly compared = new Map<string, GaussianProcess>();
  private lastWinner: string | undefined;
  private fits = 0;

  /** `warpFractions`: the δ fractions tried by the log warp (see warp.ts). */
  constructor(
    private readonly gpOptions: GpOptions = {},
    private readonly mode: WarpMode = 'auto',
    private readonly warpFractions: readonly number[] = [0.1, 0.3, 1],
  ) {}

  /** Fits to maximisation outcomes y (already signed), measured in `blocks` where given (see GaussianProcess.fit). */
  fit(X: number[][], y: number[], blocks?: readonly (string | null | undefined)[]): FittedObjective {
    const warps: OutcomeWarp[] = [];
    if (this.mode !== 'log') warps.push(IDENTITY_WARP);
    if (this.mode !== 'none' && y.length >= 3) for (const f of this.warpFractions) warps.push(logWarp(y, f));
    if (warps.length === 0) warps.push(IDENTITY_WARP);
    this.fits++;
    if (y.length > LARGE && this.fits % COMPARE_EVERY !== 0 && warps.some((w) => w.label === this.lastWinner)) {
      warps.splice(0, warps.length, ...warps.filter((w) => w.label === this.lastWinner));
    }
    let best: FittedObjective | undefined;
    let bestScore = -Infinity;
    const evidence: FittedObjective['evidence'] = {};
    if (y.length > LARGE && warps.length > 1) {
      // Choose on a subsample, then fit only the winner to all the data.
      const chosen = subsample(y.length, COMPARE_ON);
      const Xs = chosen.map((i) => X[i]);
      const ys = chosen.map((i) => y[i]);
      let winner = warps[0];
      for (const warp of warps) {
        let gp = this.compared.get(warp.label);
        if (!gp) {
          gp = new GaussianProcess({ ...this.gpOptions, incremental: false });
          this.compared.set(warp.label, gp);
        }
        gp.fit(
          Xs,
          ys.map((v) => warp.forward(v)),
          blocks && chosen.map((i) => blocks[i]),
        );
        const score = gp.logEvidence + ys.reduce((s, v) => s + warp.logDerivative(v), 0);
        evidence[warp.label] = score;
        if (score > bestScore) {
          winner = warp;
          bestScore = score;
        }
      }
      warps.splice(0, warps.length, winner);
      bestScore = -Infinity;
    }
    for (const warp of warps) {
      let gp = this.gps.get(warp.label);
      if (!gp) {
        gp = new GaussianProcess(this.gpOptions);
        this.gps.set(warp.label, gp);
      }
      gp.fit(
        X,
        y.map((v) => warp.forward(v)),
        blocks,
      );
      const score = gp.logEvidence + y.reduce((s, v) => s + warp.logDerivative(v), 0);
      evidence[warp.label] = score;
      if (!best || score > bestScore) {
        best = { gp, warp, evidence };
        bestScore = score;
      }
    }
    this.lastWinner = best?.warp.label;
    return best as FittedObjective;
  }
}

/** An evenly spread subsample of m of the indices 0..n-1 (all of them when n <= m), the same for the same n. */
function subsample(n: number, m: number): number[] {
  if (n <= m) return Array.from({ length: n }, (_, i) => i);
  return Array.from({ length: m }, (_, k) => Math.floor((k * n) / m));
}
