import { afterAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { isValidDeviceId, parseTopic, topics, type ParsedTopic, type TopicKind } from '#protocol';

/**
 * Property-based fuzzing of parseTopic: at least 10,000 inputs. It never
 * throws, answers `undefined` for anything that is not exactly one of the
 * protocol's device topics, and reads back every topic the topic map builds.
 */

const KINDS: TopicKind[] = ['availability', 'commands', 'events', 'heartbeat'];
const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined;
const runs = (numRuns: number): fc.Parameters<unknown> => ({ numRuns, ...(seed !== undefined ? { seed } : {}) });
let inputs = 0;
let recognised = 0;
let elapsedMs = 0;

function parse(topic: string): ParsedTopic | undefined {
  inputs++;
  let r: ParsedTopic | undefined;
  try {
    r = parseTopic(topic);
  } catch (e) {
    throw new Error(`parseTopic threw ${String(e)} on ${JSON.stringify(topic.slice(0, 200))}`, { cause: e });
  }
  if (r !== undefined) {
    recognised++;
    // Whatever it recognises is exactly a topic of the map, with a valid device id: nothing else gets through.
    expect(isValidDeviceId(r.deviceId)).toBe(true);
    expect(topics[r.kind](r.deviceId)).toBe(topic);
  }
  return r;
}

const deviceId = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/);
const kind = fc.constantFrom(...KINDS);
const badId = fc.oneof(
  fc.constantFrom(
    '',
    '+',
    '#',
    '..',
    '.',
    '-x',
    '_x',
    'a b',
    'a+b',
    'a#',
    'rig\u0000',
    'rïg',
    '💥',
    'a'.repeat(65),
    '$SYS',
    'a/b',
    ' rig',
    'rig\n',
  ),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 80 }).filter((s) => !isValidDeviceId(s) && !s.includes('/')),
);

afterAll(() => {
  console.log(`topic fuzzing: parseTopic: ${inputs} inputs (${recognised} recognised, ${inputs - recognised} refused) in ${elapsedMs} ms`);
});

describe('parseTopic under fuzzing', () => {
  const timed = (fn: () => void) => () => {
    const start = Date.now();
    try {
      fn();
    } finally {
      elapsedMs += Date.now() - start;
    }
  };

  it(
    'reads back every topic the topic map builds',
    timed(() => {
      fc.assert(
        fc.property(deviceId, kind, (id, k) => {
          expect(parse(topics[k](id))).toEqual({ deviceId: id, kind: k });
        }),
        runs(3000),
      );
    }),
  );

  it(
    'refuses near misses: other roots and versions, bad device ids, unknown kinds, extra or missing levels, wildcards',
    timed(() => {
      const mutate = fc
        .tuple(deviceId, kind, badId, fc.nat(), fc.string({ unit: 'binary', maxLength: 20 }))
        .map(([id, k, bad, pick, junk]) => {
          const options = [
            `hakken/v2/devices/${id}/${k}`,
            `Hakken/v1/devices/${id}/${k}`,
            `hakken/v1/device/${id}/${k}`,
            `hakken/v1/devices/${bad}/${k}`,
            `hakken/v1/devices/${id}/${k.toUpperCase()}`,
            `hakken/v1/devices/${id}/${k} `,
            `hakken/v1/devices/${id}/${k}/`,
            `/hakken/v1/devices/${id}/${k}`,
            `hakken/v1/devices/${id}/${k}/${junk}`,
            `hakken/v1/devices/${id}`,
            `hakken/v1/devices/+/${k}`,
            `hakken/v1/devices/#`,
            `hakken/v1/devices/${id}/${['status', 'command', 'event', 'heartbeats', '', '+', '#'][pick % 7]}`,
            `$SYS/hakken/v1/devices/${id}/${k}`,
            `hakken//v1/devices/${id}/${k}`,
          ];
          return options[pick % options.length];
        });
      fc.assert(
        fc.property(mutate, (topic) => {
          expect(parse(topic)).toBeUndefined();
        }),
        runs(4000),
      );
    }),
  );

  it(
    'never throws on arbitrary strings, including unicode, control characters and slashes',
    timed(() => {
      const slashy = fc
        .array(fc.oneof(fc.string({ unit: 'binary', maxLength: 12 }), fc.constantFrom('hakken', 'v1', 'devices', 'events')), {
          maxLength: 8,
        })
        .map((parts) => parts.join('/'));
      fc.assert(
        fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), slashy), (topic) => void parse(topic)),
        runs(3000),
      );
    }),
  );

  it(
    'refuses huge topics cheaply',
    timed(() => {
      fc.assert(
        fc.property(fc.integer({ min: 1_000, max: 65_535 }), kind, (n, k) => {
          const start = performance.now();
          expect(parse(`hakken/v1/devices/${'a'.repeat(n)}/${k}`)).toBeUndefined();
          expect(parse('/'.repeat(n))).toBeUndefined();
          expect(performance.now() - start).toBeLessThan(250);
        }),
        runs(100),
      );
    }),
  );

  it('saw at least 10,000 inputs', () => {
    expect(inputs).toBeGreaterThanOrEqual(10_000);
  });
});
