import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import mqtt, { type MqttClient } from 'mqtt';
import { parseMessage, topics } from '#protocol';
import { testMqttUrl } from '../support/database.js';
import { until } from '../support/poll.js';
import { ScriptedDevice } from '../support/scripted-device.js';
import { braninCampaign, startTestService, TEST_TOKENS, type TestService } from '../support/service.js';
import { KINDS, mutation } from './arbitraries.js';
import { hostileDecision, hostileDefinition, hostileId } from './rest-arbitraries.js';

/**
 * Hostile input through the running service: thousands of invalid MQTT
 * payloads on device topics and hundreds of invalid REST bodies and path
 * parameters. The service keeps answering, refuses each with a clear error,
 * and stores nothing (audit entries for refused reports aside).
 */

const MQTT_PAYLOADS = 3000;
const REST_DEFINITIONS = 400;
const REST_DECISIONS = 200;
const REST_PATHS = 200;
/** The kinds of path the hostile ids are put in (below). */
const PATH_KINDS = 12;
const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined;
const sample = <T>(arb: fc.Arbitrary<T>, n: number): T[] => fc.sample(arb, { numRuns: n, ...(seed !== undefined ? { seed } : {}) });

interface Health {
  status: string;
  mqtt: { received: number; malformed: number; oversized: number; rateLimited: number };
}
interface ErrorBody {
  error?: { code?: unknown; message?: unknown; problems?: unknown };
}

/** Collects what the service logs at level error (Nest writes those to stderr) while `run` runs. */
async function errorsLoggedDuring(run: () => Promise<void>): Promise<string[]> {
  const lines: string[] = [];
  const original = process.stderr.write.bind(process.stderr);
  process.stderr.write = function (this: NodeJS.WriteStream, chunk: string | Uint8Array, ...rest: unknown[]): boolean {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    // eslint-disable-next-line no-control-regex -- terminal colour codes start with ESC
    if (/\bERROR\b/.test(text)) lines.push(text.replace(/\u001b\[[0-9;]*m/g, '').slice(0, 500));
    return (original as (...args: unknown[]) => boolean)(chunk, ...rest);
  };
  try {
    await run();
  } finally {
    process.stderr.write = original;
  }
  return lines;
}

describe('the running service under hostile input', () => {
  const kind = `hostile-${randomUUID().slice(0, 8)}`;
  let svc: TestService;
  let device: ScriptedDevice;
  let raw: MqttClient;
  let campaignId: string;
  let manualCampaignId: string;
  let proposedBatchId: string;

  const counts = async () =>
    (
      await svc.dataSource.query(
        `SELECT (SELECT count(*) FROM campaigns)::int AS campaigns, (SELECT count(*) FROM batches)::int AS batches, (SELECT count(*) FROM experiments)::int AS experiments`,
      )
    )[0] as { campaigns: number; batches: number; experiments: number };
  const experiments = async () => svc.dataSource.query(`SELECT id, status, objective, device_id, attempt FROM experiments ORDER BY id`);
  const batches = async () => svc.dataSource.query(`SELECT id, status, decided_by FROM batches ORDER BY id`);
  // Audit entries other than refused reports. On a shared broker (CI's second pass) other suites' devices
  // come and go (device.online/offline): only those of the hostile device ids count.
  const otherAudit = async (): Promise<{ n: number }[]> =>
    svc.dataSource.query(
      `SELECT count(*)::int AS n FROM audit_log WHERE action <> 'report.refused'
         AND (action NOT LIKE 'device.%' OR device_id LIKE 'fuzz-%' OR device_id LIKE 'intruder-%')`,
    );
  const health = async () => svc.api<Health>('GET', '/api/health');

  beforeAll(async () => {
    svc = await startTestService();
    device = await ScriptedDevice.connect(testMqttUrl(), `dev-${kind}`, kind);
    const created = await svc.api<{ id: string }>('POST', '/api/campaigns', braninCampaign({ budget: 10, batchSize: 5, deviceKind: kind }));
    campaignId = created.body.id;
    for (const run of await device.waitForRuns(5)) await device.publishEvent({ type: 'accepted', experimentId: run.experimentId });
    await until(async () => (await experiments()).filter((e: { status: string }) => e.status === 'running').length === 5, {
      what: '5 running',
    });
    // A campaign waiting for an operator, for hostile decisions on its proposed batch.
    const manual = await svc.api<{ id: string }>(
      'POST',
      '/api/campaigns',
      braninCampaign({ approval: 'manual', deviceKind: `${kind}-none` }),
    );
    manualCampaignId = manual.body.id;
    proposedBatchId = await until(async () => {
      const c = await svc.api<{ batches: { id: string; status: string }[] }>('GET', `/api/campaigns/${manualCampaignId}`);
      return c.body.batches.find((b) => b.status === 'proposed')?.id;
    });
    raw = await mqtt.connectAsync(testMqttUrl(), { clientId: `hostile-${kind}`, clean: true, reconnectPeriod: 200 });
  });
  afterAll(async () => {
    await raw?.endAsync(true);
    await device?.close();
    await svc?.stop();
  });

  it('refuses thousands of hostile MQTT payloads on device topics, keeps running, stores nothing', async () => {
    const started = Date.now();
    const [countsBefore, experimentsBefore, auditBefore, healthBefore] = await Promise.all([
      counts(),
      experiments(),
      otherAudit(),
      health(),
    ]);
    const realIds = device.runs().map((r) => r.experimentId);
    const messages: [string, string | Buffer][] = [];
    const perKind = Math.ceil(MQTT_PAYLOADS / KINDS.length);
    for (const k of KINDS) {
      // Only what the parser refuses (it is fuzzed on its own in protocol-parsers.spec.ts).
      const payloads = sample(mutation(k), perKind * 2)
        .map((m) => m.payload)
        .filter((p) => !parseMessage(k, p).ok)
        .slice(0, perKind - 40);
      const bytes = sample(fc.uint8Array({ maxLength: 300 }), 40).map((b) => Buffer.from(b));
      const topicKind = k === 'commands' ? 'events' : k; // commands a device cannot send: as events
      [...payloads, ...bytes].forEach((p, i) => messages.push([topics[topicKind](`fuzz-${kind}-${i % 30}`), p]));
    }
    // Forged reports: valid payloads (results, failures of both scopes, acceptances) for real
    // experiments, from devices they were not sent to: refused as not_assigned, audited, nothing changes.
    const forgeries = [
      { type: 'result', values: { y: -1e6 } },
      { type: 'failed', scope: 'device', reason: 'forged' },
      { type: 'failed', scope: 'experiment', reason: 'forged' },
      { type: 'accepted' },
      { type: 'rejected', reason: 'forged' },
    ];
    for (let i = 0; i < 50; i++) {
      const event = { v: 1, experimentId: realIds[i % realIds.length], ts: new Date().toISOString(), ...forgeries[i % forgeries.length] };
      expect(parseMessage('events', JSON.stringify(event)).ok).toBe(true);
      messages.push([topics.events(`intruder-${kind}-${i % 7}`), JSON.stringify(event)]);
    }
    // Oversized: dropped on their length alone.
    for (let i = 0; i < 3; i++) messages.push([topics.events(`fuzz-${kind}-big`), Buffer.alloc(300 * 1024 + i, 0x7b)]);

    const errors = await errorsLoggedDuring(async () => {
      for (let i = 0; i < messages.length; i += 200) {
        await Promise.all(messages.slice(i, i + 200).map(([t, p]) => raw.publishAsync(t, p, { qos: 1 })));
      }
      const seen = (h: Health) => h.mqtt.received + h.mqtt.oversized + h.mqtt.rateLimited;
      await until(async () => seen((await health()).body) - seen(healthBefore.body) >= messages.length, {
        what: `${messages.length} hostile messages taken in`,
        timeoutMs: 45_000,
      });
      // Refused reports are answered and audited asynchronously: wait until the audit log is still.
      let last = -1;
      await until(
        async () => {
          const n = (await svc.dataSource.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM audit_log`))[0].n;
          const still = n === last;
          last = n;
          return still;
        },
        { intervalMs: 300, what: 'the audit log to be still' },
      );
    });
    // Refused, not failed: no handler died on any of them (an unhandled error leaves a report unanswered, re-sent forever).
    expect(errors).toEqual([]);

    const after = (await health()).body;
    expect(after.status).toBe('ok');
    // All but the forgeries (50) and the oversized (3) are malformed; an empty payload on an availability
    // topic is how MQTT deletes a retained message, so it is taken as such, not counted as malformed.
    const retainedClears = messages.filter(([t, p]) => t.endsWith('/availability') && p.length === 0).length;
    expect(after.mqtt.malformed - healthBefore.body.mqtt.malformed).toBeGreaterThanOrEqual(messages.length - 53 - retainedClears);
    expect(after.mqtt.oversized - healthBefore.body.mqtt.oversized).toBe(3);
    expect(await counts()).toEqual(countsBefore);
    expect(await experiments()).toEqual(experimentsBefore);
    expect(await otherAudit()).toEqual(auditBefore);

    // Still at work: a real result from the right device is stored.
    const run = device.runs()[0];
    await device.publishEvent({ type: 'result', experimentId: run.experimentId, values: { y: 7.5 } });
    expect((await device.waitForAck(run.experimentId))[0]).toMatchObject({ status: 'ok' });
    console.log(
      `hostile MQTT payloads through the service: ${messages.length} in ${Date.now() - started} ms (malformed counted: ${after.mqtt.malformed - healthBefore.body.mqtt.malformed})`,
    );
  });

  it('refuses hostile REST bodies and path parameters with 4xx and error.problems, and stores nothing', async () => {
    const started = Date.now();
    const [countsBefore, batchesBefore, auditBefore] = await Promise.all([counts(), batches(), otherAudit()]);
    const admin = TEST_TOKENS.admin.token;
    const send = async (method: string, path: string, body?: string, contentType = 'application/json') => {
      const res = await fetch(`${svc.httpUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${admin}`, ...(body !== undefined ? { 'content-type': contentType } : {}) },
        body,
      });
      const text = await res.text();
      let parsed: ErrorBody | undefined;
      try {
        parsed = JSON.parse(text) as ErrorBody;
      } catch {
        parsed = undefined;
      }
      return { status: res.status, text, body: parsed };
    };
    const refusals: string[] = [];
    const expectRefused = (what: string, r: { status: number; text: string; body?: ErrorBody }) => {
      const e = r.body?.error;
      const problems = e?.problems;
      const clear =
        r.status >= 400 &&
        r.status < 500 &&
        typeof e?.code === 'string' &&
        typeof e.message === 'string' &&
        e.message.length > 0 &&
        Array.isArray(problems) &&
        problems.every((p) => typeof p === 'string') &&
        (r.status === 404 || problems.length > 0) &&
        r.text.length < 100_000;
      if (!clear) refusals.push(`${what}: ${r.status} ${r.text.slice(0, 300)}`);
    };

    for (const d of sample(
      hostileDefinition(JSON.parse(JSON.stringify(braninCampaign({ deviceKind: kind }))) as Parameters<typeof hostileDefinition>[0]),
      REST_DEFINITIONS,
    )) {
      expectRefused(`POST /api/campaigns (${d.name})`, await send('POST', '/api/campaigns', d.body));
    }
    expectRefused('oversized body', await send('POST', '/api/campaigns', JSON.stringify({ name: 'x'.repeat(1024 * 1024 + 10) })));
    const tooLarge = await send('POST', '/api/campaigns', JSON.stringify({ name: 'x'.repeat(1024 * 1024 + 10) }));
    expect(tooLarge.status).toBe(413);
    for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml', 'multipart/form-data; boundary=x']) {
      expectRefused(`POST /api/campaigns as ${contentType}`, await send('POST', '/api/campaigns', 'name=x&budget=1', contentType));
    }
    const batch = `/api/campaigns/${manualCampaignId}/batches/${proposedBatchId}`;
    for (const d of sample(hostileDecision(), REST_DECISIONS)) {
      const action = d.body.length % 2 ? 'approve' : 'reject';
      expectRefused(`POST ${action} (${d.name})`, await send('POST', `${batch}/${action}`, d.body));
    }
    const ids = sample(hostileId(), REST_PATHS);
    for (const [i, id] of ids.entries()) {
      // Which variant of a path: each path comes round once in PATH_KINDS ids, so the variant turns with the round.
      const k = Math.floor(i / PATH_KINDS);
      const paths: [string, string][] = [
        ['GET', `/api/campaigns/${id}`],
        ['GET', `/api/campaigns/${id}/audit`],
        ['POST', `/api/campaigns/${id}/${['pause', 'resume', 'cancel'][k % 3]}`],
        ['POST', `/api/campaigns/${manualCampaignId}/batches/${id}/${k % 2 ? 'approve' : 'reject'}`],
        ['POST', `/api/campaigns/${id}/batches/${proposedBatchId}/approve`],
        ['POST', `/api/experiments/${id}/${['abort', 'result'][k % 2]}`],
        ['GET', `/api/experiments/${id}/commands`],
        ['POST', `/api/devices/${id}/${['stop', 'resume'][k % 2]}`],
        ['GET', `/api/devices/${id}${['', '/commands'][k % 2]}`],
        ['GET', `/api/campaigns/${id}/${['candidates', 'definitions', 'model/optimum'][k % 3]}`],
        ['GET', `/api/candidate-lists/${id}`],
        ['POST', `/api/campaigns/${id}/${['predict', 'candidates/exclusions'][k % 2]}`],
      ];
      expect(paths).toHaveLength(PATH_KINDS);
      const [method, path] = paths[i % PATH_KINDS];
      expectRefused(`${method} ${path.slice(0, 120)}`, await send(method, path, method === 'POST' ? '{"by":"fuzz"}' : undefined));
    }
    expect(refusals).toEqual([]);
    expect((await health()).body.status).toBe('ok');
    expect(await counts()).toEqual(countsBefore);
    expect(await batches()).toEqual(batchesBefore);
    expect(await otherAudit()).toEqual(auditBefore);
    console.log(
      `hostile REST requests through the service: ${REST_DEFINITIONS} definitions, ${REST_DECISIONS} decisions, ${REST_PATHS} path parameters, 6 more in ${Date.now() - started} ms`,
    );
    void campaignId;
  });
});
