export * from './functions.js';
export {
  startSimRig,
  checkSimRigOptions,
  benchmarkCapabilities,
  multiBenchmarkCapabilities,
  type SimRig,
  type SimRigOptions,
} from './sim-rig-core.js';
export {
  startSimDevice,
  hash32,
  checkSimDeviceOptions,
  type SimDevice,
  type SimDeviceOptions,
  type SimEvaluation,
  type SimEvaluator,
} from './sim-device.js';
export { datasetsDir, readDataset, parseCsv, column, numberAt, type CsvTable } from './datasets/csv.js';
export type { Emulator, EmulatorAnswer, EmulatorObjective, EmulatorParams } from './datasets/emulator.js';
export {
  ReactionPool,
  DFT_DESCRIPTORS,
  directArylationEmulator,
  suzukiEmulator,
  directArylationCampaignParameters,
  suzukiCampaignParameters,
  type PoolParameterOptions,
} from './datasets/reaction-pools.js';
export { OcmEmulator, ocmEmulator } from './datasets/ocm.js';
export { OerEmulator, oerEmulator, OER_ELEMENTS, OER_FILE, type OerOptions } from './datasets/oer.js';
export { HplcEmulator, hplcEmulator, HPLC_INPUTS, HPLC_DEFAULT_WEIGHTS, type HplcOptions, type KnnFit } from './datasets/hplc.js';
export { startEmulatorDevice, EMULATORS, type EmulatorDevice, type EmulatorDeviceOptions } from './datasets/emulator-device.js';
export {
  startDftBackend,
  drawDft,
  checkDftOptions,
  type DftBackend,
  type DftBackendOptions,
  type DftDraw,
  type DftFate,
  type RunTimeModel,
} from './dft/dft-backend.js';
export { startFleet, type Fleet, type FleetMember, type FleetOptions } from './fleet/fleet.js';
export { parseFleetSpec, parseFleetArgs, fleetSpecSchema, type FleetSpec, type FleetGroup } from './fleet/fleet-config.js';
