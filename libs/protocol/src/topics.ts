/**
 * The one topic map of protocol v1. Every topic hakken uses is built and
 * parsed here; no other file spells a topic string.
 *
 *   hakken/v1/devices/{deviceId}/availability   device -> all      retained, Last Will "offline"
 *   hakken/v1/devices/{deviceId}/commands       service -> device  run / ack / abort / stop / resume
 *   hakken/v1/devices/{deviceId}/events         device -> service  accepted / rejected / progress / result / failed / command_ack
 *   hakken/v1/devices/{deviceId}/heartbeat      device -> service  periodic liveness (not retained)
 */
export const PROTOCOL_VERSION = 1 as const;
export const TOPIC_ROOT = `hakken/v${PROTOCOL_VERSION}`;

export type TopicKind = 'availability' | 'commands' | 'events' | 'heartbeat';

const DEVICE_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export function isValidDeviceId(id: string): boolean {
  return DEVICE_ID.test(id);
}

export const topics = {
  availability: (deviceId: string) => deviceTopic(deviceId, 'availability'),
  commands: (deviceId: string) => deviceTopic(deviceId, 'commands'),
  events: (deviceId: string) => deviceTopic(deviceId, 'events'),
  heartbeat: (deviceId: string) => deviceTopic(deviceId, 'heartbeat'),
  /** Wildcards the service subscribes to. */
  allAvailability: `${TOPIC_ROOT}/devices/+/availability`,
  allEvents: `${TOPIC_ROOT}/devices/+/events`,
  allHeartbeats: `${TOPIC_ROOT}/devices/+/heartbeat`,
} as const;

function deviceTopic(deviceId: string, kind: TopicKind): string {
  if (!isValidDeviceId(deviceId)) throw new Error(`invalid device id "${deviceId}": letters, digits, _ . - (at most 64)`);
  return `${TOPIC_ROOT}/devices/${deviceId}/${kind}`;
}

export interface ParsedTopic {
  deviceId: string;
  kind: TopicKind;
}

/** Parses a protocol topic; undefined when the topic is not one of ours. */
export function parseTopic(topic: string): ParsedTopic | undefined {
  const parts = topic.split('/');
  if (parts.length !== 5 || `${parts[0]}/${parts[1]}` !== TOPIC_ROOT || parts[2] !== 'devices') return undefined;
  const [, , , deviceId, kind] = parts;
  if (!isValidDeviceId(deviceId)) return undefined;
  if (kind !== 'availability' && kind !== 'commands' && kind !== 'events' && kind !== 'heartbeat') return undefined;
  return { deviceId, kind };
}
