import mqtt, { type MqttClient } from 'mqtt';
import {
  encodeMessage,
  parseMessage,
  topics,
  type DeviceEvent,
  type ResultEvent,
  type RunCommand,
} from '#protocol';
import { branin } from '#simulators';
import { pickWeighted, rngFor, type FaultKind, type FaultTally } from './tally.js';

/** How the device answers one dispatch (experiment, attempt). */
export type Behaviour = 'normal' | 'duplicate' | 'twice' | 'out-of-order' | 'instant' | 'silent' | 'late' | 'replay';

const BEHAVIOUR_WEIGHTS: Record<Behaviour, number> = {
  normal: 30,
  duplicate: 14,
  twice: 12,
  'out-of-order': 12,
  instant: 12,
  silent: 8,
  late: 8,
  replay: 12,
};

const FAULT_OF: Partial<Record<Behaviour, FaultKind>> = {
  duplicate: 'duplicate-result',
  twice: 'result-twice',
  'out-of-order': 'out-of-order',
  instant: 'result-as-acceptance',
  silent: 'never-answers',
  late: 'late-result',
  replay: 'replayed-result',
};

/** A value this device reported, for the checks: which experiment, attempt, value. */
export interface SentValue {
  deviceId: string;
  experimentId: string;
  attempt: number;
  y: number;
}

interface Dispatch {
  attempt: number;
  behaviour: Behaviour;
}

interface Pending {
  event: ResultEvent;
  lastSentAt: number;
}

export interface FaultyDeviceOptions {
  url: string;
  id: string;
  kind: string;
  capacity: number;
  seed: number;
  /** The campaigns' experimentTimeoutS: a late answer comes this long (plus a margin) after the dispatch. */
  timeoutS: number;
  tally: FaultTally;
}

/**
 * A device speaking protocol v1 over a raw MQTT client, correct where the
 * protocol demands it (results kept in an outbox and re-sent until
 * acknowledged; run commands de-duplicated by experiment id) and misbehaving
 * on purpose per dispatch, chosen by a seeded draw: the same result sent
 * twice, two different results, the result before "accepted", the result
 * with no "accepted" at all (it carries the acceptance), accepted and
 * never answered, answered after the service gave up on it, and the
 * acknowledged result replayed later.
 */
export class FaultyDevice {
  readonly sent: SentValue[] = [];
  readonly behaviours = new Map<string, Behaviour>();
  private readonly dispatches = new Map<string, Dispatch>();
  private readonly outbox = new Map<string, Pending>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly client: MqttClient;
  private stopped = false;
  private dispatchCount = 0;

  constructor(private readonly o: FaultyDeviceOptions) {
    this.client = mqtt.connect(o.url, {
      clientId: `faulty-${o.id}`,
      clean: true,
      reconnectPeriod: 300,
      connectTimeout: 5000,
      will: { topic: topics.availability(o.id), payload: Buffer.from(JSON.stringify({ v: 1, status: 'offline' })), qos: 1, retain: true },
    });
    this.client.on('connect', () => this.onConnect());
    this.client.on('message', (_topic, payload) => this.onCommand(payload));
    this.client.on('error', () => undefined); // reconnects on its own
    this.every(700, () => this.resendDue());
    this.every(3000, () =>
      this.publish(
        topics.heartbeat(o.id),
        encodeMessage('heartbeat', { v: 1, ts: new Date().toISOString(), running: this.dispatches.size }),
        0,
      ),
    );
  }

  get id(): string {
    return this.o.id;
  }

  get connected(): boolean {
    return this.client.connected;
  }

  private onConnect(): void {
    // A clean session: subscribe and announce on every connect (the broker may have forgotten everything).
    this.client.subscribe(topics.commands(this.o.id), { qos: 1 }, (err) => {
      if (err) return;
      const online = { v: 1 as const, status: 'online' as const, kind: this.o.kind, capacity: this.o.capacity, heartbeatIntervalS: 3 };
      this.publish(topics.availability(this.o.id), encodeMessage('availability', online), 1, true);
      for (const p of this.outbox.values()) this.sendResult(p);
    });
  }

  private onCommand(payload: Buffer): void {
    if (this.stopped) return;
    const m = parseMessage('commands', payload);
    if (!m.ok) return;
    const c = m.value;
    if (c.type === 'ack') {
      // An ack names the attempt it answers; one without (a malformed report) clears every attempt of the experiment.
      for (const [key, p] of this.outbox)
        if (p.event.experimentId === c.experimentId && (c.attempt === undefined || c.attempt === p.event.attempt)) this.outbox.delete(key);
      return;
    }
    if (c.type !== 'run') return; // abort, stop and resume: the fault suite's campaigns send none
    const known = this.dispatches.get(c.experimentId);
    if (known && known.attempt >= c.attempt) {
      // A re-sent command (or a broker redelivery): the same dispatch, never run again.
      this.event({ type: 'accepted', experimentId: c.experimentId, attempt: known.attempt });
      const p = this.outbox.get(`${c.experimentId}#${known.attempt}`);
      if (p) this.sendResult(p);
      return;
    }
    this.start(c);
  }

  private start(c: RunCommand): void {
    // The n-th dispatch this device receives behaves the same in every run of a seed (experiment ids are random).
    const rng = rngFor(this.o.seed, `${this.o.id}/dispatch-${this.dispatchCount++}`);
    const behaviour = pickWeighted(rng, BEHAVIOUR_WEIGHTS);
    this.dispatches.set(c.experimentId, { attempt: c.attempt, behaviour });
    this.behaviours.set(`${c.experimentId}#${c.attempt}`, behaviour);
    const fault = FAULT_OF[behaviour];
    if (fault) this.o.tally.add(fault);
    const y = branin.evaluate({ x1: Number(c.params.x1), x2: Number(c.params.x2) }) + rng.next() * 0.01;
    const result = (value: number): ResultEvent => ({
      v: 1,
      type: 'result',
      experimentId: c.experimentId,
      attempt: c.attempt,
      ts: new Date().toISOString(),
      values: { y: value },
    });
    const latency = 50 + Math.floor(rng.next() * 300);
    const accepted = () => this.event({ type: 'accepted', experimentId: c.experimentId, attempt: c.attempt });
    switch (behaviour) {
      case 'normal':
        accepted();
        return this.after(latency, () => this.finish(result(y)));
      case 'duplicate':
        accepted();
        return this.after(latency, () => {
          this.finish(result(y));
          this.raw(result(y), c.attempt);
        });
      case 'twice':
        accepted();
        return this.after(latency, () => {
          this.finish(result(y));
          this.raw(result(y + 1), c.attempt); // a second, different answer: it must never replace the first
        });
      case 'out-of-order':
        // The result overtakes "accepted"; the late "accepted" must not reopen the experiment.
        this.finish(result(y));
        return this.after(latency, accepted);
      case 'instant':
        // Answered at once: the result alone stands for the acceptance (none is sent unless the command comes again).
        return this.finish(result(y));
      case 'silent':
        accepted(); // and never a word more: the service's experimentTimeoutS must take it back
        return;
      case 'late':
        accepted();
        // Answers once the service has timed it out and sent it elsewhere (or back here as a new attempt).
        return this.after(this.o.timeoutS * 1000 + 1500 + latency, () => this.finish(result(y)));
      case 'replay':
        accepted();
        return this.after(latency, () => {
          this.finish(result(y));
          this.after(1500 + latency * 3, () => this.raw(result(y), c.attempt)); // replayed after it was acknowledged
        });
    }
  }

  /** Keeps the result until acknowledged, and sends it. */
  private finish(event: ResultEvent): void {
    if (this.stopped) return;
    const p: Pending = { event, lastSentAt: 0 };
    this.outbox.set(`${event.experimentId}#${event.attempt}`, p);
    this.sendResult(p);
  }

  /** A result sent once, outside the outbox (the duplicate, the second answer, the replay). */
  private raw(event: ResultEvent, attempt: number): void {
    this.record(event, attempt);
    this.publish(topics.events(this.o.id), encodeMessage('events', { ...event, ts: new Date().toISOString() }), 1);
  }

  private sendResult(p: Pending): void {
    p.lastSentAt = Date.now();
    this.record(p.event, p.event.attempt ?? 1);
    this.publish(topics.events(this.o.id), encodeMessage('events', p.event), 1);
  }

  private record(event: ResultEvent, attempt: number): void {
    const y = event.values.y;
    if (typeof y !== 'number') return;
    if (!this.sent.some((s) => s.experimentId === event.experimentId && s.attempt === attempt && s.y === y))
      this.sent.push({ deviceId: this.o.id, experimentId: event.experimentId, attempt, y });
  }

  private resendDue(): void {
    const now = Date.now();
    for (const p of this.outbox.values()) if (now - p.lastSentAt >= 700) this.sendResult(p);
  }

  private event(e: { type: 'accepted'; experimentId: string; attempt: number }): void {
    const event: DeviceEvent = { v: 1, ts: new Date().toISOString(), ...e };
    this.publish(topics.events(this.o.id), encodeMessage('events', event), 1);
  }

  private publish(topic: string, payload: string, qos: 0 | 1, retain = false): void {
    if (this.stopped || !this.client.connected) return; // what matters is in the outbox and goes out on reconnect
    this.client.publish(topic, payload, { qos, retain }, () => undefined);
  }

  private after(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (!this.stopped) fn();
    }, ms);
    this.timers.add(t);
  }

  private every(ms: number, fn: () => void): void {
    const t = setInterval(fn, ms);
    this.timers.add(t);
  }

  /** Results not yet acknowledged. */
  get unacknowledged(): number {
    return this.outbox.size;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    if (this.client.connected) {
      await this.client
        .publishAsync(topics.availability(this.o.id), JSON.stringify({ v: 1, status: 'offline' }), { qos: 1, retain: true })
        .catch(() => undefined);
    }
    await this.client.endAsync(true);
  }
}
