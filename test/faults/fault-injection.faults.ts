import { afterAll, describe, expect, it } from '@jest/globals';
import { startSimRig, type SimRig } from '#simulators';
import { until } from '../support/poll.js';
import { braninCampaign } from '../support/service.js';
import { OutcomeWatcher, verify, type CampaignPlan, type Verdict } from './support/checks.js';
import { DatabaseServer } from './support/database-server.js';
import { FaultyDevice } from './support/faulty-device.js';
import { FaultInjector, type Rig } from './support/injector.js';
import { MosquittoProcess } from './support/mosquitto-process.js';
import { ServiceProcess } from './support/service-process.js';
import { FaultTally, rngFor } from './support/tally.js';
import { FORGED_Y, Wire } from './support/wire.js';

/**
 * Fault injection (`npm run test:faults`): real campaigns on the suite's own
 * PostgreSQL and Mosquitto, with simulated rigs and misbehaving scripted
 * devices, while the service is SIGKILLed, the broker and the database are
 * restarted, and results are duplicated, delayed, reordered, replayed and
 * forged. Afterwards every experiment of every budget must have exactly one
 * outcome, stored once, and every re-dispatch must be explained in the audit log.
 *
 * FAULTS_SEED picks the fault sequence (default 20261122); FAULTS_CAMPAIGNS the number of campaigns (default 24).
 */
const SEED = Number(process.env.FAULTS_SEED ?? 20261122);
const CAMPAIGNS = Number(process.env.FAULTS_CAMPAIGNS ?? 24);
const AT_ONCE = 6;
const SIM_KIND = 'faults-sim';
const SCRIPTED_KIND = 'faults-scripted';
/** experimentTimeoutS of the scripted devices' campaigns: a device that never answers is given up on after this. */
const TIMEOUT_S = 4;
/** Time for the campaigns under fire; then the faults stop and the campaigns get a quiet period to finish. */
const FIRE_MS = 6 * 60_000;
const QUIET_MS = 90_000;

const log = (line: string) => process.stderr.write(`[faults ${new Date().toISOString().slice(11, 19)}] ${line}\n`);

describe('fault injection', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c().catch((e: unknown) => log(`cleanup: ${String(e)}`));
  });

  it(
    `runs ${CAMPAIGNS} campaigns through ≥ 200 seeded faults with nothing lost or doubled (seed ${SEED})`,
    async () => {
      const began = Date.now();
      const tally = new FaultTally();
      const database = await DatabaseServer.start();
      cleanups.push(() => database.stop());
      const broker = await MosquittoProcess.start();
      cleanups.push(() => broker.stop());
      const service = await ServiceProcess.start(database.url, broker.url);
      cleanups.push(() => service.stop());
      const wire = await Wire.connect(broker.url);
      cleanups.push(() => wire.close());
      log(`database ${database.url.replace(/:[^:@/]+@/, ':***@')}, broker ${broker.url}, service ${service.apiUrl}; seed ${SEED}`);

      // Four simulated rigs (noise, random experiment and device failures) and three scripted misbehaving devices.
      const rigs: SimRig[] = [];
      for (let i = 0; i < 4; i++) {
        rigs.push(
          await startSimRig({
            url: broker.url,
            deviceId: `sim-${i}`,
            functionName: 'branin',
            kind: SIM_KIND,
            noise: 0.05,
            // Slow enough that every campaign lives through several infrastructure faults.
            latencyMs: 1500,
            jitterMs: 1500,
            failureRate: 0.04,
            deviceFailureRate: 0.05,
            capacity: 1,
            objective: 'y',
            seed: SEED + i,
            heartbeatIntervalS: 3,
            resendIntervalMs: 700,
          }),
        );
      }
      cleanups.push(async () => void (await Promise.all(rigs.map((r) => r.stop()))));
      const scripted = [0, 1, 2].map(
        (i) =>
          new FaultyDevice({
            url: broker.url,
            id: `scripted-${i}`,
            kind: SCRIPTED_KIND,
            capacity: 3,
            seed: SEED + 100 + i,
            timeoutS: TIMEOUT_S,
            tally,
          }),
      );
      cleanups.push(async () => void (await Promise.all(scripted.map((d) => d.stop()))));
      const devices: Rig[] = [
        ...rigs.map((r) => ({ id: r.device.deviceId, kind: SIM_KIND })),
        ...scripted.map((d) => ({ id: d.id, kind: SCRIPTED_KIND })),
      ];
      await until(
        async () => {
          const online = await database.query<{ n: number }>(`SELECT count(*)::int AS n FROM devices WHERE status = 'online'`);
          return online[0].n === devices.length;
        },
        { timeoutMs: 30_000, what: 'every device online' },
      );

      const watcher = new OutcomeWatcher(database);
      watcher.start(400);
      cleanups.push(async () => watcher.stop());
      const injector = new FaultInjector({ seed: SEED, database, broker, service, wire, tally, devices, log });
      injector.start();

      const plans = await runCampaigns(service, database, log);
      const fired = Date.now() - began;
      await injector.stop();
      log(`faults stopped after ${Math.round(fired / 1000)} s; waiting for the campaigns to finish`);
      await until(async () => (await unfinished(database, plans)) === 0, {
        timeoutMs: QUIET_MS,
        intervalMs: 250,
        what: 'the campaigns to finish',
      }).catch((e: unknown) => log(String(e)));
      // Give every device's outbox the chance to drain (acks of the last results), so the wire has seen them.
      await until(() => scripted.every((d) => d.unacknowledged === 0) || undefined, { timeoutMs: 15_000 }).catch(() => undefined);

      const verdict = await verify(
        database,
        plans,
        wire,
        scripted.flatMap((d) => d.sent),
        watcher,
      );
      const crashes = [...injector.unexpectedExits, ...service.crashes];
      report(verdict, tally, crashes, Date.now() - began, service.starts);

      expect(tally.total()).toBeGreaterThanOrEqual(200);
      for (const kind of ['service-sigkill', 'broker-restart', 'database-outage'] as const)
        expect(tally.get(kind)).toBeGreaterThanOrEqual(5);
      expect(verdict.campaigns).toBeGreaterThanOrEqual(20);
      expect(crashes).toEqual([]);
      expect(verdict.problems.filter((p) => !p.includes('the result was dropped') && !p.includes('as the outcome of attempt'))).toEqual([]);
      expect(verdict.lost).toBe(0);
      expect(verdict.duplicated).toBe(0);
      expect(verdict.unexplained).toBe(0);
      expect(verdict.forgedStored).toBe(0);
      expect(verdict.foreignValues).toBe(0);
      expect(verdict.experiments).toBe(plans.reduce((a, p) => a + p.budget, 0));

      // The checks themselves can fail: damage four outcomes in the database and look again.
      const tampered = await tamper(database, plans);
      const after = await verify(
        database,
        plans,
        wire,
        scripted.flatMap((d) => d.sent),
        watcher,
      );
      log(
        `after tampering with ${tampered.join(', ')}: lost ${after.lost}, duplicated ${after.duplicated}, unexplained ${after.unexplained}, forged ${after.forgedStored}`,
      );
      expect(after.lost).toBeGreaterThan(0);
      expect(after.duplicated).toBeGreaterThan(0);
      expect(after.unexplained).toBeGreaterThan(0);
      expect(after.forgedStored).toBeGreaterThan(0);
    },
    15 * 60_000,
  );
});

/** Creates the campaigns, AT_ONCE at a time, each starting when another finishes, through the faults. */
async function runCampaigns(service: ServiceProcess, database: DatabaseServer, log: (line: string) => void): Promise<CampaignPlan[]> {
  const rng = rngFor(SEED, 'campaigns');
  const specs = Array.from({ length: CAMPAIGNS }, (_, i) => {
    const scripted = i % 3 === 2;
    const strategies = ['sobol', 'random', 'lhs', 'default'] as const;
    return {
      name: `faults-${String(i).padStart(2, '0')}-${scripted ? 'scripted' : 'sim'}`,
      scripted,
      definition: braninCampaign({
        name: `faults-${String(i).padStart(2, '0')}-${scripted ? 'scripted' : 'sim'}`,
        budget: 10 + rng.int(6),
        batchSize: 3 + rng.int(3),
        strategy: { kind: strategies[rng.int(strategies.length)] },
        seed: rng.int(1_000_000),
        deviceKind: scripted ? SCRIPTED_KIND : SIM_KIND,
        maxAttempts: 5,
        ...(scripted ? { experimentTimeoutS: TIMEOUT_S } : {}),
      }),
    };
  });
  const plans: CampaignPlan[] = [];
  const deadline = Date.now() + FIRE_MS;
  let next = 0;
  const worker = async () => {
    while (next < specs.length && Date.now() < deadline) {
      const spec = specs[next++];
      const id = await create(service, database, spec.name, spec.definition);
      plans.push({ id, name: spec.name, budget: spec.definition.budget as number, scripted: spec.scripted });
      await until(async () => (await unfinished(database, [{ id }])) === 0 || undefined, {
        timeoutMs: Math.max(1000, deadline - Date.now()),
        intervalMs: 250,
        what: `${spec.name} to complete`,
      }).catch(() => log(`${spec.name} still running at the end of the fire period`));
      log(`${spec.name} finished (${plans.length}/${specs.length} started)`);
    }
  };
  await Promise.all(Array.from({ length: AT_ONCE }, worker));
  return plans;
}

/** POST /api/campaigns through faults; a request whose answer was lost is found by its (unique) name, never created twice. */
async function create(
  service: ServiceProcess,
  database: DatabaseServer,
  name: string,
  definition: Record<string, unknown>,
): Promise<string> {
  return until(
    async () => {
      const existing = await database.query<{ id: string }>(`SELECT id FROM campaigns WHERE name = $1`, [name]);
      if (existing.length > 0) return existing[0].id;
      const r = await service.api<{ id: string }>('POST', '/api/campaigns', definition);
      if (r && r.status !== 201 && r.status < 500) throw new Error(`POST /api/campaigns answered ${r.status}: ${JSON.stringify(r.body)}`);
      return r?.status === 201 ? r.body.id : undefined;
    },
    { timeoutMs: 120_000, intervalMs: 300, what: `campaign ${name} created` },
  );
}

async function unfinished(database: DatabaseServer, plans: { id: string }[]): Promise<number | undefined> {
  try {
    const rows = await database.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM campaigns WHERE id = ANY($1::uuid[]) AND status <> 'completed'`,
      [plans.map((p) => p.id)],
    );
    return rows[0].n;
  } catch {
    return undefined; // the database is down (a fault): ask again
  }
}

/** Self-check of the checks: a changed value, an unexplained attempt, an outcome undone, a forged value. */
async function tamper(database: DatabaseServer, plans: CampaignPlan[]): Promise<string[]> {
  const rows = await database.query<{ id: string }>(
    `SELECT id FROM experiments WHERE campaign_id = ANY($1::uuid[]) AND status = 'completed' ORDER BY id LIMIT 4`,
    [plans.map((p) => p.id)],
  );
  const [changed, attempt, undone, forged] = rows.map((r) => r.id);
  await database.query(
    `UPDATE experiments SET objective = objective + 1, "values" = jsonb_build_object('y', objective + 1) WHERE id = $1`,
    [changed],
  );
  await database.query(`UPDATE experiments SET attempt = attempt + 1 WHERE id = $1`, [attempt]);
  // Undone as cancelled, not back to running: the service, still up, would rightly complete a running
  // experiment again when its device re-sends the result, and the check would find nothing lost.
  await database.query(`UPDATE experiments SET status = 'cancelled', objective = NULL, finished_at = NULL WHERE id = $1`, [undone]);
  await database.query(`UPDATE experiments SET objective = $2, "values" = jsonb_build_object('y', $2::float8) WHERE id = $1`, [
    forged,
    FORGED_Y,
  ]);
  return [`the value of ${changed}`, `the attempt of ${attempt}`, `the outcome of ${undone}`, `the value of ${forged} (forged)`];
}

function report(v: Verdict, tally: FaultTally, crashes: string[], elapsedMs: number, starts: number): void {
  const lines = [
    `fault injection, seed ${SEED}: ${Math.round(elapsedMs / 1000)} s, service started ${starts} times`,
    `faults injected: ${tally.total()}`,
    ...tally.entries().map(([k, n]) => `  ${k.padEnd(20)} ${n}`),
    `campaigns: ${v.campaigns}`,
    `experiments: ${v.experiments} (completed ${v.completed}, failed ${v.failed})`,
    `re-dispatches: ${v.redispatched} (${
      Object.entries(v.causes)
        .map(([c, n]) => `${c} ${n}`)
        .join(', ') || 'none'
    }), each with its audit entry unless counted below`,
    ...Object.entries(v.causeExamples).map(([c, reason]) => `  e.g. ${c}: ${reason.slice(0, 160)}`),
    `lost: ${v.lost}`,
    `duplicated: ${v.duplicated}`,
    `unexplained re-dispatches: ${v.unexplained}`,
    `forged results stored: ${v.forgedStored}`,
    `stored values never sent by the assigned device: ${v.foreignValues}`,
    `results of an earlier attempt stored for a later one: ${v.staleAttemptStored}`,
    `results acknowledged ok but dropped (experiment already failed): ${v.ackedNotStored}`,
    `service crashes not caused by the suite: ${crashes.length}`,
    ...v.problems.slice(0, 40).map((p) => `  problem: ${p}`),
    ...crashes.map((c) => `  crash: ${c.slice(0, 2000)}`),
  ];
  process.stdout.write(`\n${lines.join('\n')}\n\n`);
}
