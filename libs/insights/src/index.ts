// The console's figures for a campaign (a cross-validated GP, permutation importance, a PCA of the
// explored space, best so far), on plain data: the orchestrator computes them on its strategy pool.
// Pure TypeScript on the optimizer's public index: no Nest, no database, no MQTT.
export * from './campaign-insights.js';
export * from './math.js';
