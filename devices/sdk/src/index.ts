export * from './device-client.js';
export * from './device-client.types.js';
export { Outbox, type AckedExperiment, type ConflictingReport, type FinalEvent } from './outbox.js';
export { capabilitiesProblems, checkAgainstCapabilities, type LimitCheck } from './limits.js';
export { DEFAULT_HEARTBEAT_INTERVAL_S } from './mqtt-options.js';
export { parseRigResult, type RigResultParse } from './rig-result.js';
