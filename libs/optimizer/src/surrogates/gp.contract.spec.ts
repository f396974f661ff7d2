import { surrogateContract } from './contract.js';
import { GaussianProcess } from './gp.js';

surrogateContract('GaussianProcess', (seed) => new GaussianProcess({ seed }), {
  knownFailures: {
    'refuses ragged points': 'fit() does not check row lengths; it fails later with "GP hyperparameter fit failed from every start"',
    'refuses a posterior of the wrong dimension': 'posterior() does not check the point dimension and returns numbers',
  },
});
