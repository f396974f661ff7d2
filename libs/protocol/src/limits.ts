import type { ParameterLimit } from './messages.js';

/**
 * How a value breaks a device's declared limit for one parameter; each side
 * words it for its own reader (the device SDK for the rig builder, the
 * orchestrator for the operator), but the rule is this one function, so the
 * service never sends what the device would refuse, nor refuses what it would take.
 */
export type LimitViolation =
  | { kind: 'choice'; choices: string[] }
  | { kind: 'not-a-number' }
  | { kind: 'below'; bound: number; unit: string }
  | { kind: 'above'; bound: number; unit: string };

/**
 * The rule: with `choices`, a string must be one of them and a number must
 * match a choice that spells the same number ("105" matches 105), so ordinal
 * grids can be declared as choices; with `low`/`high` (inclusive, either
 * optional) a value must be a number within them; a parameter declared with
 * neither takes any value.
 */
export function limitViolation(value: number | string, limit: ParameterLimit): LimitViolation | undefined {
  const unit = limit.unit ? ` ${limit.unit}` : '';
  if (limit.choices) {
    const match =
      typeof value === 'string' ? limit.choices.includes(value) : limit.choices.some((c) => c.trim() !== '' && Number(c) === value);
    return match ? undefined : { kind: 'choice', choices: limit.choices };
  }
  if (limit.low === undefined && limit.high === undefined) return undefined;
  if (typeof value !== 'number') return { kind: 'not-a-number' };
  if (limit.low !== undefined && value < limit.low) return { kind: 'below', bound: limit.low, unit };
  if (limit.high !== undefined && value > limit.high) return { kind: 'above', bound: limit.high, unit };
  return undefined;
}

/** A list for a message: at most `shown` items, then how many more. */
export function listForMessage(items: readonly string[], shown = 12): string {
  return items.length <= shown ? items.join(', ') : `${items.slice(0, shown).join(', ')}, … ${items.length - shown} more`;
}
