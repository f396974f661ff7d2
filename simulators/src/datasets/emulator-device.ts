import { startSimDevice, type SimDevice, type SimDeviceOptions } from '../sim-device.js';
import type { Emulator } from './emulator.js';
import { hplcEmulator } from './hplc.js';
import { ocmEmulator } from './ocm.js';
import { oerEmulator } from './oer.js';
import { directArylationEmulator, suzukiEmulator } from './reaction-pools.js';

export type EmulatorDeviceOptions = Omit<SimDeviceOptions, 'kind' | 'capabilities'> & {
  /** Device kind; default the emulator's (e.g. "direct-arylation-emulator"). */
  kind?: string;
};

export interface EmulatorDevice extends SimDevice {
  readonly emulator: Emulator;
}

/**
 * A simulated device answering from a dataset emulator, with the shared
 * latency, noise and failure settings. It declares the emulator's safe limits
 * (commands outside them are rejected); a condition the data cannot answer
 * fails as an experiment failure with the emulator's reason; noisy values are
 * clipped to the objective's physical range (a yield stays within 0–100).
 */
export async function startEmulatorDevice(emulator: Emulator, options: EmulatorDeviceOptions): Promise<EmulatorDevice> {
  const bounds = Object.fromEntries(emulator.objectives.map((o) => [o.name, { low: o.low, high: o.high }]));
  const sim = await startSimDevice({ ...options, kind: options.kind ?? emulator.kind, capabilities: emulator.capabilities }, (params) => {
    const answer = emulator.evaluate(params);
    if (!answer.ok) return { failed: { scope: 'experiment', reason: answer.reason } };
    return { values: answer.values, metadata: answer.metadata, bounds };
  });
  return { ...sim, emulator };
}

/** The dataset emulators by name (each reads its CSV from the datasets directory, simulators/datasets). */
export const EMULATORS: Record<string, (datasetsDir?: string) => Emulator> = {
  'direct-arylation': (dir) => directArylationEmulator(dir),
  suzuki: (dir) => suzukiEmulator(dir),
  ocm: (dir) => ocmEmulator(dir),
  oer: (dir) => oerEmulator(undefined, dir),
  hplc: (dir) => hplcEmulator(undefined, dir),
};
