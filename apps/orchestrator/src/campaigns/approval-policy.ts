import { assertNever } from '../common/errors.js';

/**
 * How a campaign's proposed batches get approved:
 * - `manual`: an operator approves, edits or rejects each batch;
 * - `auto`: every batch is approved as proposed;
 * - `auto-unless-flagged`: approved as proposed unless a proposal lies where
 *   the model extrapolates (the strategy flags it): then an operator decides.
 */
export const APPROVAL_POLICIES = ['manual', 'auto', 'auto-unless-flagged'] as const;
export type ApprovalPolicy = (typeof APPROVAL_POLICIES)[number];

/** Whether a freshly proposed batch is approved by the policy itself. */
export function policyApproves(policy: ApprovalPolicy, proposals: readonly { extrapolation?: string }[]): boolean {
  switch (policy) {
    case 'manual':
      return false;
    case 'auto':
      return true;
    case 'auto-unless-flagged':
      return !proposals.some((p) => p.extrapolation);
    default:
      return assertNever(policy, 'approval policy');
  }
}
