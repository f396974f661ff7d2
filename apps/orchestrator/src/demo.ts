import { randomBytes } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { startSimRig } from '#simulators';
import { getBenchmark } from '#simulators';
import { startOrchestrator } from './bootstrap.js';
import { loadConfig } from './common/config.js';
import type { StatusCounts } from './experiments/experiment-lifecycle.js';

/**
 * `npm run demo`: the whole closed loop on one machine with nothing installed:
 * embedded PostgreSQL, in-process broker, the service, a simulated rig
 * evaluating Branin, and a 30-experiment campaign run to its budget.
 */
const env: NodeJS.ProcessEnv = { PORT: '0', MQTT_PORT: '0', LOG_LEVEL: 'warn', HAKKEN_DATA_DIR: '.data/demo', ...process.env };
// The demo drives the API with an admin token of its own, made for this run.
const demoToken = `demo-${randomBytes(18).toString('base64url')}`;
const config = loadConfig(env);
config.tokens = [...config.tokens, { token: demoToken, role: 'admin', name: 'demo' }];
const out = (line: string) => process.stdout.write(`${line}\n`);
const log = new Logger('demo');
const budget = Number(env.DEMO_BUDGET ?? 30);
const started = Date.now();

const orchestrator = await startOrchestrator(config);
out(
  `hakken demo: service on ${orchestrator.httpUrl}, broker ${orchestrator.mqttUrl}, database ${config.databaseUrl ? 'from DATABASE_URL' : `embedded in ${config.dataDir}`}`,
);
const branin = getBenchmark('branin');
const rig = await startSimRig({
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

const api = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
  const res = await fetch(`${orchestrator.httpUrl}${path}`, {
    method,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${demoToken}` },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await res.json()) as T;
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
};

interface Summary {
  id: string;
  status: string;
  stopReason: string | null;
  counts: StatusCounts;
  best: { value: number; params: Record<string, number>; index: number } | null;
}

let exitCode = 0;
try {
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
} catch (e) {
  log.error(e instanceof Error ? e.message : String(e));
  exitCode = 1;
} finally {
  await rig.stop();
  await orchestrator.close();
}
process.exit(exitCode);
