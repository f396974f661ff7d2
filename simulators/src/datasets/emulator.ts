import type { Capabilities, RunCommand } from '#protocol';
import type { Parameter } from '#optimizer';

export type EmulatorParams = RunCommand['params'];
export type Metadata = Record<string, string | number | boolean>;

/** An emulator's answer: measured values, or the reason this condition cannot be answered (an experiment failure). */
export type EmulatorAnswer = { ok: true; values: Record<string, number>; metadata?: Metadata } | { ok: false; reason: string };

export interface EmulatorObjective {
  name: string;
  direction: 'minimize' | 'maximize';
  /** Physical range; noisy values are clipped into it. */
  low?: number;
  high?: number;
}

/**
 * A simulated experiment backed by data: what a device announces (kind,
 * capabilities), what a campaign varies (parameters, with descriptors for
 * categorical choices where the data has them), and the answer per condition.
 */
export interface Emulator {
  name: string;
  /** Device kind announced by default, e.g. "direct-arylation-emulator". */
  kind: string;
  objectives: EmulatorObjective[];
  /** Safe limits the device declares (the SDK rejects commands outside them). */
  capabilities: Capabilities;
  /** The `parameters` array of a campaign definition over this emulator's space. */
  campaignParameters(): Parameter[];
  evaluate(params: EmulatorParams): EmulatorAnswer;
}

/** A numeric param: a number, or a string spelling one (categorical encodings of ordinal grids). */
export function numericParam(params: EmulatorParams, name: string): number | { reason: string } {
  const v = params[name];
  if (v === undefined) return { reason: `missing parameter "${name}"` };
  const n = typeof v === 'number' ? v : v.trim() === '' ? Number.NaN : Number(v);
  if (!Number.isFinite(n)) return { reason: `parameter "${name}" must be a number, got ${JSON.stringify(v)}` };
  return n;
}

/** Snaps a number to a grid value within a relative tolerance, or explains which values exist. */
export function onGrid(name: string, value: number, grid: readonly number[]): number | { reason: string } {
  const hit = grid.find((g) => Math.abs(g - value) <= 1e-9 * Math.max(1, Math.abs(g)));
  return hit ?? { reason: `parameter "${name}" = ${value} was not measured (measured values: ${grid.join(', ')})` };
}

export function isReason(v: unknown): v is { reason: string } {
  return typeof v === 'object' && v !== null && 'reason' in v;
}

/** Distinct values in first-seen order. */
export function distinct<T>(values: Iterable<T>): T[] {
  return [...new Set(values)];
}
