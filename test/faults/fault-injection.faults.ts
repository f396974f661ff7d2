import { afterAll, describe, expect, it } from '@jest/globals';
import { startSimRig, type SimRig } from '#simulators';
import { until } from '../support/poll.js';
import { braninCampaign } from '../support/service.js';
import { checkInFlight, OutcomeWatcher, verify, type CampaignPlan, type Verdict } from './support/checks.js';
import { DatabaseServer } from './support/database-server.js';
import { FaultyDevice } from './support/faulty-device.js';
import { FaultInjector, type Rig } from './support/injector.js';
import { MosquittoProcess } from './support/mosquitto-process.js';
import { ServiceProcess } from './support/service-process.js';
import { FaultTally, rngFor, type FaultKind } from './support/tally.js';
import { FORGED_Y, Wire } from './support/wire.js';

/**
 * Fault injection (`npm run test:faults`), in randomised mode: for a set time,
 * real campaigns on the suite's own PostgreSQL and Mosquitto, with simulated
 * rigs and misbehaving scripted devices, while a seeded schedule injects rounds
 * of one fault or two at once (the service SIGKILLed or SIGTERMed, a rig and
 * the service killed together, the broker and the database restarted, forged
 * offlines, wrong protocol versions) and results are duplicated, delayed,
 * reordered, replayed and forged. After every round the invariants are checked
 * (nothing doubled, no acknowledged result missing, no forgery stored, no
 * campaign running past the bound); afterwards every experiment of every budget
 * must have exactly one outcome, stored once, and every re-dispatch must be
 * explained in the audit log.
 *
 * FAULTS_SEED picks the fault sequence (default 20261122; printed, so a failing run can be replayed);
 * FAULTS_DURATION_S the time under fire (default 300); FAULTS_CAMPAIGNS caps the campaigns started (default none);
 * FAULTS_CAMPAIGN_BOUND_S the time every campaign must finish within (default 240).
 */
const SEED = Number(process.env.FAULTS_SEED ?? 20261122);
const CAMPAIGNS = Number(process.env.FAULTS_CAMPAIGNS ?? Infinity);
const BOUND_S = Number(process.env.FAULTS_CAMPAIGN_BOUND_S ?? 240);
const AT_ONCE = 6;
const SIM_KIND = 'faults-sim';
const SCRIPTED_KIND = 'faults-scripted';
/** experimentTimeoutS of the scripted devices' campaigns: a device that never answers is given up on after this. */
const TIMEOUT_S = 4;
/** Time for the campaigns under fire; then the faults stop and the campaigns get a quiet period to finish. */
const FIRE_MS = Number(process.env.FAULTS_DURATION_S ?? 300) * 1000;
/** No campaign starts this close to the end of the fire period: it would only run in the quiet. */
const LAST_START_MS = Math.min(30_000, FIRE_MS / 4);
const QUIET_MS = 90_000;

const log = (line: string) => process.stderr.write(`[faults ${new Date().toISOString().slice(11, 19)}] ${line}\n`);

describe('fault injection', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c().catch((e: unknown) => log(`cleanup: ${String(e)}`));
  });

  it(
    `runs campaigns for ${FIRE_MS / 1000} s through ≥ 500 seeded faults of ≥ 12 kinds with nothing lost or doubled (seed ${SEED})`,
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
      const startRig = (i: number) =>
        startSimRig({
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
        });
      for (let i = 0; i < 4; i++) rigs.push(await startRig(i));
      // A rig killed with the service: gone with its memory (outbox, running experiments), back afresh.
      const restartRig = async (id: string) => {
        const i = rigs.findIndex((r) => r.device.deviceId === id);
        await rigs[i].stop();
        rigs[i] = await startRig(i);
      };
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
      // The invariants after every round of faults; a violation is kept (with its round) and fails the run at the end.
      const violations: string[] = [];
      const broken = { doubled: 0, ackedMissing: 0, forgedStored: 0, overBound: 0 };
      let checksRun = 0;
      const afterRound = async (round: number, kinds: FaultKind[]) => {
        const found = await until(() => checkInFlight(database, wire, watcher), { timeoutMs: 30_000, intervalMs: 200 });
        const late = await overBound(database);
        checksRun++;
        const isNew = (v: string) => !violations.some((w) => w.endsWith(v));
        broken.doubled += found.doubled.filter(isNew).length;
        broken.ackedMissing += found.ackedMissing.filter(isNew).length;
        broken.forgedStored += found.forgedStored.filter(isNew).length;
        broken.overBound += late.filter(isNew).length;
        const fresh = [...found.doubled, ...found.ackedMissing, ...found.forgedStored, ...late].filter(isNew);
        violations.push(...fresh.map((v) => `round ${round} (${kinds.join(' + ')}): ${v}`));
        if (fresh.length > 0) log(`round ${round}: ${fresh.length} invariant(s) broken, e.g. ${fresh[0]}`);
      };
      const injector = new FaultInjector({ seed: SEED, database, broker, service, wire, tally, devices, log, restartRig, afterRound });
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
      const slow = await campaignTimes(database, plans);
      report(verdict, tally, crashes, Date.now() - began, service.starts);
      process.stdout.write(
        [
          `rounds of faults: ${injector.rounds} (two at once: ${injector.doubleRounds}), invariant checks after each: ${checksRun}`,
          `invariants broken during the run: ${violations.length} (doubled ${broken.doubled}, acknowledged but missing ${broken.ackedMissing}, forged stored ${broken.forgedStored}, campaigns past the bound ${broken.overBound})`,
          ...violations.slice(0, 20).map((v) => `  violation: ${v}`),
          `campaigns past the bound of ${BOUND_S} s: ${slow.over.length} (slowest ${slow.slowestS} s)`,
          ...slow.over.map((o) => `  over: ${o}`),
          ...injector.findings.map((f) => `  finding: ${f}`),
          `kinds of faults injected: ${tally.entries().filter(([, n]) => n > 0).length}; seed ${SEED} (FAULTS_SEED=${SEED} replays it)`,
          '',
        ].join('\n'),
      );

      expect(tally.total()).toBeGreaterThanOrEqual(500);
      expect(tally.entries().filter(([, n]) => n > 0).length).toBeGreaterThanOrEqual(12);
      for (const kind of ['service-sigkill', 'broker-restart', 'database-outage'] as const)
        expect(tally.get(kind)).toBeGreaterThanOrEqual(5);
      expect(injector.doubleRounds).toBeGreaterThan(0);
      expect(checksRun).toBe(injector.rounds);
      expect(violations).toEqual([]);
      expect(slow.over).toEqual([]);
      expect(injector.findings).toEqual([]);
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
  // Drawn one by one as campaigns start, so a longer run draws the same first campaigns.
  const specOf = (i: number) => {
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
  };
  const plans: CampaignPlan[] = [];
  const deadline = Date.now() + FIRE_MS;
  let next = 0;
  const worker = async () => {
    while (next < CAMPAIGNS && Date.now() < deadline - LAST_START_MS) {
      const spec = specOf(next++);
      const id = await create(service, database, spec.name, spec.definition);
      plans.push({ id, name: spec.name, budget: spec.definition.budget as number, scripted: spec.scripted });
      await until(async () => (await unfinished(database, [{ id }])) === 0 || undefined, {
        timeoutMs: Math.max(1000, deadline - Date.now()),
        intervalMs: 250,
        what: `${spec.name} to complete`,
      }).catch(() => log(`${spec.name} still running at the end of the fire period`));
      log(`${spec.name} finished (${plans.length} started)`);
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

/** Campaigns of this run still running longer than the bound after their creation (the service's clock is the database's). */
async function overBound(database: DatabaseServer): Promise<string[]> {
  const rows = await database
    .query<{ name: string; s: number }>(
      `SELECT name, extract(epoch FROM now() - created_at)::int AS s FROM campaigns WHERE status <> 'completed' AND now() - created_at > $1 * interval '1 second'`,
      [BOUND_S],
    )
    .catch(() => []);
  return rows.map((r) => `${r.name} still running ${r.s} s after its creation (bound ${BOUND_S} s)`);
}

/** How long each campaign took from creation to completion; those past the bound, or never completed. */
async function campaignTimes(database: DatabaseServer, plans: CampaignPlan[]): Promise<{ over: string[]; slowestS: number }> {
  const rows = await database.query<{ name: string; s: number | null }>(
    `SELECT name, extract(epoch FROM completed_at - created_at)::int AS s FROM campaigns WHERE id = ANY($1::uuid[])`,
    [plans.map((p) => p.id)],
  );
  return {
    over: rows.filter((r) => r.s === null || r.s > BOUND_S).map((r) => `${r.name}: ${r.s === null ? 'never completed' : `${r.s} s`}`),
    slowestS: Math.max(0, ...rows.map((r) => r.s ?? 0)),
  };
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
