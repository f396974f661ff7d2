/**
 * Questions to a campaign's model, for a person rather than a strategy: the
 * prediction (mean ± sd) and acquisition value at given points, the model's
 * predicted optimum with its uncertainty, and one-parameter slices through a
 * point. The model is the Bayesian strategy's own: the same encoding, the
 * same GP with outcome warping chosen by evidence, and block offsets where the
 * results come in blocks; the acquisition is the campaign's, against the best
 * result, with nothing pending (as the next single proposal would see it).
 */
import { Rng } from '#random';
import {
  acquisitionFor,
  acquisitionProblems,
  DEFAULT_ACQUISITION,
  resolvedAcquisition,
  type AcquisitionChoice,
} from '../acquisition/choice.js';
import type { Acquisition } from '../acquisition/analytic.js';
import type { Params, ParamValue, Space } from '../space.js';
import type { Direction, Observation } from '../strategy-interface.js';
import type { GaussianProcess, GpOptions } from '../surrogates/gp.js';
import { Encoder, type EncoderOptions } from './encoding.js';
import { ObjectiveModel } from './model.js';
import { maximizeAcquisition } from './optimize.js';
import type { OutcomeWarp } from './warp.js';

/** Fewer results than this and there is no model to ask. */
export const MIN_MODEL_RESULTS = 3;
/** Points of a continuous slice, and most levels of an integer one. */
export const SLICE_POINTS = 41;

export interface ModelPrediction {
  params: Params;
  /** Posterior mean and sd of the objective, in its own units. */
  mean: number;
  sd: number;
  /** The campaign's acquisition at the point; null for Thompson sampling (a random draw, not a value of the point). */
  acquisition: number | null;
}

export interface ModelSlice {
  parameter: string;
  /** The point the slice goes through: every other parameter keeps its value there. */
  through: Params;
  points: { value: ParamValue; mean: number; sd: number; feasible: boolean }[];
}

export interface CampaignModelOptions {
  encoding?: EncoderOptions;
  acquisition?: AcquisitionChoice;
  gp?: GpOptions;
  seed: number;
}

export class CampaignModel {
  private readonly enc: Encoder;
  private readonly sign: number;
  private readonly acquisition: AcquisitionChoice;
  private readonly acq: Acquisition | undefined;

  private constructor(
    readonly space: Space,
    direction: Direction,
    private readonly gp: GaussianProcess,
    private readonly warp: OutcomeWarp,
    enc: Encoder,
    incumbent: number,
    /** The best result (in the objective's units) and where it was measured. */
    readonly best: { params: Params; value: number },
    readonly results: number,
    private readonly options: CampaignModelOptions,
  ) {
    this.enc = enc;
    this.sign = direction === 'maximize' ? 1 : -1;
    this.acquisition = resolvedAcquisition(options.acquisition ?? DEFAULT_ACQUISITION);
    this.acq =
      this.acquisition.kind === 'thompson' ? undefined : acquisitionFor(this.acquisition, gp, incumbent, new Rng(options.seed >>> 0));
  }

  /** The model of these results, or undefined with fewer than MIN_MODEL_RESULTS that gave a value. */
  static fit(
    space: Space,
    direction: Direction,
    observations: readonly Observation[],
    options: CampaignModelOptions,
  ): CampaignModel | undefined {
    const problems = acquisitionProblems(options.acquisition ?? DEFAULT_ACQUISITION);
    if (problems.length > 0) throw new Error(problems.join('; '));
    const enc = new Encoder(space, options.encoding ?? {});
    const ok = observations.filter(
      (o) => !o.failed && typeof o.value === 'number' && Number.isFinite(o.value) && space.check(o.params).length === 0,
    );
    if (ok.length < MIN_MODEL_RESULTS) return undefined;
    const sign = direction === 'maximize' ? 1 : -1;
    const raw = ok.map((o) => sign * (o.value as number));
    const blocks = ok.some((o) => o.block !== undefined) ? ok.map((o) => o.block ?? null) : undefined;
    const { gp, warp } = new ObjectiveModel(options.gp).fit(
      ok.map((o) => enc.encode(o.params)),
      raw,
      blocks,
    );
    const offsets = gp.blockOffsets();
    const y = raw.map((v) => warp.forward(v));
    const incumbent = Math.max(...y.map((v, i) => v - offsets[i]));
    const top = raw.indexOf(Math.max(...raw));
    return new CampaignModel(
      space,
      direction,
      gp,
      warp,
      enc,
      incumbent,
      { params: ok[top].params, value: ok[top].value as number },
      ok.length,
      options,
    );
  }

  /** What the acquisition is, as recorded in a proposal's provenance. */
  get acquisitionChoice(): AcquisitionChoice {
    return { ...this.acquisition };
  }

  /** Mean ± sd and the acquisition at each point (points already checked against the space). */
  predict(points: readonly Params[]): ModelPrediction[] {
    if (points.length === 0) return [];
    const X = points.map((p) => this.enc.encode(p));
    const acq = this.acq?.evaluate(X);
    return this.describe(X).map((d, i) => ({ params: points[i], ...d, acquisition: acq ? finiteOrNull(acq[i]) : null }));
  }

  /**
   * Where the model's posterior mean is best over the space (within its
   * constraints), with the sd there: a multi-start search as for a proposal,
   * on the mean instead of the acquisition.
   */
  optimum(): ModelPrediction {
    const gp = this.gp;
    const mean: Acquisition = { name: 'posterior mean', evaluate: (X) => gp.posterior(X).mean };
    const found = maximizeAcquisition(mean, this.enc, {
      seed: this.options.seed >>> 0,
      rawSamples: 1024,
      starts: 8,
      extra: [this.enc.encode(this.best.params)],
    });
    const params = found ? this.enc.decode(found.x) : this.best.params;
    return this.predict([params])[0];
  }

  /** The model along one parameter, every other held at `through` (default: the best result). */
  slice(parameter: string, through: Params = this.best.params): ModelSlice {
    const p = this.space.parameters.find((q) => q.name === parameter);
    if (!p) throw new Error(`unknown parameter "${parameter}"`);
    let values: ParamValue[];
    switch (p.type) {
      case 'continuous':
        values = Array.from({ length: SLICE_POINTS }, (_, i) => {
          const t = i / (SLICE_POINTS - 1);
          return p.scale === 'log' ? p.low * (p.high / p.low) ** t : p.low + t * (p.high - p.low);
        });
        values[values.length - 1] = p.high;
        break;
      case 'integer': {
        const span = p.high - p.low;
        const step = Math.max(1, Math.ceil(span / (SLICE_POINTS - 1)));
        values = [];
        for (let v = p.low; v < p.high; v += step) values.push(v);
        values.push(p.high);
        break;
      }
      case 'categorical':
        values = [...p.choices];
        break;
      case 'composition':
        throw new Error(`parameter "${parameter}" is a composition: a slice varies one number or choice`);
    }
    const points = values.map((v) => ({ ...through, [parameter]: v }));
    const X = points.map((q) => this.enc.encode(q));
    const described = this.describe(X);
    return {
      parameter,
      through,
      points: values.map((value, i) => ({ value, ...described[i], feasible: this.space.check(points[i]).length === 0 })),
    };
  }

  /** Mean and sd in the objective's units: back through the (monotone) warp, as a proposal's prediction is. */
  private describe(X: number[][]): { mean: number; sd: number }[] {
    const post = this.gp.posterior(X);
    return X.map((_, i) => {
      const m = post.mean[i];
      const s = Math.sqrt(Math.max(post.variance[i], 0));
      return {
        mean: this.sign * this.warp.inverse(m),
        sd: Math.abs(this.warp.inverse(m + s) - this.warp.inverse(m - s)) / 2,
      };
    });
  }
}

function finiteOrNull(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}
