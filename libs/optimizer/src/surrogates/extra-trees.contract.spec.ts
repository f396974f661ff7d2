import { surrogateContract } from './contract.js';
import { ExtraTrees } from './extra-trees.js';

surrogateContract('ExtraTrees', (seed) => new ExtraTrees({ seed }), {});
