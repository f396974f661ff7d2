export * from './errors.js';
export * from './retry.js';
