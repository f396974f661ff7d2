import type { DatabaseServer } from './database-server.js';
import type { SentValue } from './faulty-device.js';
import { FORGED_Y, reportKey, type SeenResult, type Wire } from './wire.js';

/** Ended without an outcome and spending no budget: cancelled with the campaign, or aborted by an operator (replaced by another proposal). */
const ENDED_UNRUN = new Set(['cancelled', 'aborted']);

interface FinishedRow {
  id: string;
  status: string;
  device_id: string | null;
  attempt: number;
  objective: number | null;
  values: Record<string, number | null> | null;
  finished_at: Date | null;
}

/**
 * Polls the finished experiments while the suite runs: a finished experiment
 * is final, so any later change of its outcome (another value, another
 * device, another finish time) is a result stored twice.
 */
export class OutcomeWatcher {
  private readonly first = new Map<string, string>();
  readonly overwritten: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly db: DatabaseServer) {}

  start(intervalMs: number): void {
    this.timer = setInterval(() => {
      if (!this.running) void this.poll();
    }, intervalMs);
  }

  /**
   * Looks at the finished experiments once. A call made while the timer's poll runs waits for that poll
   * and then looks afresh, so a change made before the call is always seen (skipping it, as an earlier
   * version did, let a self-check miss a tampered value).
   */
  async poll(): Promise<void> {
    const next = (this.running ?? Promise.resolve()).then(() => this.pollOnce());
    this.running = next;
    try {
      await next;
    } finally {
      if (this.running === next) this.running = undefined;
    }
  }

  private async pollOnce(): Promise<void> {
    try {
      const rows = await this.db.query<FinishedRow>(
        `SELECT id, status, device_id, attempt, objective, "values", finished_at FROM experiments WHERE status IN ('completed', 'failed')`,
      );
      for (const r of rows) {
        const snapshot = JSON.stringify([r.status, r.device_id, r.attempt, r.objective, r.values, r.finished_at]);
        const before = this.first.get(r.id);
        if (before === undefined) this.first.set(r.id, snapshot);
        else if (before !== snapshot) {
          this.overwritten.push(`${r.id}: ${before} became ${snapshot}`);
          this.first.set(r.id, snapshot);
        }
      }
    } catch {
      // The database is down (a fault): look again next time.
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

export interface CampaignPlan {
  id: string;
  name: string;
  budget: number;
  scripted: boolean;
}

export interface Verdict {
  campaigns: number;
  experiments: number;
  completed: number;
  failed: number;
  redispatched: number;
  /** Re-dispatches by cause (timeout, offline, failed, ...), from the audit log. */
  causes: Record<string, number>;
  /** One audit reason per cause, as an example. */
  causeExamples: Record<string, string>;
  /** Budget slots without an outcome, plus acknowledged results not stored. */
  lost: number;
  /** Extra experiments, outcomes changed after the fact, failures recorded twice, physical re-runs without a re-dispatch. */
  duplicated: number;
  /** Re-dispatches the audit log does not explain (attempt - 1 ≠ redispatch entries, or an entry without cause). */
  unexplained: number;
  /** Forged results stored. */
  forgedStored: number;
  /** Stored values that the assigned device never reported (scripted devices, which record everything they sent). */
  foreignValues: number;
  /** Results of an earlier attempt stored as the outcome of a later one (same device). */
  staleAttemptStored: number;
  /** Results acknowledged "ok" although their experiment had already failed (device retries spent): not stored. */
  ackedNotStored: number;
  problems: string[];
}

interface ExperimentRow {
  id: string;
  campaign_id: string;
  status: string;
  device_id: string | null;
  attempt: number;
  objective: number | null;
  values: Record<string, number | null> | null;
  failure_scope: string | null;
  failed_on: string[];
}

interface AuditRow {
  experiment_id: string;
  action: string;
  details: { cause?: string; reason?: string; scope?: string };
}

/** The database after the run, against the plan, the wire and what the scripted devices sent. */
export async function verify(
  db: DatabaseServer,
  plans: CampaignPlan[],
  wire: Wire,
  scriptedSent: SentValue[],
  watcher: OutcomeWatcher,
): Promise<Verdict> {
  const problems: string[] = [];
  const v: Verdict = {
    campaigns: plans.length,
    experiments: 0,
    completed: 0,
    failed: 0,
    redispatched: 0,
    causes: {},
    causeExamples: {},
    lost: 0,
    duplicated: 0,
    unexplained: 0,
    forgedStored: 0,
    foreignValues: 0,
    staleAttemptStored: 0,
    ackedNotStored: 0,
    problems,
  };
  const ids = plans.map((p) => p.id);
  const campaigns = await db.query<{ id: string; status: string }>(`SELECT id, status FROM campaigns WHERE id = ANY($1::uuid[])`, [ids]);
  const rows = await db.query<ExperimentRow>(
    `SELECT id, campaign_id, status, device_id, attempt, objective, "values", failure_scope, failed_on FROM experiments WHERE campaign_id = ANY($1::uuid[])`,
    [ids],
  );
  const audit = await db.query<AuditRow>(
    `SELECT experiment_id, action, details FROM audit_log WHERE campaign_id = ANY($1::uuid[]) AND experiment_id IS NOT NULL
       AND action IN ('experiment.redispatch', 'experiment.failed') ORDER BY id`,
    [ids],
  );
  const auditOf = new Map<string, AuditRow[]>();
  for (const a of audit) auditOf.set(a.experiment_id, [...(auditOf.get(a.experiment_id) ?? []), a]);
  const byId = new Map(rows.map((r) => [r.id, r]));

  for (const plan of plans) {
    const c = campaigns.find((x) => x.id === plan.id);
    const mine = rows.filter((r) => r.campaign_id === plan.id);
    const finished = mine.filter((r) => r.status === 'completed' || r.status === 'failed');
    const open = mine.filter((r) => r.status !== 'completed' && r.status !== 'failed' && !ENDED_UNRUN.has(r.status));
    if (c?.status !== 'completed') problems.push(`campaign ${plan.name} is ${c?.status ?? 'missing'}, not completed`);
    if (finished.length < plan.budget) {
      v.lost += plan.budget - finished.length;
      problems.push(
        `${plan.name}: ${finished.length} outcomes for a budget of ${plan.budget} (${open.map((r) => `${r.id} ${r.status}`).join(', ')})`,
      );
    }
    const extra = mine.filter((r) => !ENDED_UNRUN.has(r.status)).length - plan.budget;
    if (extra > 0) {
      v.duplicated += extra;
      problems.push(`${plan.name}: ${extra} experiment(s) beyond the budget of ${plan.budget}`);
    }
  }

  for (const r of rows) {
    if (ENDED_UNRUN.has(r.status)) continue;
    v.experiments++;
    if (r.status === 'completed') v.completed++;
    if (r.status === 'failed') v.failed++;
    const entries = auditOf.get(r.id) ?? [];
    const redispatches = entries.filter((a) => a.action === 'experiment.redispatch');
    v.redispatched += redispatches.length;
    for (const a of redispatches) {
      const cause = a.details.cause ?? 'none';
      v.causes[cause] = (v.causes[cause] ?? 0) + 1;
      v.causeExamples[cause] ??= a.details.reason ?? '';
    }
    const attempts = Math.max(r.attempt, 1);
    if (redispatches.length !== attempts - 1 || redispatches.some((a) => !a.details.cause || !a.details.reason)) {
      v.unexplained++;
      problems.push(
        `${r.id}: attempt ${r.attempt} with ${redispatches.length} explained re-dispatch(es): ${JSON.stringify(redispatches.map((a) => a.details))}`,
      );
    }
    const deviceFailures = redispatches.length + (r.status === 'failed' && r.failure_scope === 'device' ? 1 : 0);
    if (r.failed_on.length !== deviceFailures)
      problems.push(`${r.id}: failed_on ${JSON.stringify(r.failed_on)} for ${deviceFailures} device failure(s)`);
    const failures = entries.filter((a) => a.action === 'experiment.failed');
    if (failures.length > 1) {
      v.duplicated++;
      problems.push(`${r.id}: its failure recorded ${failures.length} times`);
    }
    if (r.objective === FORGED_Y || r.values?.y === FORGED_Y) {
      v.forgedStored++;
      problems.push(`${r.id}: a forged result was stored`);
    }
  }

  // Scripted devices record every value they sent: a stored value must be one of them, from the assigned device.
  const sentBy = new Map<string, SentValue[]>();
  for (const s of scriptedSent) sentBy.set(s.experimentId, [...(sentBy.get(s.experimentId) ?? []), s]);
  for (const [experimentId, sent] of sentBy) {
    const r = byId.get(experimentId);
    if (!r || r.status !== 'completed') continue;
    const match = sent.filter((s) => s.deviceId === r.device_id && s.y === r.objective);
    if (match.length === 0) {
      v.foreignValues++;
      problems.push(`${experimentId}: stored y = ${r.objective} from ${r.device_id}, which never sent it`);
    } else if (match.every((s) => s.attempt < r.attempt)) {
      v.staleAttemptStored++;
      problems.push(
        `${experimentId}: stored the result of attempt ${match[0].attempt} as the outcome of attempt ${r.attempt} (device ${r.device_id})`,
      );
    }
  }

  // Every result the service acknowledged as stored is stored, on that device.
  const seen = new Map<string, SeenResult>();
  for (const s of wire.results) seen.set(reportKey(s.deviceId, s.experimentId, s.attempt), s);
  for (const [key, s] of seen) {
    if (!wire.acked.has(key) || !byId.has(s.experimentId)) continue;
    const r = byId.get(s.experimentId)!;
    if (r.device_id === s.deviceId && r.status === 'completed') continue;
    if (r.device_id === s.deviceId && r.status === 'failed' && r.failure_scope === 'experiment') continue; // an out-of-range value fails it
    if (r.device_id === s.deviceId && r.status === 'failed' && r.failure_scope === 'device') {
      v.ackedNotStored++;
      problems.push(`${key}: result acknowledged ok, but the experiment had failed (device retries spent); the result was dropped`);
      continue;
    }
    v.lost++;
    problems.push(`${key}: result acknowledged ok, yet the experiment is ${r.status} on ${r.device_id}`);
  }

  // A simulated rig's values depend on the experiment, attempt and rig: two values from rigs for an experiment
  // dispatched once means it ran twice.
  const valuesOf = new Map<string, Set<string>>();
  for (const s of wire.results) {
    if (!s.deviceId.startsWith('sim-')) continue;
    valuesOf.set(s.experimentId, (valuesOf.get(s.experimentId) ?? new Set()).add(`${s.deviceId}:${s.y}`));
  }
  for (const [experimentId, values] of valuesOf) {
    const r = byId.get(experimentId);
    if (r && values.size > 1 && r.attempt <= 1) {
      v.duplicated++;
      problems.push(`${experimentId}: run twice (${[...values].join(', ')}) but dispatched once`);
    }
  }

  await watcher.poll();
  v.duplicated += watcher.overwritten.length;
  problems.push(...watcher.overwritten.map((o) => `outcome changed after it was stored: ${o}`));
  return v;
}

/** What one look in the middle of the run found broken (each count since the start of the run). */
export interface InFlight {
  /** Outcomes changed once stored, failures recorded twice, experiments beyond a budget. */
  doubled: string[];
  /** Results acknowledged ok on the wire that the database does not hold as that device's outcome. */
  ackedMissing: string[];
  forgedStored: string[];
}

/**
 * The invariants that must hold at every moment, not only at the end, checked
 * between rounds of faults: nothing stored twice, no acknowledged result
 * missing, no forgery stored. An ack is published after its outcome is
 * committed, so every ack the wire has seen is already in the database.
 */
export async function checkInFlight(db: DatabaseServer, wire: Wire, watcher: OutcomeWatcher): Promise<InFlight> {
  await watcher.poll();
  const doubled = [...watcher.overwritten];
  const twice = await db.query<{ experiment_id: string; n: number }>(
    `SELECT experiment_id, count(*)::int AS n FROM audit_log WHERE action = 'experiment.failed' AND experiment_id IS NOT NULL
     GROUP BY experiment_id HAVING count(*) > 1`,
  );
  doubled.push(...twice.map((t) => `${t.experiment_id}: its failure recorded ${t.n} times`));
  const over = await db.query<{ name: string; n: number; budget: number }>(
    `SELECT c.name, count(e.id)::int AS n, (c.definition->>'budget')::int AS budget FROM campaigns c
     JOIN experiments e ON e.campaign_id = c.id AND e.status NOT IN ('cancelled', 'aborted')
     GROUP BY c.id HAVING count(e.id) > (c.definition->>'budget')::int`,
  );
  doubled.push(...over.map((o) => `${o.name}: ${o.n} experiments for a budget of ${o.budget}`));
  const forged = await db.query<{ id: string }>(`SELECT id FROM experiments WHERE objective = $1 OR ("values"->>'y')::float8 = $1`, [
    FORGED_Y,
  ]);
  const acked = wire.results.filter((s) => wire.acked.has(reportKey(s.deviceId, s.experimentId, s.attempt)));
  const stored = await db.query<{ id: string; status: string; device_id: string | null }>(
    `SELECT id, status, device_id FROM experiments WHERE id = ANY($1::uuid[])`,
    [[...new Set(acked.map((s) => s.experimentId))]],
  );
  const byId = new Map(stored.map((r) => [r.id, r]));
  const ackedMissing = acked
    .filter((s) => {
      const r = byId.get(s.experimentId);
      return !r || r.device_id !== s.deviceId || (r.status !== 'completed' && r.status !== 'failed');
    })
    .map(
      (s) => `${reportKey(s.deviceId, s.experimentId, s.attempt)}: acknowledged ok, yet ${byId.get(s.experimentId)?.status ?? 'missing'}`,
    );
  return { doubled, ackedMissing: [...new Set(ackedMissing)], forgedStored: forged.map((f) => `${f.id}: a forged value stored`) };
}
