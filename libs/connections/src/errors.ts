/**
 * What several clients of servers (PostgreSQL, MQTT) need alike: Node's socket
 * error codes that mean "the server is not there yet", and server URLs in
 * messages without their passwords.
 */

/**
 * Node's socket error codes that mean the server is not there yet. ENOTFOUND
 * is among them: in a compose network a service's name resolves only once its
 * container runs, and a misspelt host only costs the wait.
 */
export const NETWORK_ERROR_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
]);

/** The first network error code named in a message (a client that wraps the socket error in its own text). */
export function networkCodeIn(message: string): string | undefined {
  return message.match(/\bE[A-Z_]+\b/g)?.find((word) => NETWORK_ERROR_CODES.has(word));
}

/** An error's `code`, or that of the first error of an AggregateError that has one. */
export function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && code) return code;
  // Node reports a refused connection to a name with several addresses as an AggregateError of them.
  if (error instanceof AggregateError) for (const inner of error.errors) if (errorCode(inner)) return errorCode(inner);
  return undefined;
}

/** An error's message (an AggregateError without one: those of its errors). */
export function messageOf(error: unknown): string {
  if (error instanceof AggregateError && !error.message) return error.errors.map(messageOf).join('; ');
  return error instanceof Error ? error.message : String(error);
}

/** `postgres://user:secret@host/db` → `postgres://user:***@host/db`; also inside a longer text. */
export function redactUrl(text: string): string {
  return text.replace(/(\/\/[^:@/\s]+):([^@/\s]+)@/g, '$1:***@');
}
