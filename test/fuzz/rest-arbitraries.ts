import fc from 'fast-check';
import { HOSTILE_KEYS, HOSTILE_VALUES, preview, render, toEntries } from './arbitraries.js';

/**
 * Hostile REST inputs: campaign definitions and batch decisions that are
 * invalid by construction, and path parameters that name nothing.
 */

export interface HostileBody {
  name: string;
  body: string;
  [fc.toStringMethod](): string;
}

function body(name: string, text: string): HostileBody {
  return { name, body: text, [fc.toStringMethod]: () => `${name}: ${preview(text)}` };
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const jsonType = (raw: string): string => {
  const v = JSON.parse(raw) as Json;
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
};

const replace = (entries: [string, string][], key: string, raw: string): [string, string][] =>
  entries.some(([k]) => k === key) ? entries.map(([k, r]) => [k, k === key ? raw : r]) : [...entries, [key, raw]];

/** Campaign definitions that no valid campaign can come from. */
export function hostileDefinition(valid: { [key: string]: Json }): fc.Arbitrary<HostileBody> {
  const required = ['name', 'parameters', 'objective', 'budget', 'batchSize'];
  const param = { name: 'x1', type: 'continuous', low: -5, high: 10 };
  const badParameters = [
    '[]',
    JSON.stringify([{ ...param, low: 10, high: -5 }]),
    JSON.stringify([param, param]),
    JSON.stringify([{ ...param, type: 'quantum' }]),
    JSON.stringify([{ ...param, extra: 1 }]),
    JSON.stringify([{ ...param, low: '-5' }]),
    JSON.stringify([{ ...param, name: '' }]),
    JSON.stringify(Array.from({ length: 1001 }, (_, i) => ({ ...param, name: `p${i}` }))),
    '[null]',
    `[${'['.repeat(2000)}${']'.repeat(2000)}]`,
  ];
  const badObjectives = [
    '{"name":"y","direction":"up"}',
    '{"name":"y","direction":"minimize","low":5,"high":5}',
    '{"name":"x1","direction":"minimize"}',
    '{"name":"y","direction":"minimize","__proto__":{"polluted":true}}',
    '{"name":"y","direction":"minimize","target":"NaN"}',
    '{"direction":"minimize"}',
  ];
  return fc
    .tuple(fc.nat(), fc.nat(), fc.constantFrom(...HOSTILE_VALUES), fc.constantFrom(...HOSTILE_KEYS), fc.string({ unit: 'binary', maxLength: 12 }))
    .map(([pick, pick2, hostile, hostileKey, randomKey]) => {
      const entries = toEntries(valid);
      const keys = Object.keys(valid);
      const ops: (() => HostileBody)[] = [
        () => {
          const k = required[pick2 % required.length];
          return body(`without ${k}`, render(entries.filter(([e]) => e !== k)));
        },
        () => {
          const k = keys[pick2 % keys.length];
          const original = jsonType(entries.find(([e]) => e === k)![1]);
          const wrong = HOSTILE_VALUES.filter((h) => jsonType(h) !== original);
          return body(`${k} of the wrong type`, render(replace(entries, k, wrong[pick % wrong.length])));
        },
        () => body(`unknown key ${JSON.stringify(hostileKey)}`, render([...entries, [hostileKey, hostile]])),
        () => body('random unknown key', render([[keys.includes(randomKey) ? `${randomKey}!` : randomKey, hostile], ...entries])),
        () => {
          const k = ['name', 'deviceKind', 'approval', 'description'][pick2 % 4];
          const huge = k === 'description' ? 'd'.repeat(10_001 + (pick % 50_000)) : '\u00e9💥'.repeat(201 + (pick % 5000));
          return body(`huge ${k}`, render(replace(entries, k, JSON.stringify(huge))));
        },
        () => {
          const k = ['budget', 'batchSize'][pick2 % 2];
          const raw = ['"NaN"', '"Infinity"', '1e999', '-1', '0', '1.5', '100001', '"5"', 'NaN'][pick % 9];
          return body(`${k} = ${raw}`, render(replace(entries, k, raw)));
        },
        () => body('bad parameters', render(replace(entries, 'parameters', badParameters[pick % badParameters.length]))),
        () => body('bad objective', render(replace(entries, 'objective', badObjectives[pick % badObjectives.length]))),
        () => body('batch larger than the budget', render(replace(replace(entries, 'budget', '5'), 'batchSize', '6'))),
        () => body('deeply nested description', render(replace(entries, 'description', `${'['.repeat(5000)}${']'.repeat(5000)}`))),
        () => {
          const full = render(entries);
          return body('truncated JSON', full.slice(0, pick % full.length));
        },
        () => body('not an object', ['[]', '[{}]', '"campaign"', '1', 'null', 'true', '', ' ', '{', 'NaN', '{"a":1}{"b":2}'][pick % 11]),
      ];
      return ops[pick % ops.length]();
    });
}

/** Batch decisions (`{by, note}`) that are invalid by construction (never an empty body: that means "no note"). */
export function hostileDecision(): fc.Arbitrary<HostileBody> {
  const notString = HOSTILE_VALUES.filter((h) => jsonType(h) !== 'string');
  return fc.tuple(fc.nat(), fc.constantFrom(...HOSTILE_VALUES), fc.constantFrom(...HOSTILE_KEYS)).map(([pick, hostile, hostileKey]) => {
    const ops: (() => HostileBody)[] = [
      () => body('by of the wrong type', render([['by', notString[pick % notString.length]]])),
      () => body('note of the wrong type', render([['by', '"fuzz"'], ['note', notString[pick % notString.length]]])),
      () => body('empty by', '{"by":""}'),
      () => body('huge by', JSON.stringify({ by: 'b'.repeat(129 + (pick % 10_000)) })),
      () => body('huge note', JSON.stringify({ by: 'fuzz', note: 'n'.repeat(2001 + (pick % 100_000)) })),
      () => body(`unknown key ${JSON.stringify(hostileKey)}`, render([['by', '"fuzz"'], [hostileKey, hostile]])),
      () => body('not an object', ['[]', '"ok"', '1', 'true', '{', '{"by":"a"', '[{"by":"a"}]'][pick % 7]),
    ];
    return ops[pick % ops.length]();
  });
}

/** Path parameters that name no campaign or batch, URL-encoded where needed. */
export function hostileId(): fc.Arbitrary<string> {
  return fc.oneof(
    fc.constantFrom(
      '..',
      '%2e%2e',
      '%2E%2E%2F%2E%2E',
      '%00',
      '%E0%A4%A',
      '%',
      "'%20OR%201%3D1%20--",
      '1;DROP%20TABLE%20campaigns',
      '00000000-0000-0000-0000-000000000000',
      'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF',
      'null',
      'undefined',
      '__proto__',
      'constructor',
      '%F0%9F%92%A5',
      'a'.repeat(4000),
    ),
    fc.uuid(),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 200 }).map((s) => encodeURIComponent(s)),
  );
}
