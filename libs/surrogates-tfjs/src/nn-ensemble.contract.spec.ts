import { surrogateContract } from '#optimizer/testing';
import { NeuralEnsemble } from './nn-ensemble.js';

// Smaller and shorter than the defaults to keep the suite fast (tanh: with only 200 steps
// ReLU members agree too much in the gap; at the default 500+ steps both activations pass).
surrogateContract(
  'NeuralEnsemble',
  (seed) =>
    new NeuralEnsemble({
      seed,
      members: 4,
      hidden: [32, 32],
      activation: 'tanh',
      minSteps: 200,
      maxSteps: 200,
      learningRate: 1e-2,
      logger: () => {},
    }),
);
