// What other packages' tests use from the optimizer: the contract suite every surrogate runs.
export * from './surrogates/contract.js';
