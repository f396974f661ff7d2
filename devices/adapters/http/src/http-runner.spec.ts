import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RunCommand } from '#protocol';
import { AbortFailed, DeviceClient, RunAborted, type RunContext } from '#device-sdk';
import { DeviceHarness, waitFor } from '#device-sdk/testing';
import { httpRunHandler, runHttp, type HttpRunnerOptions } from './http-runner.js';

/** A small rig API: POST /run answers at once or starts an asynchronous run polled at /runs/:id. */
class FakeRig {
  readonly requests: Array<{ method: string; url: string; headers: IncomingMessage['headers']; body: string }> = [];
  private readonly runs = new Map<string, { polls: number; fail: boolean; long?: boolean; aborted?: boolean }>();
  private server: Server | undefined;
  base = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let body = '';
    for await (const chunk of req) body += String(chunk);
    this.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
    const send = (status: number, json: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(json));
    };
    const status = /^\/runs\/(.+)$/.exec(req.url ?? '');
    if (req.method === 'GET' && status) {
      const run = this.runs.get(status[1]);
      if (!run) return send(404, { error: 'no such run' });
      run.polls++;
      if (run.long && !run.aborted) return send(200, { status: 'running' });
      if (run.polls < 3) return send(200, { status: 'running', progress: run.polls / 3, message: `step ${run.polls}` });
      return send(
        200,
        run.fail
          ? { status: 'failed', reason: 'column overpressure' }
          : { status: 'done', values: { area: 1234.5 }, metadata: { polls: run.polls } },
      );
    }
    const abort = /^\/runs\/([^/]+)\/abort$/.exec(req.url ?? '');
    if (req.method === 'POST' && abort) {
      const run = this.runs.get(abort[1]);
      if (!run) return send(404, { error: 'no such run' });
      if (abort[1] === 'r-broken' || JSON.parse(body).experimentId === 'exp-broken') return send(500, { error: 'abort relay stuck' });
      run.aborted = true;
      return send(200, { aborted: abort[1] });
    }
    if (req.method !== 'POST' || req.url !== '/run') return send(404, { error: 'not found' });
    const params = JSON.parse(body) as Record<string, number | string>;
    switch (params.mode) {
      case 'sync':
        return send(200, { area: Number(params.flow) * 100 });
      case 'invalid':
        return send(422, { error: { message: 'flow must be below 2.5 mL/min' } });
      case 'crash':
        return send(503, { error: 'pump controller offline' });
      case 'hang':
        return; // never answers
      case 'garbage':
        res.writeHead(200, { 'content-type': 'text/plain' });
        return void res.end('OK');
      case 'async':
      case 'async-long':
      case 'async-fail': {
        const id = `r${this.runs.size + 1}`;
        this.runs.set(id, { polls: 0, fail: params.mode === 'async-fail', long: params.mode === 'async-long' });
        return send(202, { id, status: 'queued' }, params.location === 'yes' ? { location: `/runs/${id}` } : {});
      }
      default:
        return send(400, { error: `unknown mode ${String(params.mode)}` });
    }
  }
}

/** A port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function command(params: RunCommand['params']): RunCommand {
  return { v: 1, type: 'run', experimentId: 'exp-7', campaignId: 'c-1', attempt: 3, params, issuedAt: new Date().toISOString() };
}

function context(): RunContext & { progressed: number[] } {
  const progressed: number[] = [];
  return {
    experimentId: 'exp-7',
    attempt: 3,
    signal: new AbortController().signal,
    progress: (f) => progressed.push(f),
    log: () => undefined,
    progressed,
  };
}

describe('HTTP adapter against a local rig server', () => {
  const rig = new FakeRig();
  const opts = (extra: Partial<HttpRunnerOptions> = {}): HttpRunnerOptions => ({
    runUrl: `${rig.base}/run`,
    statusUrl: `${rig.base}/runs/{id}`,
    timeoutMs: 5000,
    pollIntervalMs: 20,
    ...extra,
  });

  beforeAll(async () => {
    await rig.start();
  });
  afterAll(async () => {
    await rig.close();
  });

  it('calls the declared abort route when the service aborts the run, and fails the abort when the rig refuses it', async () => {
    const aborting = (reason: unknown) => {
      const controller = new AbortController();
      return { ctx: { ...context(), signal: controller.signal }, abort: () => controller.abort(reason) };
    };
    const { ctx, abort } = aborting(new RunAborted('aborted by the service: wrong vial', 'abort'));
    const run = runHttp(opts({ abortUrl: `${rig.base}/runs/{id}/abort` }), command({ mode: 'async-long' }), ctx);
    await waitFor(() => rig.requests.some((r) => r.method === 'GET' && /^\/runs\/r\d+$/.test(r.url)), 'a status poll');
    abort();
    await expect(run).rejects.toThrow(/^aborted: /);
    const call = rig.requests.find((r) => r.method === 'POST' && r.url.endsWith('/abort'));
    expect(call?.headers).toMatchObject({ 'x-hakken-experiment-id': 'exp-7', 'x-hakken-attempt': '3' });
    expect(JSON.parse(call?.body ?? '')).toMatchObject({ experimentId: 'exp-7', id: expect.stringMatching(/^r\d+$/) });

    const refused = aborting(new RunAborted('the device was stopped: leak', 'stop'));
    const broken = { ...command({ mode: 'async-long' }), experimentId: 'exp-broken' };
    const second = runHttp(opts({ abortUrl: `${rig.base}/runs/{id}/abort` }), broken, refused.ctx);
    const polls = rig.requests.length;
    await waitFor(() => rig.requests.length > polls + 1, 'the second run polled');
    refused.abort();
    await expect(second).rejects.toBeInstanceOf(AbortFailed);
    await expect(second).rejects.toThrow(/\(abort\) answered 500/);
  });

  it('POSTs the params as JSON with the ids in headers and reads the result', async () => {
    expect(await runHttp(opts({ headers: { authorization: 'Bearer t' } }), command({ mode: 'sync', flow: 1.5 }), context())).toEqual({
      values: { area: 150 },
    });
    const req = rig.requests.at(-1);
    expect(JSON.parse(req?.body ?? '')).toEqual({ mode: 'sync', flow: 1.5 });
    expect(req?.headers).toMatchObject({
      'content-type': 'application/json',
      'x-hakken-experiment-id': 'exp-7',
      'x-hakken-attempt': '3',
      'x-hakken-campaign-id': 'c-1',
      authorization: 'Bearer t',
    });
  });

  it('polls the status URL of a long run, reporting progress, via the template or the Location header', async () => {
    const ctx = context();
    expect(await runHttp(opts(), command({ mode: 'async' }), ctx)).toEqual({ values: { area: 1234.5 }, metadata: { polls: 3 } });
    expect(ctx.progressed).toEqual([1 / 3, 2 / 3]);
    expect(await runHttp(opts({ statusUrl: undefined }), command({ mode: 'async', location: 'yes' }), context())).toMatchObject({
      values: { area: 1234.5 },
    });
    expect(await runHttp(opts(), command({ mode: 'async-fail' }), context())).toEqual({
      failed: { scope: 'experiment', reason: 'the rig reported failure: column overpressure' },
    });
  });

  it('4xx is an experiment failure with the rig’s reason', async () => {
    expect(await runHttp(opts(), command({ mode: 'invalid' }), context())).toEqual({
      failed: { scope: 'experiment', reason: `POST ${rig.base}/run answered 422: flow must be below 2.5 mL/min` },
    });
  });

  it('5xx, a network error, a timeout and a non-result answer are device failures', async () => {
    expect(await runHttp(opts(), command({ mode: 'crash' }), context())).toEqual({
      failed: { scope: 'device', reason: `POST ${rig.base}/run answered 503: pump controller offline` },
    });
    const closed = await closedPort();
    expect(await runHttp(opts({ runUrl: `http://127.0.0.1:${closed}/run` }), command({ mode: 'sync' }), context())).toEqual({
      failed: { scope: 'device', reason: `POST http://127.0.0.1:${closed}/run failed: ECONNREFUSED` },
    });
    expect(await runHttp(opts({ timeoutMs: 300 }), command({ mode: 'hang' }), context())).toEqual({
      failed: { scope: 'device', reason: `timed out after 0.3 s (POST ${rig.base}/run)` },
    });
    expect(await runHttp(opts(), command({ mode: 'garbage' }), context())).toEqual({
      failed: { scope: 'device', reason: 'the rig\'s answer is not a result: expected a JSON object, got "OK"' },
    });
    expect(await runHttp(opts({ statusUrl: undefined }), command({ mode: 'async' }), context())).toMatchObject({
      failed: { scope: 'device', reason: expect.stringContaining('no status URL') },
    });
  });

  it('refuses an invalid URL or timeout', () => {
    expect(() => httpRunHandler({ runUrl: 'not a url', timeoutMs: 1 })).toThrow(/Invalid URL/);
    expect(() => httpRunHandler({ runUrl: 'http://x/', timeoutMs: -1 })).toThrow(/timeoutMs must be positive/);
  });

  it('runs experiments over MQTT through a DeviceClient', async () => {
    const h = await DeviceHarness.start('http');
    try {
      const deviceId = h.nextId();
      const device = h.track(
        deviceId,
        new DeviceClient({ url: h.url, deviceId, kind: 'hplc', resendIntervalMs: 200, run: httpRunHandler(opts()) }),
      );
      await device.start();
      await h.service.sendRun(deviceId, 'm-sync', { mode: 'sync', flow: 2 });
      await h.service.sendRun(deviceId, 'm-async', { mode: 'async' });
      await h.service.sendRun(deviceId, 'm-crash', { mode: 'crash' });
      await waitFor(() => device.stats.acksReceived === 3, 'three reports');
      expect(h.service.eventsOf('m-sync', 'result')[0]).toMatchObject({ values: { area: 200 } });
      expect(h.service.eventsOf('m-async', 'progress')).toHaveLength(2);
      expect(h.service.eventsOf('m-crash', 'failed')[0]).toMatchObject({ scope: 'device' });
    } finally {
      await h.close();
    }
  });
});
