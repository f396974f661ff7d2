import type { RunOutcome } from './device-client.types.js';

export type RigResultParse = { ok: true; outcome: RunOutcome } | { ok: false; error: string };

type Metadata = Record<string, string | number | boolean>;

/**
 * Reads the JSON result object a rig adapter got back (a script's stdout, an
 * HTTP response body). Accepted forms:
 *
 *   {"yield": 42.1, "purity": null}                               flat measured values
 *   {"values": {"yield": 42.1}, "metadata": {"file": "run7.csv"}} values with metadata
 *   {"failed": {"reason": "clogged"}}                             the condition failed (experiment scope)
 *
 * Values are numbers or null; anything else is an error the caller reports as
 * a device failure (the rig's adapter speaks a wrong format, nothing to learn).
 */
export function parseRigResult(text: string): RigResultParse {
  const json = parseJsonObject(text);
  if (json === undefined) return { ok: false, error: `expected a JSON object, got ${preview(text)}` };
  if ('failed' in json) {
    const failed = json.failed;
    const reason = isRecord(failed) && typeof failed.reason === 'string' && failed.reason.length > 0 ? failed.reason : undefined;
    if (!reason) return { ok: false, error: '"failed" must be an object with a non-empty "reason"' };
    return { ok: true, outcome: { failed: { scope: 'experiment', reason } } };
  }
  const valuesSource = 'values' in json ? json.values : json;
  if (!isRecord(valuesSource)) return { ok: false, error: '"values" must be an object of numbers' };
  const values: Record<string, number | null> = {};
  for (const [name, v] of Object.entries(valuesSource)) {
    if (v !== null && typeof v !== 'number')
      return { ok: false, error: `value "${name}" must be a number or null, got ${preview(JSON.stringify(v))}` };
    values[name] = v;
  }
  if (Object.keys(values).length === 0) return { ok: false, error: 'the result holds no values' };
  if (!('values' in json)) return { ok: true, outcome: { values } };
  const metadata = json.metadata;
  if (metadata === undefined) return { ok: true, outcome: { values } };
  if (!isRecord(metadata)) return { ok: false, error: '"metadata" must be an object' };
  const meta: Metadata = {};
  for (const [k, v] of Object.entries(metadata)) {
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean')
      return { ok: false, error: `metadata "${k}" must be a string, number or boolean` };
    meta[k] = v;
  }
  return { ok: true, outcome: { values, metadata: meta } };
}

/** The whole text as a JSON object, else its last non-empty line (scripts that log to stdout first). */
function parseJsonObject(text: string): Record<string, unknown> | undefined {
  const whole = tryParse(text);
  if (whole !== undefined) return whole;
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
  return lines.length > 1 ? tryParse(lines[lines.length - 1]) : undefined;
}

function tryParse(text: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return isRecord(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function preview(text: string): string {
  const t = text.trim();
  if (t.length === 0) return 'nothing';
  return JSON.stringify(t.length > 200 ? `${t.slice(0, 200)}…` : t);
}
