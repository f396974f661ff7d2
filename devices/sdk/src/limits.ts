import { capabilitiesSchema, type Capabilities, type ParameterLimit, type RunCommand } from '../../../libs/protocol/src/index.js';

export type LimitCheck = { ok: true } | { ok: false; reason: string };

const LISTED = 12;

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
  const unit = limit.unit ? ` ${limit.unit}` : '';
  if (limit.choices) {
    const match =
      typeof value === 'string' ? limit.choices.includes(value) : limit.choices.some((c) => c.trim() !== '' && Number(c) === value);
    if (!match)
      return `parameter "${name}" = ${JSON.stringify(value)} is not one of the allowed choices (${list(limit.choices.map((c) => JSON.stringify(c)))})`;
    return undefined;
  }
  if (limit.low === undefined && limit.high === undefined) return undefined; // declared without limits: any value
  if (typeof value !== 'number') return `parameter "${name}" must be a number, got ${JSON.stringify(value)}`;
  if (limit.low !== undefined && value < limit.low)
    return `parameter "${name}" = ${value}${unit} is below the safe limit ${limit.low}${unit}`;
  if (limit.high !== undefined && value > limit.high)
    return `parameter "${name}" = ${value}${unit} is above the safe limit ${limit.high}${unit}`;
  return undefined;
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

function list(items: string[]): string {
  return items.length <= LISTED ? items.join(', ') : `${items.slice(0, LISTED).join(', ')}, … ${items.length - LISTED} more`;
}
