import type { Capabilities, RunCommand } from '#protocol';

export type DeviceLogLevel = 'debug' | 'info' | 'warn' | 'error';
export type DeviceLogger = (level: DeviceLogLevel, message: string) => void;

/** What a run handler may return. Throwing is a device-scope failure. */
export type RunOutcome =
  | {
      /** Measured values; null = the instrument read nothing (the service records a failure). */
      values: Record<string, number | null>;
      metadata?: Record<string, string | number | boolean>;
    }
  | {
      /** `device`: the rig failed (retry elsewhere); `experiment`: the condition failed (the optimizer learns from it). */
      failed: { scope: 'device' | 'experiment'; reason: string };
    };

export interface RunContext {
  experimentId: string;
  /** The dispatch attempt this run serves (the latest one seen if the service re-dispatched while it ran). */
  readonly attempt: number;
  /**
   * Aborted when the client stops, or when the service aborts this experiment or stops the device (the
   * reason is then a RunAborted): long runs should listen and give up. Whatever the run returns after an
   * abort command is not reported.
   */
  signal: AbortSignal;
  /** Publishes a progress event; fraction is clamped to [0, 1]. */
  progress(fraction: number, message?: string): void;
  log(level: DeviceLogLevel, message: string): void;
}

export type RunHandler = (command: RunCommand, ctx: RunContext) => Promise<RunOutcome>;

/** The reason of a run's signal when the service aborted its experiment or stopped the device. */
export class RunAborted extends Error {
  constructor(
    message: string,
    /** Which command: an abort of this experiment, or a stop of the device. */
    readonly by: 'abort' | 'stop',
  ) {
    super(message);
    this.name = 'RunAborted';
  }
}

/** Thrown by a run handler that was aborted but could not stop the rig (its abort route failed): acknowledged as an error. */
export class AbortFailed extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'AbortFailed';
  }
}

export interface DeviceClientOptions {
  /** Broker URL, e.g. mqtt://127.0.0.1:1883. */
  url: string;
  deviceId: string;
  /** Kind of rig, announced in the availability message (e.g. "flow-reactor"). */
  kind: string;
  /** Experiments run at once; further commands wait in a local queue. Default 1. */
  capacity?: number;
  /**
   * What the device can run, announced in its availability. With `parameters`
   * declared, a run command with an undeclared parameter or a value outside
   * its limits is answered with a `rejected` event and never reaches `run`.
   */
  capabilities?: Capabilities;
  /** Seconds between heartbeats (announced in availability), within [0.1, 3600]. Default 10. */
  heartbeatIntervalS?: number;
  username?: string;
  password?: string;
  /** MQTT protocol: 4 = 3.1.1 (default, works on every broker), 5 = MQTT 5. */
  protocolVersion?: 4 | 5;
  /** MQTT 5 only: how long the broker keeps the session after a disconnect. Default 86400 s. */
  sessionExpirySeconds?: number;
  /** How often an unacknowledged result or failure is re-sent. Default 1000 ms. */
  resendIntervalMs?: number;
  /**
   * How long a run's `accepted` event is held back, in ms (default 100). A run that finishes within it
   * sends its result or failure alone: the service takes that as the acceptance too, one message fewer
   * per experiment. A run still queued or running then, or reporting progress, is accepted first. Keep it
   * well below the service's COMMAND_RESEND_MS (a command not accepted is re-sent); 0 accepts at once.
   */
  acceptanceDelayMs?: number;
  /** Delay between reconnect attempts. Default 500 ms. */
  reconnectPeriodMs?: number;
  /** How many finished-and-acknowledged experiment ids are remembered (and persisted with the outbox) to answer late duplicates. Default 10000. */
  rememberCompleted?: number;
  /** Persist the outbox here (JSON, write-then-rename) so a restart does not lose an unacknowledged result. */
  outboxFile?: string;
  logger?: DeviceLogger;
  run: RunHandler;
}

export interface DeviceClientStats {
  /** Handler invocations. */
  runsStarted: number;
  /** Handler invocations that ended (result, failure or throw). */
  runsFinished: number;
  /** Run commands for an experiment already queued, running or finished (not run again). */
  duplicatesIgnored: number;
  /** Final events published again after their first publish. */
  resultsResent: number;
  /** Acks that removed an event from the outbox. */
  acksReceived: number;
  /** Results or failures the service answered `conflict`: kept (DeviceClient.conflictingReports), not re-sent. */
  conflicts: number;
  /** Acks for an experiment not in the outbox (duplicates or strays), or for another attempt than the one held. */
  acksIgnored: number;
  /** Payloads that failed to parse, and messages on unexpected topics. */
  malformedIgnored: number;
  /** Successful connections, the first included. */
  connects: number;
  /** Run commands refused because a param was undeclared or outside its limits, or while the device is stopped. */
  rejected: number;
  /** Experiments aborted by an abort or stop command (their outcome is never reported). */
  aborted: number;
  /** `accepted` events published (a run that finished within acceptanceDelayMs sends none: its result stands for it). */
  acceptancesSent: number;
  /** Heartbeats published. */
  heartbeatsSent: number;
}
