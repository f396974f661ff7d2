import type { z } from 'zod';
import { formatIssues } from '#optimizer';
import { DomainError } from './errors.js';

/** Parses untrusted input with a schema; every problem in one invalid_input error. */
export function parseInput<T>(schema: z.ZodType<T>, input: unknown, what: string): T {
  const r = schema.safeParse(input ?? {});
  if (!r.success) throw new DomainError('invalid_input', `invalid ${what}`, formatIssues(r.error.issues));
  return r.data;
}
