import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { testMqttUrl } from './support/database.js';
import { until } from './support/poll.js';
import { startRigProcess, type Child } from './support/processes.js';
import { braninCampaign, startTestService, type TestService } from './support/service.js';

/** A sample's value from Prometheus' text format: `name{labels} value`. */
function sample(text: string, name: string, labels = ''): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels ? `{${labels}}` : ''} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('observability: Prometheus metrics and JSON logs after a small closed loop', () => {
  const kind = `metrics-${randomUUID().slice(0, 8)}`;
  let svc: TestService;
  let rig: Child;
  const lines: string[] = [];

  beforeAll(async () => {
    // The service logs through process.stdout (Nest's ConsoleLogger): its lines are kept here (jest reports on stderr).
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      return true;
    });
    svc = await startTestService({ logFormat: 'json', logLevel: 'log', commandResendMs: 60_000 });
    // A result unacknowledged after a second is sent again, and so is a run command unaccepted after two; on a loaded
    // machine either can happen, and the copy is a duplicate the service rightly counts. This run waits a minute before
    // either, so that zero duplicates is the exact expectation.
    const rigArgs = { url: testMqttUrl(), id: `rig-${kind}`, kind, function: 'branin', 'latency-ms': 5, capacity: 3, seed: 2 };
    rig = startRigProcess({ ...rigArgs, 'resend-ms': 60_000 });
  });
  afterAll(async () => {
    await rig?.stop();
    await svc?.stop();
    jest.restoreAllMocks();
  });

  it('GET /metrics counts results, proposals and their latency, and shows queue depths, MQTT and database state', async () => {
    const budget = 6;
    const created = await svc.api<{ id: string }>('POST', '/api/campaigns', braninCampaign({ budget, batchSize: 3, deviceKind: kind }));
    expect(created.status).toBe(201);
    const id = created.body.id;
    await until(async () => (await svc.api<{ status: string }>('GET', `/api/campaigns/${id}`)).body.status === 'completed', {
      timeoutMs: 60_000,
      what: 'the campaign to complete',
    });

    // Public, as a scraper has no token.
    const res = await fetch(`${svc.httpUrl}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(sample(text, 'hakken_results_ingested_total')).toBe(budget);
    expect(sample(text, 'hakken_results_duplicate_total')).toBe(0);
    expect(sample(text, 'hakken_results_refused_total')).toBe(0);
    expect(sample(text, 'hakken_redispatches_total')).toBe(0);
    expect(sample(text, 'hakken_proposals_total')).toBe(budget);
    expect(sample(text, 'hakken_batches_proposed_total')).toBe(2);
    expect(sample(text, 'hakken_proposal_duration_seconds_count')).toBe(2);
    expect(sample(text, 'hakken_proposal_duration_seconds_sum')).toBeGreaterThanOrEqual(0);
    expect(sample(text, 'hakken_mqtt_messages_received_total')).toBeGreaterThanOrEqual(2 * budget);
    expect(sample(text, 'hakken_mqtt_messages_dropped_total', 'reason="malformed"')).toBe(0);
    expect(sample(text, 'hakken_mqtt_connected')).toBe(1);
    expect(sample(text, 'hakken_database_up')).toBe(1);
    // Every unfinished status has its depth, zero once the campaign is done.
    for (const status of ['proposed', 'queued', 'dispatched', 'running'])
      expect(sample(text, 'hakken_experiments', `status="${status}"`)).toBe(0);
    // And the process' own (prom-client's defaults).
    expect(sample(text, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
  });

  it('with LOG_FORMAT=json, a log line is one JSON object with the campaign and device ids as fields', () => {
    const records = lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    const proposed = records.find((r) => r.context === 'proposer' && /batch \d+ of 3 proposed/.test(String(r.message)));
    expect(proposed).toMatchObject({ level: 'log', campaignId: expect.stringMatching(/^[0-9a-f-]{36}$/), batchId: expect.any(String) });
    const device = records.find((r) => r.deviceId === `rig-${kind}`);
    expect(device).toMatchObject({ context: 'devices', message: expect.stringContaining(`device rig-${kind} is online`) });
    const completed = records.find((r) => /completed: /.test(String(r.message)));
    expect(completed?.campaignId).toBe(proposed?.campaignId);
  });
});
