/**
 * Domain errors: typed codes raised by services, mapped once per transport
 * (HTTP in http-exception.filter.ts, MQTT acks in the MQTT gateway, the
 * console socket in console/ws-error.filter.ts).
 */
export type DomainErrorCode =
  | 'invalid_definition'
  | 'invalid_input'
  | 'not_found'
  | 'invalid_state'
  | 'unknown_experiment'
  | 'not_assigned'
  | 'stale_attempt'
  /** No token, or one the service does not know. */
  | 'unauthenticated'
  /** A known caller whose role does not allow the action. */
  | 'forbidden';

export class DomainError extends Error {
  constructor(
    readonly code: DomainErrorCode,
    message: string,
    /** Every problem found, for inputs that can have several. */
    readonly problems: string[] = [],
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export function assertNever(x: never, what = 'value'): never {
  throw new Error(`unexpected ${what}: ${JSON.stringify(x)}`);
}
