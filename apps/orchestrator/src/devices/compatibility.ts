import { limitViolation, listForMessage as list, type Capabilities, type ParameterLimit } from '#protocol';

/** What the scheduler knows of a device when it matches experiments to it. */
export interface DeviceProfile {
  id: string;
  kind: string | null;
  capabilities: Capabilities | null;
}

/** What an experiment needs of a device. */
export interface Requirements {
  /** The campaign's deviceKind; null: any kind. */
  deviceKind: string | null;
  /** Name of the campaign's objective (a device that declares objectives must measure it). */
  objective: string;
  /** Campaigns of several objectives or with outcome limits: every other outcome the device must measure. */
  outcomes?: string[];
  params: Record<string, number | string>;
}

const LISTED = 5;

/**
 * Why a device cannot run an experiment, or undefined when it can: the kind
 * must match when the campaign names one, every parameter must lie within the
 * device's declared safe limits, and a device that declares its objectives
 * must measure the campaign's. Limits are the device SDK's rule (limitViolation
 * in libs/protocol): a device that declares `parameters` takes only those.
 */
export function incompatibility(device: DeviceProfile, req: Requirements): string | undefined {
  if (req.deviceKind !== null && device.kind !== req.deviceKind) return `is of kind "${device.kind ?? 'none'}", not "${req.deviceKind}"`;
  const objectives = device.capabilities?.objectives;
  if (objectives) {
    const missing = [req.objective, ...(req.outcomes ?? [])].find((o) => !objectives.includes(o));
    if (missing !== undefined) return `does not measure "${missing}" (it measures ${list(objectives)})`;
  }
  return limitProblem(req.params, device.capabilities);
}

/** The first parameter outside the declared limits, in words; undefined when all are within them (or none are declared). */
export function limitProblem(params: Record<string, number | string>, capabilities: Capabilities | null | undefined): string | undefined {
  const declared = capabilities?.parameters;
  if (!declared) return undefined;
  for (const name of Object.keys(params).sort()) {
    const limit = declared[name];
    if (!limit) return `does not take parameter "${name}" (it takes ${list(Object.keys(declared))})`;
    const problem = valueProblem(name, params[name], limit);
    if (problem) return problem;
  }
  return undefined;
}

function valueProblem(name: string, value: number | string, limit: ParameterLimit): string | undefined {
  const v = limitViolation(value, limit);
  switch (v?.kind) {
    case undefined:
      return undefined;
    case 'choice':
      return `allows ${name} only in {${list(v.choices)}}, not ${JSON.stringify(value)}`;
    case 'not-a-number':
      return `takes ${name} as a number, not ${JSON.stringify(value)}`;
    case 'below':
      return `allows ${name} >= ${v.bound}${v.unit}, not ${value}${v.unit}`;
    case 'above':
      return `allows ${name} <= ${v.bound}${v.unit}, not ${value}${v.unit}`;
  }
}

export interface Waiting {
  reason: string;
  /** True when online devices of the right kind exist but their declared capabilities exclude the experiment. */
  limits: boolean;
  /** Each online device of the right kind and why it cannot run the experiment. */
  devices: { id: string; problem: string }[];
}

/** Why no online device can run the experiment (call it only when none can). */
export function explainWaiting(req: Requirements, online: DeviceProfile[]): Waiting {
  const ofKind = online.filter((d) => req.deviceKind === null || d.kind === req.deviceKind).sort((a, b) => a.id.localeCompare(b.id));
  if (ofKind.length === 0) {
    return {
      reason: req.deviceKind === null ? 'no device is online' : `no device of kind "${req.deviceKind}" is online`,
      limits: false,
      devices: [],
    };
  }
  const devices = ofKind.map((d) => ({ id: d.id, problem: incompatibility(d, req) ?? 'can run it' }));
  const shown = devices.slice(0, LISTED).map((d) => `${d.id} ${d.problem}`);
  const more = devices.length > LISTED ? `; and ${devices.length - LISTED} more` : '';
  return { reason: `outside the declared capabilities of every online device: ${shown.join('; ')}${more}`, limits: true, devices };
}
