import { until } from '../../support/poll.js';
import type { DatabaseServer } from './database-server.js';
import type { MosquittoProcess } from './mosquitto-process.js';
import type { ServiceProcess } from './service-process.js';
import { pause, pickWeighted, rngFor, type FaultKind, type FaultTally } from './tally.js';
import type { Wire } from './wire.js';

export interface Rig {
  id: string;
  kind: string;
}

export interface InjectorOptions {
  seed: number;
  database: DatabaseServer;
  broker: MosquittoProcess;
  service: ServiceProcess;
  wire: Wire;
  tally: FaultTally;
  /** Every device, with its kind: a forged result names a device that cannot have been assigned the experiment. */
  devices: Rig[];
  log: (line: string) => void;
  /** Stops a simulated rig and starts it afresh (its memory lost); enables `rig-and-service-killed`. */
  restartRig?: (id: string) => Promise<void>;
  /** Called after each round of faults, once the service is healthy again: the invariant checks. */
  afterRound?: (round: number, kinds: FaultKind[]) => Promise<void>;
}

/** What one round may inject; two different ones at once in about a third of the rounds. */
type RoundFault = 'kill' | 'term' | 'broker' | 'database' | 'offline' | 'version' | 'rig';
const ROUND_WEIGHTS: Record<RoundFault, number> = { kill: 20, term: 12, broker: 20, database: 20, offline: 14, version: 14, rig: 8 };
const TWO_AT_ONCE = 0.35;

/**
 * Injects faults until stopped, in rounds drawn from a seeded schedule: each
 * round one fault, or two different ones at once, among SIGKILL or SIGTERM of
 * the service and restart, a rig and the service killed together (the rig back
 * first), a broker restart, a database outage, a forged `offline` of a live
 * device and a result in the wrong protocol version; then the wait for the
 * service to be healthy again and the round's checks (`afterRound`).
 * Alongside, hostile messages: forged results from unassigned devices and
 * replays of genuine results. The sequence of choices depends only on the
 * seed; when they land depends on how fast the machine is.
 */
export class FaultInjector {
  private stopping = false;
  private readonly loops: Promise<void>[] = [];
  /** Crashes of the service that no fault of ours caused directly (it died on its own, then was restarted). */
  readonly unexpectedExits: string[] = [];
  /** Findings of the faults themselves (a forged offline that the device's heartbeats never undid). */
  readonly findings: string[] = [];
  rounds = 0;
  doubleRounds = 0;

  constructor(private readonly o: InjectorOptions) {}

  start(): void {
    this.loops.push(this.infrastructure(), this.hostile());
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.loops);
  }

  private async infrastructure(): Promise<void> {
    const rng = rngFor(this.o.seed, 'infrastructure');
    const weights: Partial<Record<RoundFault, number>> = { ...ROUND_WEIGHTS };
    if (!this.o.restartRig) delete weights.rig;
    while (!this.stopping) {
      await pause(500 + rng.next() * 1200);
      if (this.stopping) break;
      const first = pickWeighted(rng, weights as Record<RoundFault, number>);
      const round: RoundFault[] = [first];
      if (rng.next() < TWO_AT_ONCE) {
        // The service is killed at most once per round (kill, term and rig all restart it).
        const restarts = (f: RoundFault) => f === 'kill' || f === 'term' || f === 'rig';
        const rest = Object.fromEntries(
          Object.entries(weights).filter(([f]) => f !== first && !(restarts(first) && restarts(f as RoundFault))),
        );
        round.push(pickWeighted(rng, rest as Record<RoundFault, number>));
      }
      // Each fault's own draws come from its own stream, so a second fault never shifts the first one's.
      const draws = round.map((f, i) => rngFor(this.o.seed, `round-${this.rounds}/${i}/${f}`));
      const started = Date.now();
      const kinds = await Promise.all(round.map((f, i) => this.inject(f, draws[i])));
      this.rounds++;
      if (round.length > 1) this.doubleRounds++;
      await this.recover(`after ${round.join(' + ')}`);
      this.o.log(
        `round ${this.rounds}: ${kinds.filter(Boolean).join(' + ') || 'nothing to hit'}; healthy again ${Date.now() - started} ms after`,
      );
      await this.o.afterRound?.(
        this.rounds,
        kinds.filter((k): k is FaultKind => k !== undefined),
      );
    }
  }

  /** One fault; its kind, or undefined when there was nothing to hit (no experiment running). */
  private async inject(fault: RoundFault, rng: ReturnType<typeof rngFor>): Promise<FaultKind | undefined> {
    const { service, broker, database, wire, tally, devices } = this.o;
    const kind = await (async (): Promise<FaultKind | undefined> => {
      switch (fault) {
        case 'kill':
          await service.killAndRestart('SIGKILL');
          return 'service-sigkill';
        case 'term':
          await service.killAndRestart('SIGTERM');
          return 'service-sigterm';
        case 'rig': {
          // The stall: the rig restarts (holding nothing) while the service is down, and is back first.
          const sims = devices.filter((d) => d.id.startsWith('sim-'));
          const rig = sims[rng.int(sims.length)];
          await service.killAndRestart('SIGKILL', () => this.o.restartRig!(rig.id));
          return 'rig-and-service-killed';
        }
        case 'broker': {
          const signal = rng.next() < 0.5 ? 'SIGTERM' : 'SIGKILL';
          await broker.restart(signal, 200 + Math.floor(rng.next() * 1300));
          return 'broker-restart';
        }
        case 'database':
          await database.outage(1000 + Math.floor(rng.next() * 2000));
          return 'database-outage';
        case 'offline': {
          const device = devices[rng.int(devices.length)];
          if (!(await this.published(() => wire.forgeOffline(device.id)))) return undefined;
          // Its heartbeats (every 3 s) contradict the forgery: it must be online again soon.
          await until(
            async () =>
              (await database.query<{ status: string }>(`SELECT status FROM devices WHERE id = $1`, [device.id]))[0]?.status === 'online',
            {
              timeoutMs: 30_000,
              intervalMs: 200,
            },
          ).catch(() => this.findings.push(`${device.id} still offline 30 s after a forged offline its heartbeats contradict`));
          return 'forged-offline';
        }
        case 'version': {
          const running = await until(
            () =>
              database.query<{ id: string; device_id: string; attempt: number }>(
                `SELECT id, device_id, attempt FROM experiments WHERE status IN ('dispatched', 'running') AND device_id IS NOT NULL ORDER BY id`,
              ),
            { timeoutMs: 30_000, intervalMs: 200 },
          ).catch(() => []);
          if (running.length === 0) return undefined;
          const target = running[rng.int(running.length)];
          return (await this.published(() => wire.wrongVersion(target.device_id, target.id, target.attempt))) ? 'wrong-version' : undefined;
        }
      }
    })();
    if (kind) tally.add(kind);
    return kind;
  }

  /** Publishes through the suite's own client, waiting for it to be connected (the broker may be restarting). */
  private async published(publish: () => Promise<void>): Promise<boolean> {
    return until(async () => (this.o.wire.connected ? (await publish(), true) : undefined), { timeoutMs: 30_000, intervalMs: 100 }).catch(
      () => false,
    );
  }

  /** Waits for the service to answer again; a service that died on its own is a finding, recorded, and restarted. */
  private async recover(what: string): Promise<void> {
    const { service } = this.o;
    const state = await until(async () => (service.crashes.length > 0 ? 'crashed' : (await service.healthy()) ? 'up' : undefined), {
      timeoutMs: 60_000,
      intervalMs: 100,
      what: `the service healthy ${what}\n${service.output().slice(-3000)}`,
    });
    if (state === 'crashed') {
      this.unexpectedExits.push(...service.crashes.splice(0));
      this.o.log(`the service exited on its own ${what}: restarting it`);
      await service.killAndRestart();
    }
  }

  private async hostile(): Promise<void> {
    const rng = rngFor(this.o.seed, 'hostile');
    const { wire, database, tally, devices } = this.o;
    let intruder = 0;
    while (!this.stopping) {
      await pause(250 + rng.next() * 600);
      if (this.stopping || !wire.connected) continue;
      try {
        if (rng.next() < 0.5) {
          // A result for a running experiment, from a device that was not assigned it.
          const running = await database.query<{ id: string; device_id: string; attempt: number; kind: string }>(
            `SELECT e.id, e.device_id, e.attempt, c.definition->>'deviceKind' AS kind FROM experiments e JOIN campaigns c ON c.id = e.campaign_id
             WHERE e.status IN ('dispatched', 'running') ORDER BY e.id`,
          );
          if (running.length === 0) continue;
          const target = running[rng.int(running.length)];
          // Another kind's device can never be assigned this experiment; an unknown device id never exists.
          const others = devices.filter((d) => d.kind !== target.kind);
          const asIntruder = others.length === 0 || rng.next() < 0.4;
          const as = asIntruder ? `intruder-${intruder++ % 5}` : others[rng.int(others.length)].id;
          await wire.forge(as, target.id, target.attempt, asIntruder);
          tally.add('unassigned-result');
        } else {
          // A genuine result, replayed byte for byte (late, out of order, after its ack).
          if (wire.results.length === 0) continue;
          await wire.replay(wire.results[rng.int(wire.results.length)]);
          tally.add('replayed-result');
        }
      } catch {
        // The database or broker is down (a fault of ours): try again later.
      }
    }
  }
}
