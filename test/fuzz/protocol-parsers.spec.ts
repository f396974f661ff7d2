import { afterAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { encodeMessage, MAX_PAYLOAD_BYTES, parseMessage, type ParseResult } from '#protocol';
import { deeplyNested, hostileObject, KINDS, mutation, oversized, preview, validMessage, type Kind } from './arbitraries.js';

/**
 * Property-based fuzzing of every MQTT payload parser (parseMessage per topic
 * kind): at least 10,000 malformed, oversized, deeply nested, wrong-typed and
 * hostile inputs per parser. It must never throw, must refuse what is invalid
 * with a clear error short enough to travel back in an ack, and must give
 * back exactly what a valid message said.
 */

const MIN_INPUTS = 10_000;
/** An ack's error message holds at most 1024 characters: a refusal must fit. */
const MAX_ERROR_LENGTH = 1024;
const CLEAR_ERROR =
  /^(payload of \d+ bytes exceeds the limit of \d+|payload is not JSON: |payload must be a JSON object|unsupported protocol version .*: this service speaks v1|invalid (availability|commands|events|heartbeat) payload: \S)/s;
/** FUZZ_SEED reproduces a failing run (fast-check prints the seed when a property fails). */
const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined;
const runs = (numRuns: number): fc.Parameters<unknown> => ({ numRuns, ...(seed !== undefined ? { seed } : {}) });

const counts = new Map<Kind, { inputs: number; refused: number; accepted: number; ms: number }>();
for (const k of KINDS) counts.set(k, { inputs: 0, refused: 0, accepted: 0, ms: 0 });

/** Parses, counting, and checks what every answer must satisfy; returns the answer. */
function parse<K extends Kind>(kind: K, payload: string | Uint8Array): ParseResult<unknown> {
  const c = counts.get(kind)!;
  c.inputs++;
  let r: ParseResult<unknown>;
  try {
    r = parseMessage(kind, payload);
  } catch (e) {
    throw new Error(`parseMessage('${kind}') threw ${String(e)} on ${preview(payload)}`, { cause: e });
  }
  if (r.ok) {
    c.accepted++;
    // What was accepted is a real message: it can be sent again and reads back the same.
    expect(Object.getPrototypeOf(r.value)).toBe(Object.prototype);
    const again = parseMessage(kind, encodeMessage(kind, r.value as never));
    expect(again).toEqual({ ok: true, value: JSON.parse(JSON.stringify(r.value)) });
  } else {
    c.refused++;
    if (typeof r.error !== 'string' || !CLEAR_ERROR.test(r.error) || r.error.length > MAX_ERROR_LENGTH) {
      throw new Error(
        `unclear refusal (${typeof r.error === 'string' ? r.error.length : typeof r.error} chars): ${String(r.error).slice(0, 300)}`,
      );
    }
  }
  return r;
}

function refused(kind: Kind, payload: string | Uint8Array, what: string): void {
  const r = parse(kind, payload);
  if (r.ok) throw new Error(`${kind}: accepted an invalid payload (${what}): ${preview(payload)}`);
}

afterAll(() => {
  const lines = KINDS.map((k) => {
    const c = counts.get(k)!;
    return `  parseMessage('${k}'): ${c.inputs} inputs (${c.refused} refused, ${c.accepted} accepted) in ${c.ms} ms`;
  });
  console.log(`protocol parser fuzzing${seed !== undefined ? ` (seed ${seed})` : ''}:\n${lines.join('\n')}`);
});

describe.each(KINDS)('parseMessage(%s) under fuzzing', (kind) => {
  const timed = (fn: () => void) => () => {
    const start = Date.now();
    try {
      fn();
    } finally {
      counts.get(kind)!.ms += Date.now() - start;
    }
  };

  it(
    'round-trips valid messages exactly',
    timed(() => {
      fc.assert(
        fc.property(validMessage(kind), fc.boolean(), (message, asBytes) => {
          const text = encodeMessage(kind, message as never);
          const r = parse(kind, asBytes ? Buffer.from(text, 'utf8') : text);
          expect(r).toEqual({ ok: true, value: JSON.parse(text) });
        }),
        runs(1500),
      );
    }),
  );

  it(
    'refuses mutations of valid messages: fields removed, types swapped, huge strings, NaN/Infinity, prototype keys, truncation',
    timed(() => {
      const seen = new Set<string>();
      fc.assert(
        fc.property(mutation(kind), (m) => {
          seen.add(m.name.replace(/ .*/, ''));
          if (m.invalid) refused(kind, m.payload, m.name);
          else parse(kind, Buffer.from(m.payload, 'latin1'));
        }),
        runs(4000),
      );
      expect(seen.size).toBeGreaterThanOrEqual(6);
    }),
  );

  it(
    'refuses random bytes, random JSON and hostile objects',
    timed(() => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => void parse(kind, bytes)),
        runs(1000),
      );
      fc.assert(
        fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (s) => void parse(kind, s)),
        runs(500),
      );
      fc.assert(
        fc.property(fc.jsonValue({ maxDepth: 5 }), (j) => {
          const r = parse(kind, JSON.stringify(j) ?? 'null');
          if (typeof j !== 'object' || j === null || Array.isArray(j)) expect(r.ok).toBe(false);
        }),
        runs(1500),
      );
      fc.assert(
        fc.property(hostileObject(), (h) => void parse(kind, h.payload)),
        runs(1500),
      );
    }),
  );

  it(
    'refuses deeply nested JSON without overflowing the stack',
    timed(() => {
      fc.assert(
        fc.property(deeplyNested(kind), (d) => refused(kind, d.payload, d.name)),
        runs(150),
      );
    }),
  );

  it(
    'refuses oversized payloads by their byte length, before reading them',
    timed(() => {
      fc.assert(
        fc.property(oversized(kind, MAX_PAYLOAD_BYTES), fc.boolean(), (o, asBytes) => {
          const r = parse(kind, asBytes ? Buffer.from(o.payload, 'utf8') : o.payload);
          expect(r.ok).toBe(false);
          if (!r.ok) expect(r.error).toMatch(/exceeds the limit of 262144/);
        }),
        runs(100),
      );
    }),
  );

  it('refuses a fixed list of classic hostile payloads', () => {
    const ts = new Date().toISOString();
    const hostile: (string | Uint8Array)[] = [
      '',
      ' ',
      'null',
      'true',
      '1',
      '"v"',
      '[]',
      '[{"v":1}]',
      '{}',
      '{"v":1}',
      '{"v":"1"}',
      '{"v":1.0000000000000002}',
      '{"v":1,"v":2}',
      '{"__proto__":{"v":1}}',
      `{"v":1,"__proto__":{"polluted":true},"ts":"${ts}","running":0,"status":"online"}`,
      `{"v":1,"constructor":{"prototype":{"polluted":true}},"ts":"${ts}","running":0,"status":"online"}`,
      '{"v":1,"type":"result","experimentId":"a","ts":"NaN","values":{"y":NaN}}',
      '{"v":1,"type":"result","experimentId":"a","ts":"2026-01-01T00:00:00Z","values":{"y":"Infinity"}}',
      `{"v":1,"type":"result","experimentId":"a","ts":"${ts}","values":{"__proto__":1}}`,
      `{"v":1,"type":"run","experimentId":"a","campaignId":"b","attempt":1,"issuedAt":"${ts}","params":{"__proto__":1}}`,
      `{"v":1,"status":"online","capabilities":{"parameters":{"__proto__":{"low":0}}}}`,
      `{"v":1,"type":"failed","experimentId":"a","ts":"${ts}","scope":"device","reason":"pump\\u0000stalled"}`,
      `{"v":1,"type":"result","experimentId":"a\\u0000","ts":"${ts}","values":{"y":1}}`,
      `{"v":1,"type":"result","experimentId":"a","ts":"${ts}","values":{"y\\u0000":1}}`,
      new Uint8Array([0xef, 0xbb, 0xbf, 0x7b, 0x7d]),
      new Uint8Array([0xff, 0xfe, 0x7b, 0x00, 0x7d, 0x00]),
      new Uint8Array([0xc0, 0xaf]),
      Buffer.from('{"v":1}\u0000garbage'),
      `{"v":${JSON.stringify('x'.repeat(200_000))}}`,
      `{"v":1,${Array.from({ length: 2000 }, (_, i) => `"${'k'.repeat(60)}${i}":1`).join(',')}}`,
    ];
    for (const payload of hostile) refused(kind, payload, 'classic');
    expect(Object.keys(Object.prototype)).toEqual([]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('saw at least 10,000 inputs', () => {
    expect(counts.get(kind)!.inputs).toBeGreaterThanOrEqual(MIN_INPUTS);
  });
});
