export { BACKEND_NAMES, type BackendName, type BackendSelection, selectBackend, type SelectBackendOptions } from './backend.js';
export { type Activation, NeuralEnsemble, type NeuralEnsembleOptions } from './nn-ensemble.js';
export {
  type MultiObjectiveNeuralOptions,
  MultiObjectiveNeuralStrategy,
  NeuralEnsembleStrategy,
  type NeuralStrategyOptions,
} from './neural-strategy.js';
