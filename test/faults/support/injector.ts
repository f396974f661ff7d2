import { until } from '../../support/poll.js';
import type { DatabaseServer } from './database-server.js';
import type { MosquittoProcess } from './mosquitto-process.js';
import type { ServiceProcess } from './service-process.js';
import { pause, pickWeighted, rngFor, type FaultTally } from './tally.js';
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
}

/**
 * Injects faults until stopped: one infrastructure fault at a time (SIGKILL of
 * the service and restart, broker restart, database outage), at seeded random
 * moments, each followed by the wait for the service to be healthy again; and,
 * alongside, hostile messages (forged results from unassigned devices, replays
 * of genuine results). The sequence of choices depends only on the seed; when
 * they land depends on how fast the machine is.
 */
export class FaultInjector {
  private stopping = false;
  private readonly loops: Promise<void>[] = [];
  /** Crashes of the service that no fault of ours caused directly (it died on its own, then was restarted). */
  readonly unexpectedExits: string[] = [];

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
    const { service, broker, database, tally, log } = this.o;
    while (!this.stopping) {
      await pause(800 + rng.next() * 1600);
      if (this.stopping) break;
      const kind = pickWeighted(rng, { kill: 35, broker: 30, database: 35 });
      const started = Date.now();
      if (kind === 'kill') {
        await service.killAndRestart();
        tally.add('service-sigkill');
      } else if (kind === 'broker') {
        const signal = rng.next() < 0.5 ? 'SIGTERM' : 'SIGKILL';
        const down = 200 + Math.floor(rng.next() * 1300);
        await broker.restart(signal, down);
        tally.add('broker-restart');
        log(`broker ${signal} + ${down} ms down`);
      } else {
        const down = 1000 + Math.floor(rng.next() * 2000);
        await database.outage(down);
        tally.add('database-outage');
        log(`database down ${down} ms`);
      }
      await this.recover(`after ${kind}`);
      log(`${kind === 'kill' ? 'service SIGKILL and restart' : kind}: healthy again ${Date.now() - started} ms after the fault began`);
    }
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
      await pause(400 + rng.next() * 900);
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
