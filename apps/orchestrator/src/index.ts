/**
 * The service as a library, for what composes it with other parts (the demo
 * runs it with simulated rigs): start it from a configuration, and read that
 * configuration from the environment.
 */
export { startOrchestrator, type Orchestrator, type StartOptions } from './bootstrap.js';
export { loadConfig, type AppConfig } from './common/config.js';
