/** Lifecycle states, shared by the entities, the loop and the API. */

export const CAMPAIGN_STATUSES = ['running', 'paused', 'completed', 'cancelled'] as const;
export type CampaignStatus = (typeof CAMPAIGN_STATUSES)[number];

export const BATCH_STATUSES = ['proposed', 'approved', 'rejected', 'completed'] as const;
export type BatchStatus = (typeof BATCH_STATUSES)[number];

/**
 * proposed   -> waiting for an operator (manual approval)
 * queued     -> approved, waiting for a free compatible device
 * dispatched -> assigned to a device and the command sent; re-sent until accepted
 * running    -> the device accepted it
 * completed  -> a result is stored (exactly once)
 * failed     -> the experiment failed (scope "experiment": data for the optimizer)
 *               or its device retry budget was spent (scope "device")
 * rejected   -> an operator rejected it; never run
 * cancelled  -> its campaign was cancelled before it ran
 * aborted    -> an operator aborted it (or cancelled its campaign) before it finished: neither data nor run again
 * The allowed changes, and the groups of statuses the service works with, are the
 * orchestrator's experiment lifecycle (apps/orchestrator/src/experiments/experiment-lifecycle.ts).
 */
export const EXPERIMENT_STATUSES = [
  'proposed',
  'queued',
  'dispatched',
  'running',
  'completed',
  'failed',
  'rejected',
  'cancelled',
  'aborted',
] as const;
export type ExperimentStatus = (typeof EXPERIMENT_STATUSES)[number];

export type FailureScope = 'device' | 'experiment';

export const DEVICE_STATUSES = ['online', 'offline'] as const;
export type DeviceStatus = (typeof DEVICE_STATUSES)[number];

/** A JSON value, as stored in jsonb columns. */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };
