import { Socket } from 'node:net';
import { connect, type MqttClient } from 'mqtt';
import {
  encodeMessage,
  MAX_HOLDING,
  now,
  parseMessage,
  topics,
  type AbortCommand,
  type AckCommand,
  type Availability,
  type CommandAckEvent,
  type ControlCommand,
  type Capabilities,
  type DeviceEvent,
  type Heartbeat,
  type RunCommand,
  type StopCommand,
} from '#protocol';
import { checkAgainstCapabilities } from './limits.js';
import {
  assertNever,
  deviceClientOptions,
  emptyStats,
  resolveDeviceOptions,
  withTimeout,
  type ResolvedDeviceOptions,
} from './mqtt-options.js';
import { outcomeToEvent, runContext, thrownToEvent, truncate, type FinalEventBase } from './outcome.js';
import { Outbox, type ConflictingReport, type FinalEvent } from './outbox.js';
import {
  AbortFailed,
  RunAborted,
  type DeviceClientOptions,
  type DeviceClientStats,
  type DeviceLogger,
  type RunOutcome,
} from './device-client.types.js';

const STOP_TIMEOUT_MS = 2000;
/** How long an abort waits for the aborted run's handler to end before acknowledging anyway (saying so). */
const ABORT_WAIT_MS = 10_000;
/** Control commands remembered (by commandId) to answer a re-sent one without doing it again. */
const REMEMBERED_COMMANDS = 1000;
/** Aborted experiments remembered, so that a late copy of their run command does not start them. */
const REMEMBERED_ABORTS = 10_000;

interface ActiveRun {
  command: RunCommand;
  /** Latest attempt seen for this experiment. */
  attempt: number;
  phase: 'queued' | 'running';
  controller?: AbortController;
  /** Set by an abort or stop command: the run's outcome is not reported. */
  aborted?: RunAborted;
  /** Settles when the handler has ended (for a running run). */
  ended?: Promise<void>;
  /** The handler was aborted but could not stop the rig (it threw AbortFailed): why. */
  abortFailure?: string;
  /** Whether an `accepted` event was sent for this run (else its final event carries the acceptance). */
  acceptanceSent: boolean;
  /** Sends the held-back acceptance when the run has not finished within acceptanceDelayMs. */
  acceptanceTimer?: NodeJS.Timeout;
}

/**
 * Device side of protocol v1. Announces itself (retained availability with its
 * capabilities and a Last Will), sends heartbeats, receives run commands,
 * rejects those outside its declared limits, runs the others through the
 * adapter's handler (at most `capacity` at once), and keeps every result or
 * failure in an outbox that it re-sends until the service acknowledges it.
 * Duplicated commands (re-sent by the service, redelivered by the broker) never
 * run an experiment twice, also across a restart when `outboxFile` is set.
 */
export class DeviceClient {
  readonly deviceId: string;
  private readonly opts: DeviceClientOptions;
  private readonly settings: ResolvedDeviceOptions;
  private readonly commandsTopic: string;
  private readonly eventsTopic: string;
  private readonly availabilityTopic: string;
  private readonly heartbeatTopic: string;
  private readonly capabilities: Capabilities | undefined;
  private readonly log: DeviceLogger;
  private readonly outbox: Outbox;
  private readonly active = new Map<string, ActiveRun>();
  private readonly queue: string[] = [];
  private readonly counters: DeviceClientStats = emptyStats();
  private client: MqttClient | undefined;
  private resendTimer: NodeJS.Timeout | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  /** Answers to control commands done, by commandId (a re-sent command is answered again, not done again). */
  private readonly commandAnswers = new Map<string, CommandAckEvent>();
  /** Experiments aborted, with the attempt aborted: a late copy of their run command is not run. */
  private readonly abortedRuns = new Map<string, number>();
  /** Set while the service has the device stopped: run commands are rejected. */
  private halted: StopCommand | undefined;
  /** Set by freeze(): the device acts as a hung process (no heartbeats, no answers, no re-sends). */
  private frozen = false;
  private running = 0;
  private state: 'new' | 'started' | 'stopped' = 'new';
  private connectionErrorLogged = false;
  private linkUp = false;
  /** Settles start(): resolved once the first subscription is granted. */
  private firstReady: { resolve: () => void; reject: (message: string) => void } | undefined;

  constructor(options: DeviceClientOptions) {
    this.opts = options;
    this.deviceId = options.deviceId;
    this.commandsTopic = topics.commands(options.deviceId); // throws on an invalid device id
    this.eventsTopic = topics.events(options.deviceId);
    this.availabilityTopic = topics.availability(options.deviceId);
    this.heartbeatTopic = topics.heartbeat(options.deviceId);
    this.settings = resolveDeviceOptions(options); // throws on invalid settings
    this.capabilities = options.capabilities;
    this.log = options.logger ?? (() => undefined);
    this.outbox = new Outbox(options.outboxFile, this.log, options.rememberCompleted ?? 10_000);
  }

  get stats(): Readonly<DeviceClientStats> {
    return { ...this.counters };
  }

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  /** Results and failures not yet acknowledged by the service. */
  get outboxSize(): number {
    return this.outbox.size;
  }

  /** Results and failures the service answered `conflict` (another outcome was stored first), oldest first. */
  get conflictingReports(): ConflictingReport[] {
    return this.outbox.conflicts();
  }

  /** Experiments queued or running. */
  get activeRuns(): number {
    return this.active.size;
  }

  /** Whether the service has the device stopped (a stop command not yet followed by resume). */
  get stopped(): boolean {
    return this.halted !== undefined;
  }

  /** Experiments whose handler is running now. */
  get runningNow(): number {
    return this.running;
  }

  /**
   * Makes the device behave as a hung process that keeps its connection: no
   * more heartbeats, commands or acks are answered, nothing is re-sent, running
   * handlers are left alone but their outcome is never reported. Meant for
   * simulators and fault-injection tests of the service; stop() still works.
   */
  freeze(): void {
    if (this.frozen) return;
    this.frozen = true;
    clearInterval(this.heartbeatTimer);
    this.log('warn', 'frozen: silent from now on (simulated hang)');
  }

  /**
   * Loads the persisted outbox, connects, and resolves once subscribed to its
   * commands and announced online (so a command sent now is received).
   * Rejects if the broker refuses the connection (bad credentials, unsupported
   * protocol version) or stop() is called first; an unreachable broker is retried.
   */
  async start(): Promise<void> {
    if (this.state !== 'new') throw new Error(`device ${this.deviceId}: start() called twice`);
    this.state = 'started';
    const loaded = await this.outbox.load();
    if (loaded > 0) this.log('info', `loaded ${loaded} unacknowledged event(s) from ${this.opts.outboxFile}`);

    const client = connect(this.opts.url, deviceClientOptions(this.opts, this.availabilityTopic));
    this.client = client;
    client.on('connect', () => this.onConnect());
    client.on('message', (topic, payload) => this.onMessage(topic, payload));
    client.on('close', () => {
      if (this.linkUp && this.state === 'started') this.log('warn', 'disconnected from the broker; reconnecting');
      this.linkUp = false;
    });
    client.on('error', (err) => {
      if (this.connectionErrorLogged) return;
      this.connectionErrorLogged = true; // log one error per outage, not one per reconnect attempt
      this.log('error', `MQTT error: ${err.message}`);
    });
    this.resendTimer = setInterval(() => this.resendDue(), Math.max(20, Math.floor(this.settings.resendIntervalMs / 4)));
    this.resendTimer.unref();
    this.heartbeatTimer = setInterval(() => this.sendHeartbeat(), this.settings.heartbeatIntervalS * 1000);
    this.heartbeatTimer.unref();

    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error & { code?: unknown }) => {
        if (typeof err.code === 'number') fail(`broker ${this.opts.url} refused device ${this.deviceId}: ${err.message}`); // else: mqtt.js reconnects
      };
      const fail = (message: string) => {
        this.firstReady = undefined;
        client.off('error', onError);
        void this.stop().finally(() => reject(new Error(message)));
      };
      this.firstReady = {
        resolve: () => {
          this.firstReady = undefined;
          client.off('error', onError);
          resolve();
        },
        reject: fail,
      };
      client.on('error', onError);
    });
  }

  /** Publishes offline (retained), aborts running handlers and disconnects. Idempotent. */
  async stop(): Promise<void> {
    if (this.state !== 'started') {
      this.state = 'stopped';
      return;
    }
    this.state = 'stopped';
    this.firstReady?.reject(`device ${this.deviceId} was stopped before it connected`);
    clearInterval(this.resendTimer);
    clearInterval(this.heartbeatTimer);
    for (const run of this.active.values()) {
      this.dropAcceptance(run);
      run.controller?.abort(new Error('device client stopped'));
    }
    this.queue.length = 0;
    const client = this.client;
    if (!client) return;
    if (client.connected) {
      const offline: Availability = { v: 1, status: 'offline', ts: now() };
      await withTimeout(
        client.publishAsync(this.availabilityTopic, encodeMessage('availability', offline), { qos: 1, retain: true }),
        STOP_TIMEOUT_MS,
      ).catch((err: unknown) => this.log('warn', `could not publish offline: ${(err as Error).message}`));
    }
    await this.outbox.flush();
    const ended = await withTimeout(client.endAsync(!client.connected), STOP_TIMEOUT_MS).then(
      () => true,
      () => false,
    );
    if (!ended) await client.endAsync(true);
  }

  private onConnect(): void {
    // Small QoS 1 writes otherwise wait ~40 ms on Nagle + delayed ACK (brokers without TCP_NODELAY).
    const stream = this.client?.stream;
    if (stream instanceof Socket) stream.setNoDelay(true);
    this.counters.connects++;
    this.connectionErrorLogged = false;
    this.linkUp = true;
    this.log('info', `connected to ${this.opts.url} as hakken-device-${this.deviceId}`);
    // Subscribe first: "online" then means commands are received, and acks of re-sent results are not missed.
    this.client?.subscribe(this.commandsTopic, { qos: 1 }, (err, granted) => {
      if (err) {
        this.log('warn', `subscription to ${this.commandsTopic} not confirmed: ${err.message}`); // retried on the next connect
        return;
      }
      const code = granted?.[0]?.qos ?? 0;
      if (code >= 0x80) {
        const message = `broker ${this.opts.url} refused the subscription of device ${this.deviceId} to ${this.commandsTopic} (code ${code})`;
        this.log('error', message);
        this.firstReady?.reject(message);
        return;
      }
      if (this.frozen) return;
      const online: Availability = {
        v: 1,
        status: 'online',
        ts: now(),
        kind: this.opts.kind,
        capacity: this.settings.capacity,
        heartbeatIntervalS: this.settings.heartbeatIntervalS,
        ...(this.capabilities ? { capabilities: this.capabilities } : {}),
        ...this.holding(true),
      };
      this.publish(this.availabilityTopic, encodeMessage('availability', online), true);
      this.sendHeartbeat();
      for (const event of this.outbox.events()) this.publishFinal(event);
      this.firstReady?.resolve();
    });
  }

  /**
   * What this device holds now (as it (re)connects, and in every heartbeat): queued and running
   * experiments and finished ones whose report is not acknowledged yet. The service keeps these on
   * this device and sends any other it had here to another device (a restart lost it). A run leaves
   * `active` and enters the outbox in one synchronous step (finish), so no heartbeat misses it.
   */
  private holding(announcing: boolean): { holding?: string[] } {
    const ids = new Set([...this.active.keys(), ...this.outbox.events().map((e) => e.experimentId)]);
    if (ids.size > MAX_HOLDING) {
      // In a heartbeat, no list: the service learns nothing from it (rather than taking them as lost).
      if (announcing)
        this.log(
          'warn',
          `holding ${ids.size} experiments, more than one message lists (${MAX_HOLDING}): the service will take them as lost`,
        );
      return {};
    }
    return { holding: [...ids] };
  }

  private onMessage(topic: string, payload: Buffer): void {
    if (this.frozen) return;
    try {
      if (topic !== this.commandsTopic) {
        this.counters.malformedIgnored++;
        this.log('warn', `ignoring a message on unexpected topic ${topic}`);
        return;
      }
      const parsed = parseMessage('commands', payload);
      if (!parsed.ok) {
        this.counters.malformedIgnored++;
        this.log('warn', `ignoring a malformed command: ${parsed.error}`);
        return;
      }
      const command = parsed.value;
      switch (command.type) {
        case 'run':
          return this.onRun(command);
        case 'ack':
          return this.onAck(command);
        case 'abort':
        case 'stop':
        case 'resume':
          return void this.onControl(command).catch((err: unknown) => this.log('error', `${command.type}: ${(err as Error).message}`));
        default:
          return assertNever(command);
      }
    } catch (err) {
      this.log('error', `error while handling a command: ${(err as Error).stack ?? String(err)}`);
    }
  }

  private onRun(command: RunCommand): void {
    const id = command.experimentId;
    const abortedAttempt = this.abortedRuns.get(id);
    if (abortedAttempt !== undefined && command.attempt <= abortedAttempt) {
      this.counters.duplicatesIgnored++;
      this.log('debug', `${id}: run command for an aborted experiment ignored`);
      return;
    }
    if (this.halted) {
      this.counters.rejected++;
      const reason = `the device is stopped: ${this.halted.reason}`;
      this.publishEvent({ v: 1, type: 'rejected', experimentId: id, attempt: command.attempt, ts: now(), reason: truncate(reason) });
      return;
    }
    const active = this.active.get(id);
    if (active) {
      this.counters.duplicatesIgnored++;
      if (command.attempt > active.attempt) {
        this.log('info', `${id}: re-dispatched as attempt ${command.attempt} while ${active.phase}; keeping the current run`);
        active.attempt = command.attempt;
      }
      this.sendAcceptance(active); // asked again: answered now, not when the held-back acceptance is due
      return;
    }
    const final = this.outbox.get(id);
    const finishedAttempt = final ? (final.attempt ?? 1) : this.outbox.ackedAttempt(id);
    if (finishedAttempt !== undefined) {
      if (command.attempt <= finishedAttempt) {
        this.counters.duplicatesIgnored++;
        this.log('debug', `${id}: duplicate run command (already finished)`);
        this.counters.acceptancesSent++;
        this.publishEvent({ v: 1, type: 'accepted', experimentId: id, attempt: finishedAttempt, ts: now() });
        if (final) this.publishFinal(final);
        return;
      }
      // The service explicitly re-dispatched a finished experiment: run it again.
      this.log('info', `${id}: re-dispatched as attempt ${command.attempt} after attempt ${finishedAttempt} finished; running again`);
      this.outbox.forget(id);
    }
    const limits = checkAgainstCapabilities(command.params, this.capabilities);
    if (!limits.ok) {
      this.counters.rejected++;
      this.log('warn', `${id}: rejected: ${limits.reason}`);
      this.publishEvent({ v: 1, type: 'rejected', experimentId: id, attempt: command.attempt, ts: now(), reason: truncate(limits.reason) });
      return;
    }
    const run: ActiveRun = { command, attempt: command.attempt, phase: 'queued', acceptanceSent: false };
    this.active.set(id, run);
    this.acceptLater(run);
    this.queue.push(id);
    this.pump();
  }

  /**
   * A run's acceptance is held back for acceptanceDelayMs: a run that finishes within it sends its result
   * (or failure) alone, which the service takes as its acceptance too (one message fewer per experiment).
   * A run still queued or running then, or one that reports progress, sends `accepted` first.
   */
  private acceptLater(run: ActiveRun): void {
    if (this.settings.acceptanceDelayMs === 0) return this.sendAcceptance(run);
    run.acceptanceTimer = setTimeout(() => {
      run.acceptanceTimer = undefined;
      if (this.active.get(run.command.experimentId) === run && !run.aborted) this.sendAcceptance(run);
    }, this.settings.acceptanceDelayMs);
  }

  /** Publishes the run's acceptance (again, when asked again by a duplicate command). */
  private sendAcceptance(run: ActiveRun): void {
    clearTimeout(run.acceptanceTimer);
    run.acceptanceTimer = undefined;
    run.acceptanceSent = true;
    this.counters.acceptancesSent++;
    this.publishEvent({ v: 1, type: 'accepted', experimentId: run.command.experimentId, attempt: run.attempt, ts: now() });
  }

  /** The run ended (finished or aborted) before its acceptance was due: none is sent. */
  private dropAcceptance(run: ActiveRun): void {
    clearTimeout(run.acceptanceTimer);
    run.acceptanceTimer = undefined;
  }

  private onAck(ack: AckCommand): void {
    const event = this.outbox.get(ack.experimentId);
    if (!event) {
      this.counters.acksIgnored++;
      this.log('debug', `${ack.experimentId}: ack for nothing in the outbox (duplicate?)`);
      return;
    }
    if (ack.attempt !== undefined && ack.attempt !== (event.attempt ?? 1)) {
      // A late ack of another attempt must not clear this attempt's report.
      this.counters.acksIgnored++;
      this.log('debug', `${ack.experimentId}: ack of attempt ${ack.attempt} ignored, the outbox holds attempt ${event.attempt ?? 1}`);
      return;
    }
    if (ack.status === 'conflict') {
      // Not stored as the outcome: the experiment had already ended otherwise. Kept (conflictingReports), never dropped silently.
      this.outbox.keepConflicting(ack.experimentId, ack.reportId, ack.error?.message);
      this.counters.acksReceived++;
      this.counters.conflicts++;
      this.log(
        'error',
        `${ack.experimentId}: the service kept the ${event.type} event apart as conflicting report ${ack.reportId ?? '(no id)'}: ${ack.error?.message ?? 'another outcome is stored'}`,
      );
      return;
    }
    this.outbox.acknowledge(ack.experimentId);
    this.counters.acksReceived++;
    if (ack.status === 'error') {
      const why = ack.error ? `${ack.error.code}: ${ack.error.message}` : 'no reason given';
      this.log('error', `${ack.experimentId}: the service refused the ${event.type} event (${why}); not re-sending it`);
    } else {
      this.log('debug', `${ack.experimentId}: ${event.type} acknowledged`);
    }
  }

  /**
   * An abort, stop or resume: done once per commandId, then acknowledged (a re-sent command is answered
   * with the same acknowledgement). An abort stops the run (its signal) and waits, up to ABORT_WAIT_MS, for
   * its handler to end; nothing is reported for it. A stop aborts everything held and rejects runs until a resume.
   */
  private async onControl(command: ControlCommand): Promise<void> {
    const done = this.commandAnswers.get(command.commandId);
    if (done) {
      this.publishEvent({ ...done, ts: now() });
      return;
    }
    let answer: Pick<CommandAckEvent, 'status' | 'detail' | 'error'>;
    switch (command.type) {
      case 'abort':
        answer = await this.abortRun(command, new RunAborted(`aborted by the service: ${command.reason}`, 'abort'));
        break;
      case 'stop': {
        this.halted = command;
        this.queue.length = 0;
        const held = [...this.active.values()];
        const answers = await Promise.all(
          held.map((run) => this.abortRun(run.command, new RunAborted(`the device was stopped: ${command.reason}`, 'stop'))),
        );
        const failed = answers.filter((a) => a.status === 'error');
        this.log('warn', `stopped by the service (${command.reason}): aborted ${held.length} experiment(s)`);
        answer =
          failed.length > 0
            ? { status: 'error', error: { code: 'abort_failed', message: truncate(failed.map((a) => a.error?.message).join('; ')) } }
            : { status: 'ok', detail: `stopped; aborted ${held.length} experiment(s)` };
        break;
      }
      case 'resume':
        this.halted = undefined;
        this.log('info', 'resumed by the service');
        answer = { status: 'ok', detail: 'resumed' };
        this.pump();
        break;
      default:
        return assertNever(command);
    }
    const ack: CommandAckEvent = {
      v: 1,
      type: 'command_ack',
      commandId: command.commandId,
      ...(command.type === 'abort' ? { experimentId: command.experimentId } : {}),
      ...answer,
      ts: now(),
    };
    if (this.commandAnswers.size >= REMEMBERED_COMMANDS) this.commandAnswers.delete(this.commandAnswers.keys().next().value!);
    this.commandAnswers.set(command.commandId, ack);
    this.publishEvent(ack);
  }

  /** Aborts one experiment held here (queued or running); what its run returns is never reported. */
  private async abortRun(
    command: Pick<AbortCommand, 'experimentId' | 'attempt'>,
    reason: RunAborted,
  ): Promise<Pick<CommandAckEvent, 'status' | 'detail' | 'error'>> {
    const id = command.experimentId;
    const run = this.active.get(id);
    if (this.abortedRuns.size >= REMEMBERED_ABORTS) this.abortedRuns.delete(this.abortedRuns.keys().next().value!);
    this.abortedRuns.set(id, Math.max(command.attempt ?? 0, run?.attempt ?? 0, this.abortedRuns.get(id) ?? 0));
    if (!run) {
      const finished = this.outbox.has(id) || this.outbox.ackedAttempt(id) !== undefined;
      return { status: 'ok', detail: finished ? 'already finished: its report was sent' : 'not holding it' };
    }
    this.counters.aborted++;
    run.aborted = reason;
    this.dropAcceptance(run);
    this.active.delete(id); // no longer held: not in heartbeats' holding list
    if (run.phase === 'queued') {
      const at = this.queue.indexOf(id);
      if (at >= 0) this.queue.splice(at, 1);
      this.log('info', `${id}: ${reason.message} (it was queued)`);
      return { status: 'ok', detail: 'aborted before it started' };
    }
    this.log('info', `${id}: ${reason.message}; stopping its run`);
    run.controller?.abort(reason);
    let timer: NodeJS.Timeout | undefined;
    const ended = await Promise.race([
      run.ended!.then(() => 'ended' as const),
      new Promise<'waiting'>((resolve) => (timer = setTimeout(() => resolve('waiting'), ABORT_WAIT_MS))),
    ]);
    clearTimeout(timer);
    if (run.abortFailure) return { status: 'error', error: { code: 'abort_failed', message: truncate(run.abortFailure) } };
    return ended === 'ended'
      ? { status: 'ok', detail: 'aborted: its run stopped' }
      : { status: 'ok', detail: `aborted: its run was told to stop and had not ended within ${ABORT_WAIT_MS / 1000} s` };
  }

  private pump(): void {
    while (this.state === 'started' && !this.halted && this.running < this.settings.capacity && this.queue.length > 0) {
      const id = this.queue.shift() as string;
      const run = this.active.get(id);
      if (run?.phase === 'queued') this.execute(run);
    }
  }

  private execute(run: ActiveRun): void {
    const id = run.command.experimentId;
    run.phase = 'running';
    run.controller = new AbortController();
    this.running++;
    this.counters.runsStarted++;
    const ctx = runContext(
      run,
      run.controller.signal,
      (e) => {
        // Progress of a run the service has not seen accepted: the acceptance goes first.
        if (!run.acceptanceSent && !run.aborted) this.sendAcceptance(run);
        this.publishEvent(e);
      },
      this.log,
    );
    run.ended = Promise.resolve()
      .then(() => this.opts.run(run.command, ctx))
      .then(
        (outcome: RunOutcome) => outcomeToEvent(eventBase(run), outcome),
        (err: unknown) => {
          if (run.aborted && err instanceof AbortFailed) run.abortFailure = err.message;
          return thrownToEvent(eventBase(run), err);
        },
      )
      .then((event) => this.finish(run, event))
      .catch((err: unknown) => this.log('error', `${id}: ${(err as Error).stack ?? String(err)}`));
  }

  private async finish(run: ActiveRun, event: FinalEvent): Promise<void> {
    this.running--;
    this.counters.runsFinished++;
    this.dropAcceptance(run); // not sent yet: the final event stands for it
    if (run.aborted) {
      // Aborted by the service: the experiment is over there; what the run came to is not reported.
      this.log('info', `${event.experimentId}: the aborted run ended; its outcome is not reported`);
      this.pump();
      return;
    }
    // Into the outbox before it leaves `active`: what the device holds (heartbeats) never misses it.
    const kept = this.outbox.add(event);
    this.active.delete(run.command.experimentId);
    this.pump();
    this.log(
      'info',
      `${event.experimentId}: ${event.type === 'result' ? `result ${JSON.stringify(event.values)}` : `failed (${event.scope}): ${event.reason}`}`,
    );
    await kept; // on disk before it leaves the device
    this.publishFinal(event);
  }

  private sendHeartbeat(): void {
    if (!this.connected || this.state !== 'started' || this.frozen) return;
    const heartbeat: Heartbeat = {
      v: 1,
      ts: now(),
      running: this.running,
      queued: this.active.size - this.running,
      ...this.holding(false),
    };
    this.counters.heartbeatsSent++;
    // QoS 0: a lost heartbeat is replaced by the next one; nothing piles up while disconnected.
    this.client?.publish(this.heartbeatTopic, encodeMessage('heartbeat', heartbeat), { qos: 0, retain: false });
  }

  private resendDue(): void {
    if (!this.connected || this.state !== 'started' || this.frozen) return;
    for (const event of this.outbox.due(Date.now(), this.settings.resendIntervalMs)) this.publishFinal(event);
  }

  private publishFinal(event: FinalEvent): void {
    if (!this.connected || this.state !== 'started' || this.frozen) return; // sent on the next (re)connect
    if (!this.outbox.has(event.experimentId)) return; // acknowledged meanwhile
    if (this.outbox.markSent(event.experimentId, Date.now())) this.counters.resultsResent++;
    this.publishEvent(event);
  }

  private publishEvent(event: DeviceEvent): void {
    let payload: string;
    try {
      payload = encodeMessage('events', event);
    } catch (err) {
      this.log('error', `${event.experimentId ?? event.type}: ${(err as Error).message}`);
      return;
    }
    this.publish(this.eventsTopic, payload, false);
  }

  private publish(topic: string, payload: string, retain: boolean): void {
    const client = this.client;
    if (!client || this.state !== 'started' || this.frozen) return;
    client.publish(topic, payload, { qos: 1, retain }, (err) => {
      if (err && this.state === 'started') this.log('debug', `publish on ${topic} not confirmed: ${err.message}`);
    });
  }
}

function eventBase(run: ActiveRun): FinalEventBase {
  return { v: 1, experimentId: run.command.experimentId, attempt: run.attempt, ts: now() };
}
