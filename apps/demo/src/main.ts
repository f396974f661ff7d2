import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { loadConfig, startOrchestrator, type Orchestrator } from '#orchestrator';
import { getBenchmark, startSimRig, type SimRig } from '#simulators';

/**
 * `npm run demo`: the whole closed loop on one machine with nothing installed:
 * embedded PostgreSQL, in-process broker, the service, a simulated rig
 * evaluating Branin, and a 30-experiment campaign (DEMO_BUDGET) run to its
 * budget. Then the service, broker and rig keep running, so that the console
 * can be opened, until Ctrl-C; `--exit` stops once the campaign is done (for
 * tests and CI). It lives outside the service's tree because it composes the
 * service with the simulators, which the service itself never imports.
 */
const HELP = `usage: npm run demo [-- --exit]
  Runs a Branin campaign on a simulated rig against the service with embedded defaults,
  then keeps the service, broker and rig running (Ctrl-C stops them).
  --exit   stop once the campaign is done (exit 0 when it reached its budget)
  env: DEMO_BUDGET (experiments, default 30), PORT (default a free one), HAKKEN_DATA_DIR (default .data/demo),
       DATABASE_URL and MQTT_URL (use those instead of the embedded database and broker)`;

const { values: flags } = parseArgs({ options: { exit: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
const out = (line: string) => process.stdout.write(`${line}\n`);
if (flags.help) {
  out(HELP);
  process.exit(0);
}
const env: NodeJS.ProcessEnv = { PORT: '0', MQTT_PORT: '0', LOG_LEVEL: 'warn', HAKKEN_DATA_DIR: '.data/demo', ...process.env };
// The demo drives the API with an admin token of its own, made for this run.
const demoToken = `demo-${randomBytes(18).toString('base64url')}`;
const budget = Number(env.DEMO_BUDGET ?? 30);
const started = Date.now();

let orchestrator: Orchestrator | undefined;
let rig: SimRig | undefined;
let stopping: Promise<never> | undefined;
/** Stops the rig, then the service (and its embedded broker and database), and exits. */
const stop = (code: number): Promise<never> =>
  (stopping ??= (async () => {
    await rig?.stop().catch(() => undefined);
    await orchestrator?.close();
    process.exit(code);
  })());
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void stop(0));

/** One line saying why, no stack trace (a start that cannot succeed says what to do itself). */
const fail = async (e: unknown): Promise<never> => {
  process.stderr.write(`demo: ${e instanceof Error ? e.message : String(e)}\n`);
  return stop(1);
};

try {
  const config = loadConfig(env);
  config.tokens = [...config.tokens, { token: demoToken, role: 'admin', name: 'demo' }];
  orchestrator = await startOrchestrator(config);
  out(
    `hakken demo: service on ${orchestrator.httpUrl}, broker ${orchestrator.mqttUrl}, database ${config.databaseUrl ? 'from DATABASE_URL' : `embedded in ${config.dataDir}`}`,
  );
  rig = await startSimRig({
    url: orchestrator.mqttUrl,
    deviceId: 'demo-branin-rig',
    functionName: 'branin',
    noise: 0.01,
    latencyMs: 40,
    jitterMs: 40,
    failureRate: 0,
    deviceFailureRate: 0,
    capacity: 2,
    objective: 'y',
    seed: 7,
  });
  out(`operator console: ${orchestrator.httpUrl}/console/ (admin token for this run: ${demoToken})`);
  out('simulated rig "demo-branin-rig" online (Branin, noise sd 0.01, 40-80 ms per experiment, 2 at a time)');
  await runCampaign(orchestrator.httpUrl);
} catch (e) {
  await fail(e);
}
if (flags.exit) await stop(0);
out('');
out('The service, broker and rig keep running: open the console, or call the API with the token.');
out(`  console:  ${orchestrator!.httpUrl}/console/`);
out(`  token:    ${demoToken}`);
out(`  API:      curl -H "Authorization: Bearer ${demoToken}" ${orchestrator!.httpUrl}/api/campaigns`);
out('Press Ctrl-C to stop.');

interface Summary {
  id: string;
  status: string;
  stopReason: string | null;
  counts: Record<string, number>;
  best: { value: number; params: Record<string, number>; index: number } | null;
}

async function runCampaign(httpUrl: string): Promise<void> {
  const api = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${httpUrl}${path}`, {
      method,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${demoToken}` },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = (await res.json()) as T;
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
  const branin = getBenchmark('branin');
  const campaign = await api<Summary>('POST', '/api/campaigns', {
    name: 'demo: Branin',
    parameters: branin.parameters,
    objective: { name: 'y', direction: 'minimize' },
    budget,
    batchSize: 5,
    approval: 'auto',
    strategy: { kind: 'default' },
    seed: 1,
    deviceKind: 'branin-simulator',
  });
  out(
    `campaign ${campaign.id}: ${budget} experiments in batches of 5, minimising Branin with the default strategy (Bayesian optimisation after a Sobol start)`,
  );
  let last = -1;
  for (;;) {
    const c = await api<Summary>('GET', `/api/campaigns/${campaign.id}`);
    const done = (c.counts.completed ?? 0) + (c.counts.failed ?? 0);
    if (done !== last) {
      last = done;
      const best = c.best ? `best y = ${c.best.value.toFixed(4)} at experiment ${c.best.index}` : 'no result yet';
      out(`  ${String(done).padStart(3)}/${budget} done, ${c.counts.running ?? 0} running, ${c.counts.queued ?? 0} queued: ${best}`);
    }
    if (c.status !== 'running') {
      out(`campaign ${c.status}: ${c.stopReason ?? ''}`);
      if (c.best) {
        const params = Object.entries(c.best.params)
          .map(([k, v]) => `${k} = ${v.toFixed(4)}`)
          .join(', ');
        out(
          `best value found: y = ${c.best.value.toFixed(6)} at ${params} (Branin's minimum is ${branin.optimum.toFixed(6)}; measurements carry noise of sd 0.01)`,
        );
      }
      break;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  out(`finished in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
