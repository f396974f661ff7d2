import { z } from 'zod';
import { PROTOCOL_VERSION } from './topics.js';

/**
 * Payload schemas of protocol v1. Every payload carries `v`; a payload of
 * another version is refused with an error that says which versions are
 * understood. Payloads are parsed at the MQTT edge only (parseMessage).
 */

/** Largest payload accepted on any topic, in bytes. */
export const MAX_PAYLOAD_BYTES = 256 * 1024;
/** Most experiment ids an availability message lists as held (about 80 KB of ids); a device holding more sends none. */
export const MAX_HOLDING = 2000;

const version = z.literal(PROTOCOL_VERSION);
const id = z.string().min(1).max(128);
const timestamp = z.string().datetime({ offset: true });
const paramValue = z.union([z.number().finite(), z.string().max(256)]);
const params = z.record(z.string().max(64), paramValue).refine((r) => Object.keys(r).length <= 1000, 'too many parameters');

/** The safe range of one parameter on a device: numbers within [low, high], or one of the choices. */
export const parameterLimitSchema = z
  .object({
    low: z.number().finite().optional(),
    high: z.number().finite().optional(),
    choices: z.array(z.string().max(256)).max(10_000).optional(),
    unit: z.string().max(32).optional(),
  })
  .strict();
export type ParameterLimit = z.infer<typeof parameterLimitSchema>;

/**
 * What a device can run. `parameters`, when given, names every parameter it
 * understands with its safe limits: the service never sends a command outside
 * them. `objectives` names the values it measures.
 */
export const capabilitiesSchema = z
  .object({
    parameters: z.record(z.string().max(64), parameterLimitSchema).optional(),
    objectives: z.array(z.string().max(64)).max(100).optional(),
    description: z.string().max(1024).optional(),
    /**
     * How long one experiment usually takes on this device, in seconds. The service then takes an
     * experiment with no result and no progress event for three times this long as lost.
     */
    typicalDurationS: z
      .number()
      .min(0.001)
      .max(30 * 86_400)
      .optional(),
  })
  .strict();
export type Capabilities = z.infer<typeof capabilitiesSchema>;

/** What a device says about itself; retained so the service learns it on subscribe. */
export const availabilitySchema = z
  .object({
    v: version,
    status: z.enum(['online', 'offline']),
    ts: timestamp.optional(),
    /** Kind of rig or simulator, e.g. "flow-reactor", "branin-simulator". */
    kind: z.string().max(64).optional(),
    /** How many experiments it runs at once. */
    capacity: z.number().int().min(1).max(10_000).optional(),
    /** Seconds between heartbeats; a device silent for three intervals is taken as offline. */
    heartbeatIntervalS: z.number().min(0.1).max(3600).optional(),
    capabilities: capabilitiesSchema.optional(),
    /**
     * With status online: the experiments the device holds as it (re)connects, queued, running, or
     * finished with the report not yet acknowledged. An experiment the service had on this device
     * before it went offline and that is missing here was lost (the device restarted) and goes to
     * another device at once; without the list, the service takes every such experiment as lost.
     */
    holding: z.array(id).max(MAX_HOLDING).optional(),
  })
  .strict();
export type Availability = z.infer<typeof availabilitySchema>;

/**
 * Run an experiment. Re-sent until the device answers `accepted` or `rejected`, or reports the result or
 * failure (a final report stands for the acceptance: a device that answers at once sends no `accepted`);
 * the device de-duplicates by experimentId.
 */
export const runCommandSchema = z
  .object({
    v: version,
    type: z.literal('run'),
    experimentId: id,
    campaignId: id,
    /** Dispatch attempt; grows when an experiment is re-dispatched after a device failure. */
    attempt: z.number().int().min(1),
    params,
    issuedAt: timestamp,
  })
  .strict();

/**
 * The service's reply to a result or failure, after which the device stops re-sending it:
 * `ok`: the outcome reported is the one in the database (stored now, or an exact repeat of it);
 * `conflict`: the experiment already ended with another outcome (another value, or failed instead of
 * completed); the report is kept apart, under `reportId`, for an operator, not learned from;
 * `error`: refused, with the reason.
 */
export const ackCommandSchema = z
  .object({
    v: version,
    type: z.literal('ack'),
    experimentId: id,
    /** The attempt acknowledged, so a late ack for attempt n cannot clear attempt n+1's report. */
    attempt: z.number().int().min(1).optional(),
    status: z.enum(['ok', 'conflict', 'error']),
    /** With status `conflict`: the id the service keeps the conflicting report under. */
    reportId: id.optional(),
    error: z
      .object({ code: z.string().max(64), message: z.string().max(1024) })
      .strict()
      .optional(),
  })
  .strict();

/**
 * Abort one experiment: the device stops its run (kills the process, calls the rig's abort route), drops it
 * from its queue, and sends no result for it. The service has already recorded the experiment as aborted
 * (neither data nor re-dispatched), so a result that crosses the abort is kept apart as a conflicting report.
 * Re-sent until the device answers with a `command_ack` of this commandId.
 */
export const abortCommandSchema = z
  .object({
    v: version,
    type: z.literal('abort'),
    /** This command's id: the device answers `command_ack` with it, and de-duplicates by it. */
    commandId: id,
    experimentId: id,
    /** The attempt aborted (the device's current run of the experiment, if it runs another attempt, is aborted too). */
    attempt: z.number().int().min(1).optional(),
    reason: z.string().min(1).max(1024),
    issuedAt: timestamp,
  })
  .strict();

/**
 * Emergency stop of the device: abort every experiment it holds (finish nothing: no result is sent for
 * them) and run nothing until a `resume`; run commands meanwhile are answered `rejected`. Re-sent until
 * acknowledged (`command_ack`).
 */
export const stopCommandSchema = z
  .object({ v: version, type: z.literal('stop'), commandId: id, reason: z.string().min(1).max(1024), issuedAt: timestamp })
  .strict();

/** Ends a stop: the device takes run commands again. Re-sent until acknowledged (`command_ack`). */
export const resumeCommandSchema = z.object({ v: version, type: z.literal('resume'), commandId: id, issuedAt: timestamp }).strict();

export const commandSchema = z.discriminatedUnion('type', [
  runCommandSchema,
  ackCommandSchema,
  abortCommandSchema,
  stopCommandSchema,
  resumeCommandSchema,
]);
export type RunCommand = z.infer<typeof runCommandSchema>;
export type AckCommand = z.infer<typeof ackCommandSchema>;
export type AbortCommand = z.infer<typeof abortCommandSchema>;
export type StopCommand = z.infer<typeof stopCommandSchema>;
export type ResumeCommand = z.infer<typeof resumeCommandSchema>;
export type Command = z.infer<typeof commandSchema>;
/** The commands a device answers with a `command_ack` (run is answered by `accepted` or `rejected`). */
export type ControlCommand = AbortCommand | StopCommand | ResumeCommand;

const eventBase = {
  v: version,
  experimentId: id,
  attempt: z.number().int().min(1).optional(),
  ts: timestamp,
};

/**
 * The device took the run command. Optional when the result or failure follows at once: the service takes
 * a final report of a dispatched experiment as its acceptance too (dispatched -> completed in one step).
 */
export const acceptedEventSchema = z.object({ ...eventBase, type: z.literal('accepted') }).strict();

/** The device will not run the command (parameters outside its limits, unknown parameters): try another device. */
export const rejectedEventSchema = z.object({ ...eventBase, type: z.literal('rejected'), reason: z.string().min(1).max(1024) }).strict();

export const progressEventSchema = z
  .object({ ...eventBase, type: z.literal('progress'), fraction: z.number().min(0).max(1), message: z.string().max(1024).optional() })
  .strict();

/** Largest metadata a result may carry, as JSON text (UTF-8 bytes). */
export const MAX_METADATA_BYTES = 16 * 1024;

/** Free-form measurement metadata (raw file names, instrument settings): flat, at most MAX_METADATA_BYTES as JSON. */
export const metadataSchema = z
  .record(z.string().max(64), z.union([z.string().max(1024), z.number().finite(), z.boolean()]))
  .superRefine((r, ctx) => {
    const bytes = Buffer.byteLength(JSON.stringify(r));
    if (bytes > MAX_METADATA_BYTES)
      ctx.addIssue({ code: 'custom', message: `metadata of ${bytes} bytes as JSON exceeds the limit of ${MAX_METADATA_BYTES}` });
  });
export type ResultMetadata = z.infer<typeof metadataSchema>;

/**
 * A measurement. Values may be null (the instrument read nothing): the service
 * then records the experiment as failed, it does not drop the message.
 */
export const resultEventSchema = z
  .object({
    ...eventBase,
    type: z.literal('result'),
    values: z.record(z.string().max(64), z.number().finite().nullable()).refine((r) => Object.keys(r).length <= 100, 'too many values'),
    /** Measurement metadata (raw file names, instrument settings), stored with the result. */
    metadata: metadataSchema.optional(),
  })
  .strict();

/**
 * The experiment could not be completed. `scope: "device"`: the rig failed
 * (retry elsewhere, do not learn from it). `scope: "experiment"`: the condition
 * failed (the optimizer learns from it).
 */
export const failedEventSchema = z
  .object({
    ...eventBase,
    type: z.literal('failed'),
    scope: z.enum(['device', 'experiment']),
    reason: z.string().min(1).max(1024),
  })
  .strict();

/**
 * The device's answer to an abort, stop or resume command, by its commandId: `ok` once done (an abort of an
 * experiment it does not hold, or a repeat of a command already done, is `ok` too); `error` with the reason.
 */
export const commandAckEventSchema = z
  .object({
    v: version,
    type: z.literal('command_ack'),
    commandId: id,
    /** The experiment an abort named. */
    experimentId: id.optional(),
    status: z.enum(['ok', 'error']),
    /** What the device did, in a few words (e.g. "killed the running process", "was not holding it"). */
    detail: z.string().max(1024).optional(),
    error: z
      .object({ code: z.string().max(64), message: z.string().max(1024) })
      .strict()
      .optional(),
    ts: timestamp,
  })
  .strict();

export const deviceEventSchema = z.discriminatedUnion('type', [
  acceptedEventSchema,
  rejectedEventSchema,
  progressEventSchema,
  resultEventSchema,
  failedEventSchema,
  commandAckEventSchema,
]);
export type CommandAckEvent = z.infer<typeof commandAckEventSchema>;
/** The events that concern one experiment (all but command_ack). */
export type ExperimentEvent = Exclude<DeviceEvent, CommandAckEvent>;
export type AcceptedEvent = z.infer<typeof acceptedEventSchema>;
export type RejectedEvent = z.infer<typeof rejectedEventSchema>;
export type ProgressEvent = z.infer<typeof progressEventSchema>;
export type ResultEvent = z.infer<typeof resultEventSchema>;
export type FailedEvent = z.infer<typeof failedEventSchema>;
export type DeviceEvent = z.infer<typeof deviceEventSchema>;

/** Periodic liveness; `running` is the number of experiments in progress, `holding` which ones it holds. */
export const heartbeatSchema = z
  .object({
    v: version,
    ts: timestamp,
    running: z.number().int().min(0).max(100_000),
    queued: z.number().int().min(0).max(100_000).optional(),
    /**
     * The experiments the device holds as it sends this heartbeat, as in Availability.holding. An
     * experiment the service has running on this device that is missing here (the device restarted
     * while the service was away, or dropped it) goes to another device within one interval.
     * Without the list, the service learns nothing from the heartbeat about what the device holds.
     */
    holding: z.array(id).max(MAX_HOLDING).optional(),
  })
  .strict();
export type Heartbeat = z.infer<typeof heartbeatSchema>;

/** Protocol map: topic kind -> payload type. */
export interface PayloadMap {
  availability: Availability;
  commands: Command;
  events: DeviceEvent;
  heartbeat: Heartbeat;
}

const schemas: { [K in keyof PayloadMap]: z.ZodType<PayloadMap[K]> } = {
  availability: availabilitySchema,
  commands: commandSchema,
  events: deviceEventSchema,
  heartbeat: heartbeatSchema,
};

export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: string };

/** Longest error parseMessage gives: it must fit in an ack's error message (1024 characters). */
export const MAX_PARSE_ERROR_LENGTH = 1000;

function refuse(error: string): { ok: false; error: string } {
  return { ok: false, error: error.length > MAX_PARSE_ERROR_LENGTH ? `${error.slice(0, MAX_PARSE_ERROR_LENGTH - 1)}…` : error };
}

/** Names a wrong `v` without JSON.stringify, which a deeply nested value would make overflow the stack. */
function describeVersion(v: unknown): string {
  if (v === undefined || v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v.length > 32 ? `${v.slice(0, 32)}…` : v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return Array.isArray(v) ? '(an array)' : '(an object)';
}

/**
 * Parses a raw MQTT payload for a topic kind. Never throws: a malformed,
 * oversized, non-JSON, wrong-version or wrong-shape payload gives a clear error.
 */
export function parseMessage<K extends keyof PayloadMap>(kind: K, payload: Uint8Array | string): ParseResult<PayloadMap[K]> {
  const size = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.byteLength;
  if (size > MAX_PAYLOAD_BYTES) return { ok: false, error: `payload of ${size} bytes exceeds the limit of ${MAX_PAYLOAD_BYTES}` };
  const text = typeof payload === 'string' ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8');
  let json: unknown;
  let prototypeKey = false;
  let nul = false;
  try {
    // zod drops a `__proto__` key from records without a word, and PostgreSQL cannot store U+0000 in text
    // or jsonb: find both (cheaply: only when the text could spell them, `\u0000` being the only way to NUL).
    json =
      text.includes('__proto__') || text.includes('\\u')
        ? JSON.parse(text, function (this: unknown, key: string, value: unknown) {
            if (key === '__proto__') prototypeKey = true;
            if (key.includes('\u0000') || (typeof value === 'string' && value.includes('\u0000'))) nul = true;
            return value;
          })
        : JSON.parse(text);
  } catch (e) {
    return { ok: false, error: `payload is not JSON: ${e instanceof RangeError ? 'nested too deeply' : (e as Error).message}` };
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return { ok: false, error: 'payload must be a JSON object' };
  if (prototypeKey) return { ok: false, error: `invalid ${kind} payload: "__proto__" is not allowed as a key` };
  if (nul) return { ok: false, error: `invalid ${kind} payload: text must not contain U+0000 (NUL)` };
  const v = (json as { v?: unknown }).v;
  if (v !== PROTOCOL_VERSION) {
    return refuse(`unsupported protocol version ${describeVersion(v)}: this service speaks v${PROTOCOL_VERSION}`);
  }
  const r = schemas[kind].safeParse(json);
  if (!r.success) {
    const lines = r.error.issues.slice(0, 10).map((i) => `${i.path.join('.') || '(payload)'}: ${i.message}`);
    return refuse(`invalid ${kind} payload: ${lines.join('; ')}`);
  }
  return { ok: true, value: r.data };
}

/**
 * Serialises a payload after checking it against its schema (so we never send what we would refuse).
 * U+0000 in a text value (a rig's output may hold one; parseMessage refuses it, since PostgreSQL cannot
 * store it) is sent as U+FFFD rather than losing the message; in a key it is an error.
 */
export function encodeMessage<K extends keyof PayloadMap>(kind: K, message: PayloadMap[K]): string {
  const r = schemas[kind].safeParse(message);
  if (!r.success)
    throw new Error(
      `refusing to send an invalid ${kind} payload: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  const text = JSON.stringify(r.data);
  // JSON.stringify writes U+0000 as the escape \u0000: without that text there is none (the usual case, no replacer cost).
  if (!text.includes('\\u0000')) return text;
  return JSON.stringify(r.data, (key: string, value: unknown) => {
    if (key.includes('\u0000')) throw new Error(`refusing to send a ${kind} payload with U+0000 (NUL) in the key ${JSON.stringify(key)}`);
    return typeof value === 'string' ? value.replaceAll('\u0000', '\ufffd') : value;
  });
}

export function now(): string {
  return new Date().toISOString();
}
