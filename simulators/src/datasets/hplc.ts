/**
 * HPLC sampling calibration (ChemOS): 1,386 measurements at 1,007 scattered
 * settings of 6 continuous variables. Not a grid, so the emulator is a k-NN
 * regression fitted at start: inputs scaled to [0, 1] by the documented
 * ranges and multiplied by per-input relevance weights, inverse-distance
 * weights (power p), and k and p chosen by leave-one-setting-out
 * cross-validation (a setting's replicate is left out with it, so the score
 * is honest about unseen settings). `fit` holds the measured quality.
 *
 * The default relevance weights came from a coordinate search on that
 * cross-validated RMSE (`tune: true` redoes it at start, ~1–3 s): with equal
 * weights R² was 0.45 (RMSE 397); with the weights below R² ≈ 0.75 (RMSE ≈ 266,
 * k = 8, p = 1) — see simulators/README.md. additional_volume and wait_time
 * got weight 0: within their ranges they barely move the peak area.
 *
 * Data: hplc_chemos.csv from aspuru-guzik-group/olympus @ 440b6b5, src/olympus/datasets/dataset_hplc/data.csv (MIT, Olympus;
 * first in aspuru-guzik-group/phoenics, Apache-2.0).
 * Cite: L. M. Roch et al., "ChemOS: an orchestration software to democratize autonomous discovery", chemRxiv (2018),
 *       doi:10.26434/chemrxiv.5953606.v1; F. Häse et al., Mach. Learn.: Sci. Technol. 2, 035021 (2021).
 */
import type { Parameter } from '#optimizer';
import type { Capabilities } from '#protocol';
import { column, numberAt, readDataset, type CsvTable } from './csv.js';
import type { Emulator, EmulatorAnswer, EmulatorObjective, EmulatorParams } from './emulator.js';

export const HPLC_FILE = 'hplc_chemos.csv';

/** The six inputs with the ranges the dataset documents. */
export const HPLC_INPUTS = [
  { name: 'sample_loop', low: 0, high: 0.08, unit: 'mL' },
  { name: 'additional_volume', low: 0, high: 0.06, unit: 'mL' },
  { name: 'tubing_volume', low: 0.1, high: 0.9, unit: 'mL' },
  { name: 'sample_flow', low: 0.5, high: 2.5, unit: 'mL/min' },
  { name: 'push_speed', low: 80, high: 150, unit: 'Hz' },
  { name: 'wait_time', low: 0.5, high: 10, unit: 's' },
] as const;

const K_CANDIDATES = [1, 2, 3, 5, 8, 12, 16, 24];
const P_CANDIDATES = [0, 1, 2];
const K_MAX = Math.max(...K_CANDIDATES);
/** Relevance weights of the scaled inputs (order of HPLC_INPUTS), from a coordinate search on the cross-validated RMSE. */
export const HPLC_DEFAULT_WEIGHTS: readonly number[] = [4, 0, 8, 1, 0.5, 0];
const TUNE_FACTORS = [0, 0.25, 0.5, 2, 4];

export interface HplcOptions {
  /** Relevance weights per input; default HPLC_DEFAULT_WEIGHTS. */
  weights?: readonly number[];
  /** Re-tune the weights at start by coordinate search (rounds over the inputs). Default 0 (use the weights). */
  tuneRounds?: number;
}

export interface KnnFit {
  weights: number[];
  k: number;
  /** Inverse-distance weight power (0 = plain mean). */
  power: number;
  /** Leave-one-setting-out cross-validation of the chosen k and power. */
  rmse: number;
  mae: number;
  r2: number;
  /** Noise of the measurements themselves, from the settings measured twice: sd = sqrt(mean(diff²) / 2). */
  replicateSd: number;
  replicatePairs: number;
  rows: number;
  settings: number;
}

interface Neighbours {
  index: Int32Array;
  distance: Float64Array;
}

export class HplcEmulator implements Emulator {
  readonly name = 'hplc';
  readonly kind = 'hplc-emulator';
  readonly objectives: EmulatorObjective[] = [{ name: 'peak_area', direction: 'maximize', low: 0 }];
  readonly fit: KnnFit;
  /** Inputs scaled to [0, 1], row-major. */
  private readonly u: Float64Array;
  private readonly y: Float64Array;
  private readonly n: number;
  private readonly group: Int32Array;

  constructor(table: CsvTable, options: HplcOptions = {}) {
    const d = HPLC_INPUTS.length;
    const cols = HPLC_INPUTS.map((p) => column(table, p.name));
    const yCol = column(table, 'peak_area');
    this.n = table.rows.length;
    this.u = new Float64Array(this.n * d);
    this.y = new Float64Array(this.n);
    const group = new Int32Array(this.n);
    this.group = group;
    const groups = new Map<string, number>();
    table.rows.forEach((r, i) => {
      HPLC_INPUTS.forEach((p, k) => (this.u[i * d + k] = (numberAt(table, i, cols[k]) - p.low) / (p.high - p.low)));
      this.y[i] = numberAt(table, i, yCol);
      const key = cols.map((c) => r[c]).join(',');
      if (!groups.has(key)) groups.set(key, groups.size);
      group[i] = groups.get(key) as number;
    });
    const weights = [...(options.weights ?? HPLC_DEFAULT_WEIGHTS)];
    if (weights.length !== d || weights.some((w) => !(w >= 0)) || weights.every((w) => w === 0)) {
      throw new Error(`hplc: weights must be ${d} numbers >= 0, not all 0, got ${JSON.stringify(options.weights)}`);
    }
    let fit = this.crossValidate(weights, groups.size);
    for (let round = 0; round < (options.tuneRounds ?? 0); round++) {
      for (let k = 0; k < d; k++) {
        for (const f of TUNE_FACTORS) {
          const trial = [...fit.weights];
          trial[k] = trial[k] === 0 && f > 0 ? 0.5 * f : trial[k] * f;
          if (trial.every((w) => w === 0)) continue;
          const candidate = this.crossValidate(trial, groups.size);
          if (candidate.rmse < fit.rmse) fit = candidate;
        }
      }
    }
    this.fit = fit;
  }

  get capabilities(): Capabilities {
    return {
      parameters: Object.fromEntries(HPLC_INPUTS.map((p) => [p.name, { low: p.low, high: p.high, unit: p.unit }])),
      objectives: ['peak_area'],
      description: `HPLC calibration: ${this.fit.k}-NN emulator of ${HPLC_FILE} (cross-validated RMSE ${this.fit.rmse.toFixed(0)}, R² ${this.fit.r2.toFixed(2)})`,
    };
  }

  campaignParameters(): Parameter[] {
    return HPLC_INPUTS.map((p) => ({ name: p.name, type: 'continuous', low: p.low, high: p.high, scale: 'linear', unit: p.unit }));
  }

  evaluate(params: EmulatorParams): EmulatorAnswer {
    const q = new Float64Array(HPLC_INPUTS.length);
    for (const [k, p] of HPLC_INPUTS.entries()) {
      const v = params[p.name];
      if (typeof v !== 'number' || !Number.isFinite(v))
        return {
          ok: false,
          reason: v === undefined ? `missing parameter "${p.name}"` : `parameter "${p.name}" must be a number, got ${JSON.stringify(v)}`,
        };
      if (v < p.low || v > p.high)
        return { ok: false, reason: `parameter "${p.name}" = ${v} is outside the calibrated range [${p.low}, ${p.high}]` };
      q[k] = (v - p.low) / (p.high - p.low);
    }
    const nb = this.nearest(q, this.fit.weights, () => false);
    const value = Math.max(0, predict(nb, this.y, this.fit.k, this.fit.power));
    return { ok: true, values: { peak_area: value }, metadata: { emulator: `knn-${this.fit.k}`, nearest_distance: nb.distance[0] } };
  }

  /** The K_MAX nearest rows to q (scaled space, weighted), skipping `excluded` rows; ascending distance. */
  private nearest(q: Float64Array, weights: readonly number[], excluded: (j: number) => boolean): Neighbours {
    const w2 = weights.map((w) => w * w);
    const d = HPLC_INPUTS.length;
    const index = new Int32Array(K_MAX).fill(-1);
    const distance = new Float64Array(K_MAX).fill(Number.POSITIVE_INFINITY);
    for (let j = 0; j < this.n; j++) {
      if (excluded(j)) continue;
      let s = 0;
      for (let k = 0; k < d; k++) s += w2[k] * (this.u[j * d + k] - q[k]) ** 2;
      const dist = Math.sqrt(s);
      if (dist >= distance[K_MAX - 1]) continue;
      let pos = K_MAX - 1;
      while (pos > 0 && distance[pos - 1] > dist) {
        distance[pos] = distance[pos - 1];
        index[pos] = index[pos - 1];
        pos--;
      }
      distance[pos] = dist;
      index[pos] = j;
    }
    return { index, distance };
  }

  private crossValidate(weights: number[], settings: number): KnnFit {
    const d = HPLC_INPUTS.length;
    const group = this.group;
    const neighbours: Neighbours[] = [];
    for (let i = 0; i < this.n; i++)
      neighbours.push(this.nearest(this.u.subarray(i * d, (i + 1) * d), weights, (j) => group[j] === group[i]));
    const mean = this.y.reduce((a, b) => a + b, 0) / this.n;
    const ssTot = this.y.reduce((a, b) => a + (b - mean) ** 2, 0);
    let best: KnnFit | undefined;
    for (const k of K_CANDIDATES) {
      for (const power of P_CANDIDATES) {
        let ss = 0;
        let abs = 0;
        for (let i = 0; i < this.n; i++) {
          const e = predict(neighbours[i], this.y, k, power) - this.y[i];
          ss += e * e;
          abs += Math.abs(e);
        }
        const rmse = Math.sqrt(ss / this.n);
        if (!best || rmse < best.rmse)
          best = {
            weights,
            k,
            power,
            rmse,
            mae: abs / this.n,
            r2: 1 - ss / ssTot,
            replicateSd: 0,
            replicatePairs: 0,
            rows: this.n,
            settings,
          };
      }
    }
    const firstOf = new Map<number, number>();
    let diff2 = 0;
    let pairs = 0;
    for (let i = 0; i < this.n; i++) {
      const first = firstOf.get(group[i]);
      if (first === undefined) firstOf.set(group[i], i);
      else {
        diff2 += (this.y[i] - this.y[first]) ** 2;
        pairs++;
      }
    }
    return { ...(best as KnnFit), replicateSd: pairs > 0 ? Math.sqrt(diff2 / pairs / 2) : Number.NaN, replicatePairs: pairs };
  }
}

/** Inverse-distance-weighted mean of the k nearest; exact matches (distance 0) are averaged alone. */
function predict(nb: Neighbours, y: Float64Array, k: number, power: number): number {
  const exact: number[] = [];
  for (let m = 0; m < nb.index.length && nb.index[m] >= 0 && nb.distance[m] < 1e-12; m++) exact.push(y[nb.index[m]]);
  if (exact.length > 0) return exact.reduce((a, b) => a + b, 0) / exact.length;
  let num = 0;
  let den = 0;
  for (let m = 0; m < k && nb.index[m] >= 0; m++) {
    const w = power === 0 ? 1 : 1 / nb.distance[m] ** power;
    num += w * y[nb.index[m]];
    den += w;
  }
  return den > 0 ? num / den : 0;
}

export function hplcEmulator(options?: HplcOptions, dir?: string): HplcEmulator {
  return new HplcEmulator(readDataset(HPLC_FILE, dir), options);
}
