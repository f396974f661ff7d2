/**
 * Bayesian optimisation with the TensorFlow.js deep ensemble as the
 * objective's surrogate: the candidate-set search, local penalisation and
 * feasibility forest of CandidateStrategy (libs/optimizer), with
 * NeuralEnsemble in place of the trees. For campaigns with thousands to tens
 * of thousands of observations on a machine with a GPU (the `tensorflow`
 * backend of @tensorflow/tfjs-node-gpu, or `webgpu` when asked for: see
 * backend.ts); on the wasm or cpu backend it runs too, more slowly (a fit of 10,000 points in 6-D took 24 s on wasm on our
 * 2-core machines, where the trees take a few seconds).
 *
 * EI is computed from the members' disagreement only (`variance:
 * 'epistemic'`): the Surrogate interface's variance excludes observation
 * noise, and an EI that counted the noise would keep proposing points it
 * already knows. The backend a fit ran on is logged once per process (or
 * worker thread) and recorded in the provenance of every proposal.
 */
import { CandidateStrategy, type CandidateStrategyOptions, type MultiCandidateOptions, MultiObjectiveCandidateStrategy } from '#optimizer';
import { NeuralEnsemble, type NeuralEnsembleOptions } from './nn-ensemble.js';

export interface NeuralStrategyOptions extends CandidateStrategyOptions {
  /** Options of the ensemble (members, layers, steps, backend); `seed` comes from each ask. */
  ensemble?: Omit<NeuralEnsembleOptions, 'seed'>;
}

export class NeuralEnsembleStrategy extends CandidateStrategy<NeuralEnsemble> {
  constructor(options: NeuralStrategyOptions = {}) {
    const { ensemble = {}, ...rest } = options;
    super(rest, ensembleSurrogate('bayesian/neural-ensemble-logei', ensemble));
  }
}

export interface MultiObjectiveNeuralOptions extends MultiCandidateOptions {
  /** Options of every outcome's ensemble (members, layers, steps, backend); `seed` comes from each ask. */
  ensemble?: Omit<NeuralEnsembleOptions, 'seed'>;
}

/**
 * Several objectives and outcome limits with one ensemble per objective and
 * per limited outcome (MultiObjectiveCandidateStrategy of libs/optimizer):
 * each ask fits as many ensembles as there are outcomes.
 */
export class MultiObjectiveNeuralStrategy extends MultiObjectiveCandidateStrategy<NeuralEnsemble> {
  constructor(options: MultiObjectiveNeuralOptions = {}) {
    const { ensemble = {}, ...rest } = options;
    super(rest, ensembleSurrogate('bayesian/neural-ensemble-multi-objective', ensemble));
  }
}

/** The ensemble as a candidate strategy's surrogate: epistemic variance unless asked otherwise, its backend recorded. */
function ensembleSurrogate(name: string, ensemble: Omit<NeuralEnsembleOptions, 'seed'>) {
  const settings = { ...ensemble, variance: ensemble.variance ?? 'epistemic' };
  const { logger: _logger, ...described } = settings;
  return {
    name,
    settings: { surrogate: 'deep ensemble of MLPs (TensorFlow.js)', ensemble: described },
    create: (seed: number) => new NeuralEnsemble({ ...settings, seed }),
    fitted: ({ description }: NeuralEnsemble) => ({ backend: description.backend, steps: description.steps }),
  };
}
