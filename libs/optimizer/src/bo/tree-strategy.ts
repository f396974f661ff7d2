/**
 * Bayesian optimisation that scales: an extremely-randomised-trees ensemble
 * (uncertainty by the law of total variance) with log expected improvement,
 * for campaigns with thousands of observations where an exact GP is too slow.
 * The tree acquisition is piecewise constant, so it is maximised over many
 * candidates (scrambled Sobol points plus perturbations of the best
 * observations, categoricals on exact choices) rather than by gradients.
 * Batches and pending experiments are kept apart by local penalisation
 * (González et al., AISTATS 2016): the acquisition is multiplied by
 * 1 − exp(−d²/2r²) around every chosen or pending point.
 */
import { logEI } from '../acquisition/analytic.js';
import { DesignStrategy } from '../design/strategy.js';
import { sobolPoints } from '../design/sobol.js';
import { Rng } from '../rng.js';
import type { Params } from '../space.js';
import type { AskRequest, Proposal, Strategy, StrategyInfo } from '../strategy.js';
import { ExtraTrees, type ExtraTreesOptions } from '../surrogates/extra-trees.js';
import { Encoder, encoderDefaults, writeChoice, type EncoderOptions } from './encoding.js';
import { inInitialDesign, initialDesignSize } from './initial-design.js';

export interface TreeStrategyOptions {
  /** Design points (observed or pending) before the model takes over; default max(5, d + 1). */
  initialDesign?: number;
  /** Sobol candidates per proposal. Default 4096. */
  rawSamples?: number;
  /** Best observations around which candidates are perturbed. Default 16. */
  localCentres?: number;
  /** Perturbations per centre. Default 64. */
  perturbations?: number;
  /** Radius of the local penalty around chosen and pending points (RMS distance per parameter). Default 0.1. */
  penaltyRadius?: number;
  /** A proposal farther than this from every observation is flagged (RMS distance per parameter). Default 0.25. */
  extrapolationDistance?: number;
  trees?: ExtraTreesOptions;
  /** How categorical choices with descriptors and compositions reach the trees (see EncoderOptions); default descriptors for both. */
  encoding?: EncoderOptions;
}

export class TreeEnsembleStrategy implements Strategy {
  readonly info: StrategyInfo;
  private readonly o: Required<Omit<TreeStrategyOptions, 'initialDesign' | 'trees' | 'encoding'>> &
    Pick<TreeStrategyOptions, 'initialDesign' | 'trees'> & { encoding: EncoderOptions };
  private readonly design = new DesignStrategy({ kind: 'sobol' });

  constructor(options: TreeStrategyOptions = {}) {
    this.o = {
      initialDesign: options.initialDesign,
      rawSamples: options.rawSamples ?? 4096,
      localCentres: options.localCentres ?? 16,
      perturbations: options.perturbations ?? 64,
      penaltyRadius: options.penaltyRadius ?? 0.1,
      extrapolationDistance: options.extrapolationDistance ?? 0.25,
      trees: options.trees,
      encoding: { ...options.encoding },
    };
    this.info = {
      name: 'bayesian/extra-trees-logei',
      settings: {
        surrogate: 'extremely randomised trees, law-of-total-variance uncertainty',
        acquisition: 'logEI (+ log P(feasible) after failures)',
        batch: 'local penalisation',
        ...this.o,
        trees: { ...options.trees },
        encoding: encoderDefaults(this.o.encoding),
      },
    };
  }

  async ask(request: AskRequest): Promise<Proposal[]> {
    const { space, n } = request;
    if (n <= 0) return [];
    const enc = new Encoder(space, this.o.encoding);
    const valid = (p: Params) => space.check(p).length === 0;
    const observed = request.observations.filter((o) => valid(o.params));
    const ok = observed.filter((o) => !o.failed && typeof o.value === 'number' && Number.isFinite(o.value));
    if (
      inInitialDesign(
        { observed: observed.length, pending: request.pending.length, succeeded: ok.length },
        initialDesignSize(space, this.o.initialDesign),
      )
    ) {
      return this.design.ask(request);
    }

    const sign = request.direction === 'maximize' ? 1 : -1;
    const X = ok.map((o) => enc.encode(o.params));
    const y = ok.map((o) => sign * (o.value as number));
    const model = new ExtraTrees({ seed: request.seed, ...this.o.trees });
    model.fit(X, y);
    const best = Math.max(...y);
    const objective = logEI(model, best);

    // Where experiments failed, a second forest learns P(feasible) from 1/0 labels.
    const failures = observed.filter((o) => o.failed).length;
    let feasibility: ExtraTrees | undefined;
    if (failures > 0) {
      feasibility = new ExtraTrees({ seed: request.seed + 1, ...this.o.trees });
      feasibility.fit(
        observed.map((o) => enc.encode(o.params)),
        observed.map((o) => (o.failed ? 0 : 1)),
      );
    }

    const rng = new Rng(request.seed ^ (observed.length * 7919));
    const candidates = this.candidates(enc, X, y, rng, request.seed + observed.length);
    const base = objective.evaluate(candidates);
    if (feasibility) {
      const p = feasibility.posterior(candidates).mean;
      for (let i = 0; i < candidates.length; i++) base[i] += Math.log(Math.min(1, Math.max(0.02, p[i])));
    }

    const taken = new Set<string>([
      ...observed.map((o) => space.key(o.params)),
      ...request.pending.map((p) => space.key(p)),
      ...(request.rejected ?? []).map((p) => space.key(p)),
    ]);
    const centres = request.pending.filter(valid).map((p) => enc.encode(p));
    const r2 = 2 * this.o.penaltyRadius ** 2;
    const score = Float64Array.from(base);
    for (const c of centres) penalise(score, candidates, enc, c, r2);

    const chosen: { x: number[]; value: number }[] = [];
    while (chosen.length < n) {
      let bestIndex = -1;
      for (let i = 0; i < candidates.length; i++) {
        if (Number.isFinite(score[i]) && (bestIndex < 0 || score[i] > score[bestIndex]) && !taken.has(space.key(enc.decode(candidates[i]))))
          bestIndex = i;
      }
      if (bestIndex < 0) break;
      const x = candidates[bestIndex];
      taken.add(space.key(enc.decode(x)));
      chosen.push({ x, value: base[bestIndex] });
      penalise(score, candidates, enc, x, r2);
      score[bestIndex] = -Infinity;
    }
    if (chosen.length < n) {
      // A finite space nearly exhausted: fill from the design, which never repeats a point.
      const more = await this.design.ask({
        ...request,
        n: n - chosen.length,
        pending: [...request.pending, ...chosen.map((c) => enc.decode(c.x))],
      });
      return [...this.describe(chosen, enc, model, X, sign), ...more];
    }
    return this.describe(chosen, enc, model, X, sign);
  }

  private candidates(enc: Encoder, X: number[][], y: number[], rng: Rng, seed: number): number[][] {
    const out = sobolPoints(enc.space.dimension, this.o.rawSamples, seed).map((u) => enc.fromUnit(u));
    const order = y.map((v, i) => [v, i] as const).sort((a, b) => b[0] - a[0]);
    for (const [, i] of order.slice(0, this.o.localCentres)) {
      for (let k = 0; k < this.o.perturbations; k++) {
        const x = X[i].slice();
        const scale = 0.02 + 0.18 * rng.next();
        for (const j of enc.continuous) x[j] += scale * rng.normal();
        for (const g of enc.integers) x[g.index] += (scale * rng.normal() * g.levels) / Math.max(1, g.levels - 1);
        for (const b of enc.categoricals) {
          if (rng.next() < 0.2) {
            for (let c = 0; c < b.size; c++) x[b.offset + c] = 0;
            x[b.offset + rng.int(b.size)] = 1;
          }
        }
        // A categorical encoded by its descriptors: another choice's exact vector.
        for (const b of enc.descriptorCategoricals) if (rng.next() < 0.2) writeChoice(b, rng.int(b.vectors.length), x);
        out.push(enc.snap(x));
      }
    }
    return out;
  }

  private describe(chosen: { x: number[]; value: number }[], enc: Encoder, model: ExtraTrees, X: number[][], sign: number): Proposal[] {
    if (chosen.length === 0) return [];
    const post = model.posterior(chosen.map((c) => c.x));
    return chosen.map((c, i) => {
      let nearest = Infinity;
      for (const x of X) nearest = Math.min(nearest, enc.distance(c.x, x));
      const proposal: Proposal = {
        params: enc.decode(c.x),
        prediction: { mean: sign * post.mean[i], sd: Math.sqrt(Math.max(post.variance[i], 0)) },
        acquisition: c.value,
      };
      if (nearest > this.o.extrapolationDistance) {
        proposal.extrapolation = `no measured point within ${this.o.extrapolationDistance} (nearest at ${nearest.toFixed(2)}, RMS distance per parameter on the unit scale): the model extrapolates`;
      }
      return proposal;
    });
  }
}

function penalise(score: Float64Array, candidates: number[][], enc: Encoder, centre: number[], r2: number): void {
  for (let i = 0; i < candidates.length; i++) {
    const d = enc.distance(candidates[i], centre);
    score[i] += Math.log(Math.max(1e-12, 1 - Math.exp((-d * d) / r2)));
  }
}
