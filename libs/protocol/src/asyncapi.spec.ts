import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { buildAsyncApiDocument, PAYLOAD_SCHEMA_FORMAT, protocolSchemas } from './asyncapi.js';
import * as messages from './messages.js';
import { topics, type TopicKind } from './topics.js';

interface Doc {
  asyncapi: string;
  channels: Record<string, { address: string; messages: Record<string, { $ref: string }> }>;
  operations: Record<string, { action: string; channel: { $ref: string }; bindings: { mqtt: { qos: number; retain: boolean } } }>;
  components: {
    schemas: Record<string, { schemaFormat: string; schema: unknown }>;
    messages: Record<string, { payload: { $ref: string } }>;
  };
}

const file = fileURLToPath(new URL('../asyncapi.json', import.meta.url));

describe('AsyncAPI document of protocol v1', () => {
  let doc: Doc;
  beforeAll(async () => {
    doc = JSON.parse(await readFile(file, 'utf8')) as Doc;
  });

  it('is what the zod schemas generate (run `npm run asyncapi` after changing messages.ts)', () => {
    expect(doc).toEqual(JSON.parse(JSON.stringify(buildAsyncApiDocument())));
    expect(doc.asyncapi).toBe('3.0.0');
  });

  it('holds every schema exported by messages.ts, each equal to z.toJSONSchema of it', () => {
    const exported = Object.entries(messages).filter(([name, v]) => name.endsWith('Schema') && v instanceof z.ZodType);
    expect(exported.length).toBeGreaterThanOrEqual(13);
    for (const [name, schema] of exported) {
      const component = doc.components.schemas[name.slice(0, -'Schema'.length)];
      expect(component).toBeDefined();
      expect(component.schemaFormat).toBe(PAYLOAD_SCHEMA_FORMAT);
      expect(component.schema).toEqual(z.toJSONSchema(schema as z.ZodType, { target: 'draft-7' }));
    }
    expect(Object.keys(doc.components.schemas).sort()).toEqual(Object.keys(protocolSchemas()).sort());
  });

  it('has a channel per topic kind, at the address topics.ts builds, with a message per command and event type', () => {
    const kinds: TopicKind[] = ['availability', 'commands', 'events', 'heartbeat'];
    expect(Object.keys(doc.channels).sort()).toEqual([...kinds].sort());
    for (const kind of kinds) expect(doc.channels[kind].address).toBe(topics[kind]('DEVICE').replace('DEVICE', '{deviceId}'));
    const payloadOf = (channel: string) =>
      Object.keys(doc.channels[channel].messages).map((m) => doc.components.messages[m].payload.$ref.split('/').pop());
    expect(payloadOf('commands')).toEqual(messages.commandSchema.options.map((o) => `${o.shape.type.value}Command`));
    const camel = (type: string) => type.replace(/_(\w)/g, (_, c: string) => c.toUpperCase());
    expect(payloadOf('events')).toEqual(messages.deviceEventSchema.options.map((o) => `${camel(o.shape.type.value)}Event`));
    expect(payloadOf('availability')).toEqual(['availability']);
    expect(payloadOf('heartbeat')).toEqual(['heartbeat']);
  });

  it('resolves every $ref and states QoS and retain per operation', () => {
    const resolve = (ref: string): unknown =>
      ref
        .slice(2)
        .split('/')
        .reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], doc);
    const refs: string[] = [];
    JSON.stringify(doc, (key, value: unknown) => {
      if (key === '$ref' && typeof value === 'string') refs.push(value);
      return value;
    });
    expect(refs.length).toBeGreaterThan(20);
    for (const ref of refs) expect(resolve(ref)).toBeDefined();
    expect(doc.operations.sendAvailability.bindings.mqtt).toEqual({ qos: 1, retain: true, bindingVersion: '0.2.0' });
    expect(doc.operations.receiveCommands).toMatchObject({ action: 'receive', bindings: { mqtt: { qos: 1, retain: false } } });
    expect(doc.operations.sendHeartbeat.bindings.mqtt.qos).toBe(0);
  });
});
