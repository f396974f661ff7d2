import type { Command } from '#protocol';

/** Time, behind a port so that tests can control it. */
export interface Clock {
  now(): Date;
}
export const CLOCK = Symbol('CLOCK');
export const systemClock: Clock = { now: () => new Date() };

/** Sends commands to devices. The MQTT implementation lives in mqtt/; tests may record instead. */
export interface CommandPublisher {
  send(deviceId: string, command: Command): Promise<void>;
}
export const COMMAND_PUBLISHER = Symbol('COMMAND_PUBLISHER');
