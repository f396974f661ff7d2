import {
  GaussianProcess,
  netOfBlocks,
  Space,
  type Direction,
  type GpHyperparameters,
  type LinearConstraint,
  type Parameter,
  type Params,
} from '#optimizer';
import { bestSoFar, crossValidate, pca2, permutationImportance, type Regressor } from './math.js';

export type PointState = 'observed' | 'failed' | 'pending' | 'in-progress';

/**
 * The console's figures for a campaign as a pure function of plain data, so
 * the service can compute them on a worker thread of its strategy pool: a GP
 * fit with hyperparameter search on up to 150 results, its cross-validation
 * and permutation importance take up to seconds of CPU. No Nest, no database:
 * the service turns its rows into an InsightsJob.
 */

/** What the console draws for a campaign. */
export interface CampaignInsights {
  campaignId: string;
  objective: { name: string; direction: 'minimize' | 'maximize' };
  /** The cross-validated model; null (with `note`) until there are enough results. */
  model: {
    kind: 'gaussian-process';
    validation: string;
    folds: number;
    observations: number;
    rmse: number;
    r2: number;
    lengthscales: Record<string, number>;
    /** Results the hyperparameters were last fitted to (they are reused until the results grow by a quarter). */
    hyperparametersFittedTo: number;
    /**
     * Where the campaign declares blocks (strategy.blocks): the model sees the
     * results net of the block offsets a GP with blocks estimates, as the
     * strategy does; `observed` in crossValidation is then net of them too.
     */
    netOfBlocks?: { blocks: number; estimated: number; offsetSd: number };
  } | null;
  note: string | null;
  /** Best value so far against experiment number (completed experiments, in order). */
  progress: { experimentId: string; index: number; value: number; best: number }[];
  /**
   * Predicted (out of fold) against observed, with the predictive sd: the
   * campaign's results and its imported ones (`imported: true`, `index` their
   * place among the imported results, `experimentId` null).
   */
  crossValidation: { experimentId: string | null; index: number; imported?: true; observed: number; predicted: number; sd: number }[];
  /** The explored space: PCA of the unit-cube encoded parameters. */
  projection: {
    axes: { explained: number; loadings: Record<string, number> }[];
    points: { experimentId: string; index: number; x: number; y: number; state: PointState; value: number | null }[];
  };
  /** Permutation importance on the cross-validated model, most important first. */
  importance: { parameter: string; importance: number; sd: number }[];
  /** The model's view of the proposals waiting for approval. */
  pending: { experimentId: string; index: number; mean: number; sd: number; extrapolation: string | null }[];
}

const MIN_OBSERVATIONS = 3;
/** The model sees the most recent results only: the page must stay cheap to update. */
const MAX_MODEL_POINTS = 150;
/** Hyperparameters are fitted again once the results grew by this factor; in between they are reused (a fit is the costly part). */
const REFIT_GROWTH = 1.25;

/** GP hyperparameters with the number of results they were fitted to. */
export interface FittedHyperparameters {
  hp: GpHyperparameters;
  observations: number;
}

/** What the figures read of a campaign's definition (a campaign definition has these fields, and more). */
export interface InsightsDefinition {
  parameters: readonly Parameter[];
  constraints?: readonly LinearConstraint[];
  objective: { name: string; direction: Direction };
}

/** What the figures read of an experiment: a copy of a few of its fields, cheap to send to a worker thread. */
export interface InsightsExperiment {
  id: string;
  index: number;
  /**
   * How the figures draw it: observed (a result), failed, pending (proposed, waiting for approval) or in
   * progress; absent where it is not drawn (rejected, cancelled). The service maps its lifecycle onto these.
   */
  state?: PointState;
  params: Params;
  /** The objective's value, when it completed. */
  objective: number | null;
  /** What the strategy said of it when it was proposed; its extrapolation warning is shown as is. */
  prediction: { extrapolation?: string } | null;
  /** The block it was measured in, where the campaign declares blocks (results are then taken net of their blocks' offsets). */
  block?: string;
}

/**
 * The console's figures for a campaign, as plain data: it crosses to a
 * worker thread of the strategy pool by structured clone, as an ask does.
 */
export interface InsightsJob {
  campaignId: string;
  seed: number;
  definition: InsightsDefinition;
  experiments: InsightsExperiment[];
  /** Imported earlier results with a value: the model learns from them as the strategy does. */
  imported?: ImportedPoint[];
  /** The hyperparameters of the last answer, reused until the results grew by REFIT_GROWTH. */
  previous?: FittedHyperparameters;
}

/** An imported result with a value, as the model reads it. */
export interface ImportedPoint {
  index: number;
  params: Params;
  objective: number;
  /** Its import, as a block, where the campaign declares blocks. */
  block?: string;
}

export interface InsightsOutcome {
  value: CampaignInsights;
  /** The hyperparameters to reuse next time (`previous` itself while it is reused). */
  fitted?: FittedHyperparameters;
  /** Time the computation took, in ms, without any wait for a worker. */
  elapsedMs: number;
}

/** Computes a campaign's figures; the same code runs in a worker and on the main thread. */
export function computeInsights(job: InsightsJob): InsightsOutcome {
  const started = performance.now();
  return { ...figures(job, job.previous), elapsedMs: performance.now() - started };
}

function figures(
  campaign: InsightsJob,
  previous: FittedHyperparameters | undefined,
): { value: CampaignInsights; fitted?: FittedHyperparameters } {
  const definition = campaign.definition;
  const space = new Space(definition.parameters, definition.constraints ?? []);
  const direction = definition.objective.direction;
  const completed = campaign.experiments.filter(
    (e): e is InsightsExperiment & { objective: number } =>
      e.state === 'observed' && typeof e.objective === 'number' && Number.isFinite(e.objective),
  );
  const best = bestSoFar(
    completed.map((e) => e.objective),
    direction,
  );
  const out: CampaignInsights = {
    campaignId: campaign.campaignId,
    objective: { name: definition.objective.name, direction },
    model: null,
    note: null,
    progress: completed.map((e, i) => ({ experimentId: e.id, index: e.index, value: e.objective, best: best[i] })),
    crossValidation: [],
    projection: projection(space, campaign.experiments),
    importance: [],
    pending: [],
  };
  // The model learns from imported results too (first, as the strategy reads them); the progress chart is the campaign's own.
  const points: { experimentId: string | null; index: number; imported?: true; params: Params; objective: number; block?: string }[] = [
    ...(campaign.imported ?? []).map((r) => ({
      experimentId: null,
      index: r.index,
      imported: true as const,
      params: r.params,
      objective: r.objective,
      block: r.block,
    })),
    ...completed.map((e) => ({ experimentId: e.id, index: e.index, params: e.params, objective: e.objective, block: e.block })),
  ];
  const train = points.filter((e) => space.check(e.params).length === 0).slice(-MAX_MODEL_POINTS);
  if (train.length < MIN_OBSERVATIONS) {
    out.note = `the model needs at least ${MIN_OBSERVATIONS} results (${train.length} so far)`;
    return { value: out, fitted: previous };
  }
  const X = train.map((e) => space.toUnit(e.params));
  // Results in declared blocks are taken net of their blocks' offsets, as the strategy takes them.
  const net = train.some((e) => e.block !== undefined)
    ? netOfBlocks(
        space,
        train.map((e) => ({ params: e.params, value: e.objective, block: e.block })),
        { limit: MAX_MODEL_POINTS, seed: campaign.seed },
      )
    : undefined;
  const y = net ? net.observations.map((o) => o.value as number) : train.map((e) => e.objective);
  const reuse = previous && previous.hp.lengthscales.length === space.dimension && y.length < previous.observations * REFIT_GROWTH;
  const full = new GaussianProcess(reuse ? { fixed: previous.hp } : { seed: campaign.seed, restarts: 1, candidates: 8 });
  full.fit(X, y);
  const hp = full.hyperparameters;
  const fitted = reuse ? previous : { hp, observations: y.length };
  const fit = (Xt: number[][], yt: number[]): Regressor => {
    const gp = new GaussianProcess({ fixed: hp });
    gp.fit(Xt, yt);
    return regressor(gp, true);
  };
  const k = y.length <= 20 ? y.length : 10;
  const cv = crossValidate(X, y, fit, k);
  const importance = permutationImportance(X, y, cv, { repeats: 5, seed: campaign.seed });
  out.model = {
    kind: 'gaussian-process',
    validation: k === y.length ? 'leave-one-out' : `${k}-fold`,
    folds: k,
    observations: y.length,
    rmse: cv.rmse,
    r2: cv.r2,
    lengthscales: Object.fromEntries(space.names.map((n, i) => [n, hp.lengthscales[i]])),
    hyperparametersFittedTo: fitted.observations,
    ...(net ? { netOfBlocks: { blocks: net.summary.blocks, estimated: net.summary.estimated, offsetSd: net.summary.offsetSd } } : {}),
  };
  out.crossValidation = train.map((e, i) => ({
    experimentId: e.experimentId,
    index: e.index,
    ...(e.imported ? { imported: true as const } : {}),
    observed: y[i],
    predicted: cv.mean[i],
    sd: cv.sd[i],
  }));
  out.importance = importance.map((m) => ({ parameter: space.names[m.index], importance: m.importance, sd: m.sd }));
  const proposed = campaign.experiments.filter((e) => e.state === 'pending');
  if (proposed.length) {
    const latent = regressor(full, false).predict(proposed.map((e) => space.toUnit(e.params)));
    const priorSd = Math.sqrt(hp.outputscale) * full.standardisation.scale;
    out.pending = proposed.map((e, i) => ({
      experimentId: e.id,
      index: e.index,
      mean: latent.mean[i],
      sd: latent.sd[i],
      extrapolation:
        e.prediction?.extrapolation ??
        (latent.sd[i] > 0.9 * priorSd ? 'far from every result: the model is about as unsure here as it was before any data' : null),
    }));
  }
  return { value: out, fitted };
}

/** A GP as a Regressor; `withNoise` adds the observation noise (for predicted vs observed). */
function regressor(gp: GaussianProcess, withNoise: boolean): Regressor {
  return {
    predict(Xs) {
      const p = gp.posterior(Xs.map((r) => [...r]));
      const noise = withNoise ? gp.hyperparameters.noise * gp.standardisation.scale ** 2 : 0;
      return { mean: Array.from(p.mean), sd: Array.from(p.variance, (v) => Math.sqrt(v + noise)) };
    },
  };
}

function projection(space: Space, experiments: readonly InsightsExperiment[]): CampaignInsights['projection'] {
  const shown = experiments.flatMap((e) => {
    const state = e.state;
    return state && space.check(e.params).length === 0 ? [{ e, state }] : [];
  });
  const p = pca2(shown.map(({ e }) => space.toUnit(e.params)));
  return {
    axes: p.axes.map((axis, k) => ({ explained: p.explained[k], loadings: Object.fromEntries(space.names.map((n, j) => [n, axis[j]])) })),
    points: shown.map(({ e, state }, i) => ({
      experimentId: e.id,
      index: e.index,
      x: p.scores[i][0],
      y: p.scores[i][1],
      state,
      value: state === 'observed' ? e.objective : null,
    })),
  };
}
