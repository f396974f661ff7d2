/** Why a design could not be built; mapped to a transport error once, at the edge. */
export type DesignErrorCode =
  /** A size, dimension, seed or option is not what the design accepts. */
  | 'invalid-argument'
  /** The design would have more runs than the caller allowed (full factorial). */
  | 'too-many-runs'
  /** The space has more dimensions than the design supports. */
  | 'unsupported-dimension'
  /** No point satisfying the space's constraints was found (the feasible region is empty or too small to sample). */
  | 'infeasible';

export class DesignError extends Error {
  constructor(
    readonly code: DesignErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'DesignError';
  }
}

/** Throws an invalid-argument DesignError unless `value` is an integer in [min, max]. */
export function requireInteger(what: string, value: number, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new DesignError('invalid-argument', `${what} must be an integer in [${min}, ${max}], got ${value}`);
  }
}
