import fc from 'fast-check';
import {
  acceptedEventSchema,
  ackCommandSchema,
  availabilitySchema,
  failedEventSchema,
  heartbeatSchema,
  progressEventSchema,
  rejectedEventSchema,
  resultEventSchema,
  runCommandSchema,
  type PayloadMap,
} from '#protocol';

/**
 * Generators for the protocol fuzz suites: valid messages of every payload
 * kind (for round trips and as seeds for mutation), hostile JSON values and
 * keys, and mutations that make a valid message invalid by construction.
 */

export type Kind = keyof PayloadMap;
export const KINDS: Kind[] = ['availability', 'commands', 'events', 'heartbeat'];

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/** A message as a list of entries with raw JSON text, so that `__proto__`, `-0` or `1e999` survive into the payload. */
export type Entries = [key: string, rawJson: string][];

export const PROTOTYPE_KEYS = ['__proto__', 'constructor', 'prototype'];
export const HOSTILE_KEYS = [
  ...PROTOTYPE_KEYS,
  'toString',
  'valueOf',
  'hasOwnProperty',
  '__defineGetter__',
  '$where',
  '$ne',
  '',
  '\u0000',
  '\u202e',
  '💥',
  'v ',
  'V',
  'type\u0000',
];

const ts = fc
  .date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true })
  .map((d) => d.toISOString());
/** Any unicode but U+0000, which the protocol refuses (PostgreSQL cannot store it). */
const unicode = (constraints: { minLength?: number; maxLength: number }) =>
  fc.string({ unit: 'binary', ...constraints }).map((s) => s.replaceAll('\u0000', '\u0001'));
// At most 64 code points: at most 128 UTF-16 units, the protocol's limit on ids.
const id = unicode({ minLength: 1, maxLength: 64 });
// `__proto__` is refused as a name (zod would drop it from a record without a word).
const key = unicode({ maxLength: 32 }).filter((k) => k !== '__proto__');
const finite = fc.double({ noNaN: true, noDefaultInfinity: true });
const text = (maxUnits: number) => unicode({ maxLength: Math.floor(maxUnits / 2) });
const attempt = fc.integer({ min: 1, max: 2 ** 31 });

const limit = fc.record(
  { low: finite, high: finite, choices: fc.array(text(256), { maxLength: 5 }), unit: text(32) },
  { requiredKeys: [] },
);

const availability = fc.record(
  {
    v: fc.constant(1),
    status: fc.constantFrom('online', 'offline'),
    ts,
    kind: text(64),
    capacity: fc.integer({ min: 1, max: 10_000 }),
    heartbeatIntervalS: fc.double({ min: 0.1, max: 3600, noNaN: true }),
    capabilities: fc.record(
      { parameters: fc.dictionary(key, limit, { maxKeys: 5 }), objectives: fc.array(text(64), { maxLength: 5 }), description: text(1024) },
      { requiredKeys: [] },
    ),
  },
  { requiredKeys: ['v', 'status'] },
);

const run = fc.record({
  v: fc.constant(1),
  type: fc.constant('run'),
  experimentId: id,
  campaignId: id,
  attempt,
  params: fc.dictionary(key, fc.oneof(finite, text(256)), { maxKeys: 10 }),
  issuedAt: ts,
});

const ack = fc.record(
  {
    v: fc.constant(1),
    type: fc.constant('ack'),
    experimentId: id,
    attempt,
    status: fc.constantFrom('ok', 'error'),
    error: fc.record({ code: text(64), message: text(1024) }),
  },
  { requiredKeys: ['v', 'type', 'experimentId', 'status'] },
);

const eventBase = { v: fc.constant(1), experimentId: id, attempt, ts };
const eventRequired = ['v', 'type', 'experimentId', 'ts'] as const;
const events = fc.oneof(
  fc.record({ ...eventBase, type: fc.constant('accepted') }, { requiredKeys: [...eventRequired] }),
  fc.record(
    { ...eventBase, type: fc.constant('rejected'), reason: unicode({ minLength: 1, maxLength: 512 }) },
    {
      requiredKeys: [...eventRequired, 'reason' as const],
    },
  ),
  fc.record(
    { ...eventBase, type: fc.constant('progress'), fraction: fc.double({ min: 0, max: 1, noNaN: true }), message: text(1024) },
    {
      requiredKeys: [...eventRequired, 'fraction' as const],
    },
  ),
  fc.record(
    {
      ...eventBase,
      type: fc.constant('result'),
      values: fc.dictionary(key, fc.option(finite, { nil: null }), { maxKeys: 10 }),
      metadata: fc.dictionary(key, fc.oneof(text(1024), finite, fc.boolean()), { maxKeys: 5 }),
    },
    { requiredKeys: [...eventRequired, 'values' as const] },
  ),
  fc.record(
    {
      ...eventBase,
      type: fc.constant('failed'),
      scope: fc.constantFrom('device', 'experiment'),
      reason: unicode({ minLength: 1, maxLength: 512 }),
    },
    { requiredKeys: [...eventRequired, 'scope' as const, 'reason' as const] },
  ),
);

const heartbeat = fc.record(
  { v: fc.constant(1), ts, running: fc.integer({ min: 0, max: 100_000 }), queued: fc.integer({ min: 0, max: 100_000 }) },
  { requiredKeys: ['v', 'ts', 'running'] },
);

/** Valid messages of a kind (as plain JSON objects). */
export function validMessage(kind: Kind): fc.Arbitrary<JsonObject> {
  const arbs: Record<Kind, fc.Arbitrary<JsonObject>> = {
    availability: availability,
    commands: fc.oneof(run, ack),
    events: events,
    heartbeat: heartbeat,
  };
  return arbs[kind];
}

interface ObjectSchema {
  shape: Record<string, { safeParse(x: unknown): { success: boolean } }>;
}
const variants: ObjectSchema[] = [
  availabilitySchema,
  runCommandSchema,
  ackCommandSchema,
  acceptedEventSchema,
  rejectedEventSchema,
  progressEventSchema,
  resultEventSchema,
  failedEventSchema,
  heartbeatSchema,
];

/** The schema of this message's variant (the schemas are strict: every other key is refused). */
function variantOf(message: JsonObject): ObjectSchema {
  if ('type' in message) return variants.find((s) => 'type' in s.shape && s.shape.type.safeParse(message.type).success) ?? runCommandSchema;
  return 'status' in message ? availabilitySchema : heartbeatSchema;
}

/** Fields without which the message is invalid: those whose schema does not accept `undefined`. */
function requiredKeys(schema: ObjectSchema): string[] {
  return Object.keys(schema.shape).filter((k) => !schema.shape[k].safeParse(undefined).success);
}

export function toEntries(message: JsonObject): Entries {
  return Object.entries(message).map(([k, v]) => [k, JSON.stringify(v)]);
}

export function render(entries: Entries): string {
  return `{${entries.map(([k, raw]) => `${JSON.stringify(k)}:${raw}`).join(',')}}`;
}

const jsonType = (raw: string): string => {
  const v = JSON.parse(raw) as Json;
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
};

/** JSON texts of every type, including the hostile ones. */
export const HOSTILE_VALUES: string[] = [
  'null',
  'true',
  'false',
  '0',
  '-0',
  '1',
  '-1',
  '1e308',
  '1e999',
  '-1e999',
  '4.9e-324',
  '9007199254740993',
  '"NaN"',
  '"Infinity"',
  '"-Infinity"',
  '"1e999"',
  '"1"',
  '""',
  '"\\u0000"',
  '"\\ud800"',
  '"<script>alert(1)</script>"',
  '"\'; DROP TABLE experiments; --"',
  '"online"',
  '[]',
  '[1,2,3]',
  '[null]',
  '{}',
  '{"$ne":null}',
  '{"__proto__":{"polluted":true}}',
  '{"constructor":{"prototype":{"polluted":true}}}',
];

export interface Mutation {
  name: string;
  /** The mutated payload. */
  payload: string;
  /** True when no valid message can result (the parser must refuse it). */
  invalid: boolean;
}

/** Shortens a payload for failure reports (fast-check prints counterexamples in full otherwise). */
export function preview(payload: string | Uint8Array): string {
  const s = typeof payload === 'string' ? payload : Buffer.from(payload).toString('latin1');
  return JSON.stringify(s.length > 300 ? `${s.slice(0, 200)}…${s.slice(-60)} (${s.length} chars)` : s);
}

/** A payload that prints itself shortly in a fast-check counterexample. */
export interface Labelled extends Mutation {
  [fc.toStringMethod](): string;
}

function labelled(m: Mutation): Labelled {
  return { ...m, [fc.toStringMethod]: () => `${m.name}: ${preview(m.payload)}` };
}

/** One mutation of a valid message; most are invalid by construction. */
export function mutation(kind: Kind): fc.Arbitrary<Labelled> {
  return fc
    .tuple(
      validMessage(kind),
      fc.nat(),
      fc.nat(),
      fc.constantFrom(...HOSTILE_VALUES),
      fc.constantFrom(...HOSTILE_KEYS),
      fc.string({ unit: 'binary', maxLength: 16 }),
    )
    .map(([message, pick, pick2, hostile, hostileKey, randomKey]) => {
      const entries = toEntries(message);
      const keys = Object.keys(message);
      const at = (n: number) => keys[n % keys.length];
      const variant = variantOf(message);
      const required = requiredKeys(variant);
      const known = new Set(Object.keys(variant.shape));
      const ops: (() => Mutation)[] = [
        () => {
          const k = required[pick2 % required.length];
          return { name: `remove required ${k}`, payload: render(entries.filter(([e]) => e !== k)), invalid: true };
        },
        () => {
          const k = at(pick2);
          const original = jsonType(entries.find(([e]) => e === k)![1]);
          const wrong = HOSTILE_VALUES.filter((h) => jsonType(h) !== original);
          const raw = wrong[pick % wrong.length];
          return { name: `${k} of the wrong type`, payload: render(entries.map(([e, r]) => [e, e === k ? raw : r])), invalid: true };
        },
        () => {
          const k = known.has(hostileKey) ? '__proto__' : hostileKey;
          return { name: `unknown key ${JSON.stringify(k)}`, payload: render([...entries, [k, hostile]]), invalid: true };
        },
        () => {
          const k = known.has(randomKey) ? `${randomKey}\u0001` : randomKey;
          return { name: 'random unknown key', payload: render([[k, hostile], ...entries]), invalid: true };
        },
        () => {
          // Longer than every string limit of the protocol, and never a valid timestamp or enum value.
          const k = at(pick2);
          const huge = JSON.stringify('\u00e9\u6f22💥x'.repeat(600 + (pick % 4000)));
          return { name: `huge string in ${k}`, payload: render(entries.map(([e, r]) => [e, e === k ? huge : r])), invalid: true };
        },
        () => {
          const raw = ['"NaN"', '"Infinity"', '"-Infinity"', '1e999', '-1e999', 'NaN', 'Infinity'][pick % 7];
          const numeric = entries.filter(([k, r]) => k !== 'v' && jsonType(r) === 'number').map(([k]) => k);
          const k = numeric.length ? numeric[pick2 % numeric.length] : 'v';
          return { name: `${k} = ${raw}`, payload: render(entries.map(([e, r]) => [e, e === k ? raw : r])), invalid: true };
        },
        () => {
          const raw = ['0', '2', '"1"', 'null', 'true', '[1]', '{"v":1}', '1e999', '-1'][pick % 9];
          return { name: `v = ${raw}`, payload: render(entries.map(([e, r]) => [e, e === 'v' ? raw : r])), invalid: true };
        },
        () => {
          const records = entries.filter(([, r]) => jsonType(r) === 'object').map(([k]) => k);
          if (records.length === 0)
            return { name: 'top-level __proto__', payload: render([['__proto__', hostile], ...entries]), invalid: true };
          const k = records[pick2 % records.length];
          const prototypeKey = PROTOTYPE_KEYS[pick % PROTOTYPE_KEYS.length];
          const inner = JSON.parse(entries.find(([e]) => e === k)![1]) as JsonObject;
          const nested = render([['__proto__', hostile], ...toEntries(inner), [prototypeKey, hostile]]);
          return { name: `__proto__ inside ${k}`, payload: render(entries.map(([e, r]) => [e, e === k ? nested : r])), invalid: true };
        },
        () => {
          const full = render(entries);
          return { name: 'truncated', payload: full.slice(0, pick % full.length), invalid: true };
        },
        () => {
          const k = at(pick2);
          const raw = JSON.stringify(`${'x'.repeat(pick % 8)}\u0000${'y'.repeat(pick2 % 8)}`);
          return { name: `NUL in ${k}`, payload: render(entries.map(([e, r]) => [e, e === k ? raw : r])), invalid: true };
        },
        () => {
          // Random bytes written over the text: may still be valid (a changed letter in a string).
          const bytes = Buffer.from(render(entries), 'utf8');
          bytes[pick % bytes.length] = pick2 % 256;
          return { name: 'byte flipped', payload: bytes.toString('latin1'), invalid: false };
        },
      ];
      return labelled(ops[pick % ops.length]());
    });
}

/** JSON that nests `depth` levels deep, as arrays, objects, or inside an otherwise valid field. */
export function deeplyNested(kind: Kind): fc.Arbitrary<Labelled> {
  return fc
    .tuple(fc.integer({ min: 1_000, max: 60_000 }), fc.constantFrom('array', 'object', 'field'), validMessage(kind))
    .map(([depth, shape, message]) => {
      const name = `${depth} levels, ${shape}`;
      if (shape === 'array') return labelled({ name, payload: `${'['.repeat(depth)}${']'.repeat(depth)}`, invalid: true });
      if (shape === 'object') return labelled({ name, payload: `${'{"v":1,"a":'.repeat(depth)}1${'}'.repeat(depth)}`, invalid: true });
      const entries = toEntries(message);
      const k = entries[depth % entries.length][0];
      const payload = render(entries.map(([e, r]) => [e, e === k ? `${'['.repeat(depth)}${']'.repeat(depth)}` : r]));
      return labelled({ name: `${name} in ${k}`, payload, invalid: true });
    });
}

/** Hostile objects: hostile keys with hostile values, in JSON text so that prototype keys stay own keys. */
export function hostileObject(): fc.Arbitrary<Labelled> {
  const anyKey = fc.oneof(
    fc.constantFrom(...HOSTILE_KEYS, 'v', 'type', 'experimentId', 'values', 'status', 'ts'),
    fc.string({ unit: 'binary', maxLength: 20 }),
  );
  return fc
    .array(
      fc.tuple(
        anyKey,
        fc.oneof(
          fc.constantFrom(...HOSTILE_VALUES),
          fc.jsonValue({ maxDepth: 3 }).map((j) => JSON.stringify(j)),
        ),
      ),
      { maxLength: 12 },
    )
    .map((entries) => labelled({ name: 'hostile object', payload: render([['v', '1'], ...entries]), invalid: false }));
}

/** A valid message padded past MAX_PAYLOAD_BYTES; multi-byte characters make the byte length exceed it before the character count does. */
export function oversized(kind: Kind, maxBytes: number): fc.Arbitrary<Labelled> {
  return fc
    .tuple(validMessage(kind), fc.integer({ min: 1, max: 64 * 1024 }), fc.constantFrom('x', '€', '💥'))
    .map(([message, extra, ch]) => {
      const bytes = Buffer.byteLength(ch);
      const padding = ch.repeat(Math.ceil((maxBytes + extra) / bytes));
      return labelled({
        name: `oversized by ${extra} bytes`,
        payload: render([...toEntries(message), ['padding', JSON.stringify(padding)]]),
        invalid: true,
      });
    });
}
