import { z } from 'zod';
import * as messages from './messages.js';
import { PROTOCOL_VERSION, TOPIC_ROOT } from './topics.js';

/**
 * Builds the AsyncAPI 3 document of protocol v1 from the zod schemas, so the
 * document cannot drift from what the code parses: `libs/protocol/asyncapi.json`
 * is this function's output (`npm run asyncapi` rewrites it; a test checks it).
 * Written from the device's side: a device sends availability, heartbeats and
 * events, and receives commands; the orchestrator does the opposite.
 */

/** JSON Schema dialect of every payload (AsyncAPI multi-format schema). */
export const PAYLOAD_SCHEMA_FORMAT = 'application/schema+json;version=draft-07';

/** The payload schema for a zod schema, as it appears in the document. */
export function payloadSchema(schema: z.ZodType): Record<string, unknown> {
  return z.toJSONSchema(schema, { target: 'draft-7' });
}

/** Every `...Schema` exported by messages.ts, by component name (`runCommandSchema` -> `runCommand`). */
export function protocolSchemas(): Record<string, z.ZodType> {
  const out: Record<string, z.ZodType> = {};
  for (const [name, value] of Object.entries(messages)) {
    if (name.endsWith('Schema') && value instanceof z.ZodType) out[name.slice(0, -'Schema'.length)] = value;
  }
  return out;
}

interface MessageSpec {
  schema: string;
  title: string;
  summary: string;
  correlated?: boolean;
  /** Correlated by its commandId (abort, stop, resume and their command_ack). */
  byCommand?: boolean;
}

const MESSAGES: Record<string, MessageSpec> = {
  availability: {
    schema: 'availability',
    title: 'Availability',
    summary:
      'Retained. `online` with kind, capacity, heartbeat interval and capabilities on connect; `offline` on a clean stop and as the Last Will. An empty retained payload clears a removed device.',
  },
  heartbeat: {
    schema: 'heartbeat',
    title: 'Heartbeat',
    summary:
      'Not retained, QoS 0, every heartbeatIntervalS; a device silent for three intervals is taken as offline. `holding` lists the experiments the device holds: one the service has running there and not listed goes to another device.',
  },
  run: {
    schema: 'runCommand',
    title: 'Run command',
    summary:
      'Run an experiment. Re-sent until the device answers `accepted`, `rejected`, or with the result or failure (which stands for the acceptance: a device that answers at once sends no `accepted`); the device de-duplicates by experimentId and attempt.',
    correlated: true,
  },
  ack: {
    schema: 'ackCommand',
    title: 'Ack command',
    summary:
      'The service stored (status ok: the outcome in its database is this one), kept apart as conflicting (status conflict: the experiment already ended with another outcome; see reportId) or refused (status error) a result/failure; with `attempt`, it only clears that attempt. The device stops re-sending.',
    correlated: true,
  },
  abort: {
    schema: 'abortCommand',
    title: 'Abort command',
    summary:
      'Abort one experiment: the device stops its run and sends no result for it (the service already recorded it as aborted: neither data nor re-dispatched). Re-sent until a command_ack with its commandId.',
    byCommand: true,
  },
  stop: {
    schema: 'stopCommand',
    title: 'Stop command',
    summary:
      'Emergency stop: the device aborts everything it holds (finishes nothing) and runs nothing (run commands are rejected) until a resume. Re-sent until a command_ack.',
    byCommand: true,
  },
  resume: {
    schema: 'resumeCommand',
    title: 'Resume command',
    summary: 'Ends a stop: the device takes run commands again. Re-sent until a command_ack.',
    byCommand: true,
  },
  commandAck: {
    schema: 'commandAckEvent',
    title: 'Command ack event',
    summary:
      'The device did (status ok) or cannot do (status error, with the reason) the abort, stop or resume command of this commandId; a repeat of a command already done is ok. The service stops re-sending it and logs the answer.',
    byCommand: true,
  },
  accepted: {
    schema: 'acceptedEvent',
    title: 'Accepted event',
    summary:
      'The device queued or is running the experiment (also the answer to a duplicate command). Optional when the result or failure follows at once: the service takes a final report as the acceptance too (the SDK holds the acceptance back for acceptanceDelayMs, 100 ms by default, and sends it before any progress). An acceptance arriving after the final report changes nothing.',
    correlated: true,
  },
  rejected: {
    schema: 'rejectedEvent',
    title: 'Rejected event',
    summary:
      'The device will not run the command: a parameter is undeclared or outside its safe limits. Not acknowledged; the service tries another device.',
    correlated: true,
  },
  progress: { schema: 'progressEvent', title: 'Progress event', summary: 'Fraction done, optional message.', correlated: true },
  result: {
    schema: 'resultEvent',
    title: 'Result event',
    summary: 'Measured values. Re-sent until acknowledged. Stands for the acceptance too when none was sent (dispatched → completed in one step).',
    correlated: true,
  },
  failed: {
    schema: 'failedEvent',
    title: 'Failed event',
    summary:
      'scope `device`: the rig failed (retry elsewhere, not learned from); scope `experiment`: the condition failed (learned from). Re-sent until acknowledged. Stands for the acceptance too when none was sent.',
    correlated: true,
  },
};

interface ChannelSpec {
  kind: string;
  description: string;
  messages: string[];
  /** What the device does on it. */
  action: 'send' | 'receive';
  qos: 0 | 1;
  retain: boolean;
}

const CHANNELS: ChannelSpec[] = [
  {
    kind: 'availability',
    description: 'Device presence and what it can run.',
    messages: ['availability'],
    action: 'send',
    qos: 1,
    retain: true,
  },
  { kind: 'heartbeat', description: 'Periodic liveness of a device.', messages: ['heartbeat'], action: 'send', qos: 0, retain: false },
  {
    kind: 'commands',
    description: 'Commands from the service to one device.',
    messages: ['run', 'ack', 'abort', 'stop', 'resume'],
    action: 'receive',
    qos: 1,
    retain: false,
  },
  {
    kind: 'events',
    description: 'What a device reports about its experiments.',
    messages: ['accepted', 'rejected', 'progress', 'result', 'failed', 'commandAck'],
    action: 'send',
    qos: 1,
    retain: false,
  },
];

export function buildAsyncApiDocument(): Record<string, unknown> {
  const schemas = protocolSchemas();
  const channels: Record<string, unknown> = {};
  const operations: Record<string, unknown> = {};
  for (const c of CHANNELS) {
    channels[c.kind] = {
      address: `${TOPIC_ROOT}/devices/{deviceId}/${c.kind}`,
      description: c.description,
      parameters: { deviceId: { description: 'Device id: letters, digits, _ . - (at most 64, starting with a letter or digit).' } },
      messages: Object.fromEntries(c.messages.map((m) => [m, { $ref: `#/components/messages/${m}` }])),
    };
    operations[`${c.action}${c.kind[0].toUpperCase()}${c.kind.slice(1)}`] = {
      action: c.action,
      channel: { $ref: `#/channels/${c.kind}` },
      summary: `${c.action === 'send' ? 'The device publishes' : 'The device subscribes to'} ${c.kind}${c.retain ? ' (retained)' : ''}.`,
      messages: c.messages.map((m) => ({ $ref: `#/channels/${c.kind}/messages/${m}` })),
      bindings: { mqtt: { qos: c.qos, retain: c.retain, bindingVersion: '0.2.0' } },
    };
  }
  const componentMessages = Object.fromEntries(
    Object.entries(MESSAGES).map(([name, m]) => {
      if (!schemas[m.schema]) throw new Error(`asyncapi: message ${name} names unknown schema ${m.schema}`);
      return [
        name,
        {
          name,
          title: m.title,
          summary: m.summary,
          contentType: 'application/json',
          payload: { $ref: `#/components/schemas/${m.schema}` },
          ...(m.correlated ? { correlationId: { $ref: '#/components/correlationIds/experimentId' } } : {}),
          ...(m.byCommand ? { correlationId: { $ref: '#/components/correlationIds/commandId' } } : {}),
        },
      ];
    }),
  );
  return {
    asyncapi: '3.0.0',
    id: `urn:hakken:protocol:v${PROTOCOL_VERSION}`,
    info: {
      title: 'hakken device protocol',
      version: `${PROTOCOL_VERSION}.0.0`,
      description:
        'MQTT protocol between the hakken orchestrator and lab rigs or simulators. Works on MQTT 3.1.1 (QoS 1, retained messages, Last Will, persistent sessions). ' +
        'Brokers may lose or duplicate QoS 1 messages, so reliability is end to end: the service re-sends a run command until the device accepts or rejects it; ' +
        'a device re-sends each result or failure until the service acknowledges it; both sides de-duplicate by experimentId (and attempt). ' +
        'Abort, stop and resume carry a commandId and are re-sent until the device answers with a command_ack of it (the device does each once). ' +
        'Every payload is a JSON object carrying "v": 1, at most 262144 bytes. Generated from libs/protocol/src/messages.ts.',
      license: { name: 'Apache-2.0' },
    },
    defaultContentType: 'application/json',
    servers: {
      broker: {
        host: 'localhost:1883',
        protocol: 'mqtt',
        protocolVersion: '3.1.1',
        description: 'Any MQTT 3.1.1 or 5 broker (Mosquitto, EMQX, the embedded aedes).',
      },
    },
    channels,
    operations,
    components: {
      schemas: Object.fromEntries(
        Object.entries(schemas).map(([name, s]) => [name, { schemaFormat: PAYLOAD_SCHEMA_FORMAT, schema: payloadSchema(s) }]),
      ),
      messages: componentMessages,
      correlationIds: {
        experimentId: { description: 'Commands and events of one experiment share its id.', location: '$message.payload#/experimentId' },
        commandId: {
          description: 'An abort, stop or resume command and the command_ack that answers it share its commandId.',
          location: '$message.payload#/commandId',
        },
      },
    },
  };
}
