export * from './csv.js';
export * from './results-table.js';
