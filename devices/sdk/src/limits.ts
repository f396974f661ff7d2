import {
  capabilitiesSchema,
  limitViolation,
  listForMessage as list,
  type Capabilities,
  type ParameterLimit,
  type RunCommand,
} from '#protocol';

export type LimitCheck = { ok: true } | { ok: false; reason: string };

/**
 * Checks a run command's params against the device's declared capabilities.
 * Without declared `parameters` every command passes. With them, a param the
 * device does not declare is refused, and each declared one must lie within
 * its limit: a number within [low, high] (bounds inclusive, either optional),
 * or one of `choices`. A number matches a choice that spells the same number
 * ("105" matches 105), so ordinal grids can be declared as choices. A declared
 * parameter missing from the command is left to the handler.
 */
export function checkAgainstCapabilities(params: RunCommand['params'], capabilities: Capabilities | undefined): LimitCheck {
  const declared = capabilities?.parameters;
  if (!declared) return { ok: true };
  for (const [name, value] of Object.entries(params)) {
    const limit = declared[name];
    if (!limit) {
      const known = Object.keys(declared);
      return { ok: false, reason: `unknown parameter "${name}" (this device takes ${list(known)})` };
    }
    const problem = checkValue(name, value, limit);
    if (problem) return { ok: false, reason: problem };
  }
  return { ok: true };
}

function checkValue(name: string, value: number | string, limit: ParameterLimit): string | undefined {
  const v = limitViolation(value, limit);
  switch (v?.kind) {
    case undefined:
      return undefined;
    case 'choice':
      return `parameter "${name}" = ${JSON.stringify(value)} is not one of the allowed choices (${list(v.choices.map((c) => JSON.stringify(c)))})`;
    case 'not-a-number':
      return `parameter "${name}" must be a number, got ${JSON.stringify(value)}`;
    case 'below':
      return `parameter "${name}" = ${value}${v.unit} is below the safe limit ${v.bound}${v.unit}`;
    case 'above':
      return `parameter "${name}" = ${value}${v.unit} is above the safe limit ${v.bound}${v.unit}`;
  }
}

/** Every problem with a capabilities declaration (schema and consistency), so a misconfigured device does not start. */
export function capabilitiesProblems(capabilities: unknown): string[] {
  const r = capabilitiesSchema.safeParse(capabilities);
  if (!r.success) return r.error.issues.map((i) => `${i.path.join('.') || '(capabilities)'}: ${i.message}`);
  const problems: string[] = [];
  for (const [name, limit] of Object.entries(r.data.parameters ?? {})) {
    if (limit.low !== undefined && limit.high !== undefined && limit.low > limit.high) {
      problems.push(`parameters.${name}: low (${limit.low}) exceeds high (${limit.high})`);
    }
    if (limit.choices && (limit.low !== undefined || limit.high !== undefined)) {
      problems.push(`parameters.${name}: give either choices or low/high, not both`);
    }
    if (limit.choices && limit.choices.length === 0) problems.push(`parameters.${name}: choices is empty`);
  }
  return problems;
}
