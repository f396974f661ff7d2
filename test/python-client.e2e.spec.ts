import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import mqtt, { type MqttClient } from 'mqtt';
import { parseMessage, parseTopic, TOPIC_ROOT } from '#protocol';
import { testMqttUrl } from './support/database.js';
import { until } from './support/poll.js';
import { PythonChild, requirePython } from './support/python.js';
import { hostPort, startProxy, type TcpProxy } from './support/tcp-proxy.js';
import { braninCampaign, startTestService, TEST_TOKENS, type TestService } from './support/service.js';

const branin = (x1: number, x2: number) =>
  (x2 - (5.1 / (4 * Math.PI ** 2)) * x1 ** 2 + (5 / Math.PI) * x1 - 6) ** 2 + 10 * (1 - 1 / (8 * Math.PI)) * Math.cos(x1) + 10;

interface Summary {
  id: string;
  status: string;
  stopReason: string;
  approvedBatches: string[];
  results: Record<string, number | string | null>[];
}

interface Experiment {
  id: string;
  status: string;
  deviceId: string;
  attempt: number;
  params: { x1: number; x2: number };
  objective: number;
}

describe('Python: a rig built with clients/python, and a campaign driven to its budget by the Python REST client', () => {
  const kind = `py-branin-${Math.random().toString(36).slice(2, 8)}`;
  const deviceId = `py-${kind}`;
  let svc: TestService;
  let rig: PythonChild;
  let dir: string;
  let wire: MqttClient;
  /** The rig reaches the broker through it, so a test can cut its connection. */
  let proxy: TcpProxy;
  /** Every message the Python rig published, as the service's own schemas (libs/protocol) read it. */
  const published: { kind: string; type?: string; ok: boolean; error?: string }[] = [];

  beforeAll(async () => {
    requirePython();
    svc = await startTestService();
    dir = await mkdtemp(join(tmpdir(), 'hakken-python-'));
    wire = await mqtt.connectAsync(testMqttUrl(), { clientId: `python-wire-${kind}`, clean: true });
    wire.on('message', (topic, payload) => {
      const t = parseTopic(topic);
      if (!t || t.kind === 'commands') return;
      const parsed = parseMessage(t.kind, payload);
      const type =
        parsed.ok && 'type' in parsed.value ? parsed.value.type : parsed.ok && 'status' in parsed.value ? parsed.value.status : undefined;
      published.push({ kind: t.kind, type, ok: parsed.ok, error: parsed.ok ? undefined : parsed.error });
    });
    await wire.subscribeAsync(`${TOPIC_ROOT}/devices/${deviceId}/#`, { qos: 1 });
    proxy = await startProxy(0, hostPort(testMqttUrl(), 1883));
    rig = new PythonChild('clients/python/examples/branin_rig.py', [
      '--url',
      `mqtt://127.0.0.1:${proxy.port}`,
      '--id',
      deviceId,
      '--kind',
      kind,
      '--capacity',
      '2',
    ]);
    await until(
      async () =>
        (await svc.api<{ id: string; status: string }[]>('GET', '/api/devices')).body.find(
          (d) => d.id === deviceId && d.status === 'online',
        ),
      {
        timeoutMs: 30_000,
        what: `the Python rig online:\n${rig.output}`,
      },
    );
  });

  /** Runs examples/run_campaign.py on a definition file; its last line is the JSON summary. */
  const runCampaign = async (definition: string, csvFile?: string): Promise<Summary> => {
    const args = ['--url', svc.httpUrl, '--definition', definition, '--timeout', '90', ...(csvFile ? ['--csv', csvFile] : [])];
    const driver = new PythonChild('clients/python/examples/run_campaign.py', args, { HAKKEN_TOKEN: TEST_TOKENS.admin.token });
    const code = await driver.exited;
    if (code !== 0) throw new Error(`run_campaign.py exited with ${code}:\n${driver.output.slice(-3000)}`);
    return JSON.parse(driver.output.trim().split('\n').pop()!) as Summary;
  };

  afterAll(async () => {
    await rig?.stop();
    await wire?.endAsync(true);
    await proxy?.close();
    await svc?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('runs a manually approved campaign to its budget; results match Branin and the export', async () => {
    const budget = 8;
    const definition = join(dir, 'campaign.json');
    const csvFile = join(dir, 'results.csv');
    await writeFile(
      definition,
      JSON.stringify(braninCampaign({ name: 'python', budget, batchSize: 4, approval: 'manual', deviceKind: kind })),
    );
    const summary = await runCampaign(definition, csvFile);

    // The client approved each batch and watched the campaign to its budget.
    expect(summary.status).toBe('completed');
    expect(summary.stopReason).toMatch(/budget of 8/);
    expect(summary.approvedBatches).toHaveLength(budget / 4);

    // Through the API: every experiment ran once on the Python rig, which measured Branin at its point.
    const campaign = (await svc.api<{ experiments: Experiment[]; batches: { id: string }[] }>('GET', `/api/campaigns/${summary.id}`)).body;
    expect(campaign.experiments).toHaveLength(budget);
    for (const e of campaign.experiments) {
      expect(e.status).toBe('completed');
      expect(e.deviceId).toBe(deviceId);
      expect(e.attempt).toBe(1);
      expect(e.objective).toBeCloseTo(branin(e.params.x1, e.params.x2), 9);
    }
    expect(campaign.batches.map((b) => b.id)).toEqual(summary.approvedBatches);

    // The client's export (list of dicts and CSV file) holds the same results as the API.
    const byPoint = (x1: unknown, x2: unknown) => `${Number(x1).toFixed(9)},${Number(x2).toFixed(9)}`;
    const api = new Map(campaign.experiments.map((e) => [byPoint(e.params.x1, e.params.x2), e.objective]));
    expect(summary.results).toHaveLength(budget);
    for (const row of summary.results) expect(row.y).toBeCloseTo(api.get(byPoint(row.x1, row.x2))!, 9);
    const served = await fetch(`${svc.httpUrl}/api/campaigns/${summary.id}/results.csv`, {
      headers: { authorization: `Bearer ${TEST_TOKENS.viewer.token}` },
    });
    expect(await readFile(csvFile, 'utf8')).toBe(await served.text());
  });

  it('after a network cut the rig comes back online by itself and runs the next campaign', async () => {
    const announced = () => published.filter((m) => m.kind === 'availability' && m.type === 'online').length;
    const before = announced();
    proxy.cut(); // the broker sees the socket die and publishes the Last Will; paho reconnects
    await until(() => published.some((m) => m.kind === 'availability' && m.type === 'offline'), { what: 'the Last Will on the wire' });
    await until(() => announced() > before, { timeoutMs: 30_000, what: `the rig online again:\n${rig.output.slice(-2000)}` });
    const definition = join(dir, 'after-cut.json');
    await writeFile(definition, JSON.stringify(braninCampaign({ name: 'python after a cut', budget: 4, batchSize: 2, deviceKind: kind })));
    const summary = await runCampaign(definition);
    expect(summary.status).toBe('completed');
    expect(summary.approvedBatches).toEqual([]); // approval "auto": nothing waited for the client
    expect(summary.results).toHaveLength(4);
  });

  it('stopping the rig announces it offline', async () => {
    expect(await rig.stop()).toBe(0);
    await until(
      async () =>
        (await svc.api<{ id: string; status: string }[]>('GET', '/api/devices')).body.find(
          (d) => d.id === deviceId && d.status === 'offline',
        ),
      {
        what: 'the Python rig offline',
      },
    );
  });

  it('everything the rig published is valid protocol v1 for the service', async () => {
    await until(() => published.some((m) => m.kind === 'availability' && m.type === 'offline'), {
      what: 'the offline availability on the wire',
    });
    expect(published.filter((m) => !m.ok)).toEqual([]);
    const seen = new Set(published.map((m) => `${m.kind}:${m.type ?? ''}`));
    for (const kind of ['availability:online', 'heartbeat:', 'events:accepted', 'events:result']) expect(seen).toContain(kind);
  });
});
