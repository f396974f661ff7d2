import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { stderrLogger } from '#adapters-common';
import { loadConfig, startOrchestrator, type Orchestrator } from '#orchestrator';
import { parseFleetSpec, startFleet, type Fleet } from '#simulators';

/**
 * `npm run example -- <name>`: one of examples/<name> run whole on one
 * machine: the service on embedded defaults (as the demo), the example's
 * simulated devices (its fleet.json, on the service's broker) and its
 * campaign (campaign.json), created through the REST API. Progress is
 * printed; then everything keeps running until Ctrl-C, so that the console
 * can be opened and the results exported (`--exit`: stop once it is done).
 */
const EXAMPLES = resolve(import.meta.dirname, '../../../../examples');
const names = () =>
  readdirSync(EXAMPLES, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
const HELP = `usage: npm run example -- NAME [--exit]
  Runs examples/NAME: the service with embedded defaults, the example's simulated devices (fleet.json)
  and its campaign (campaign.json); then keeps them running until Ctrl-C.
  NAME: ${names().join(', ')}
  --exit   stop once the campaign is done (exit 0 when it completed)
  env: PORT (default a free one), HAKKEN_DATA_DIR (default .data/examples), DATABASE_URL and MQTT_URL`;

const { values: flags, positionals } = parseArgs({
  allowPositionals: true,
  options: { exit: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
});
const out = (line: string) => process.stdout.write(`${line}\n`);
const name = positionals[0];
if (flags.help || !name) {
  out(HELP);
  process.exit(flags.help ? 0 : 2);
}
if (!names().includes(name)) {
  process.stderr.write(`example: no example "${name}" (known: ${names().join(', ')})\n`);
  process.exit(2);
}
const read = (file: string): unknown => JSON.parse(readFileSync(join(EXAMPLES, name, file), 'utf8'));
const env: NodeJS.ProcessEnv = { PORT: '0', MQTT_PORT: '0', LOG_LEVEL: 'warn', HAKKEN_DATA_DIR: '.data/examples', ...process.env };
const token = `example-${randomBytes(18).toString('base64url')}`;

let orchestrator: Orchestrator | undefined;
let fleet: Fleet | undefined;
let stopping: Promise<never> | undefined;
const stop = (code: number): Promise<never> =>
  (stopping ??= (async () => {
    await fleet?.stop().catch(() => undefined);
    await orchestrator?.close();
    process.exit(code);
  })());
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void stop(0));

interface Campaign {
  id: string;
  name: string;
  status: string;
  stopReason: string | null;
  counts: Record<string, number>;
  best: { value: number; index: number } | null;
  /** Several objectives: the front and the hypervolume after each result. */
  pareto?: { front: unknown[]; hypervolume: { hypervolume: number }[] } | null;
}

let campaign: Campaign;
try {
  const config = loadConfig(env);
  config.tokens = [...config.tokens, { token, role: 'admin', name: 'example' }];
  orchestrator = await startOrchestrator(config);
  const spec = parseFleetSpec({ ...(read('fleet.json') as object), url: orchestrator.mqttUrl });
  fleet = await startFleet(spec, { logger: (id) => stderrLogger(id, 'warn') });
  out(
    `example ${name}: service on ${orchestrator.httpUrl}; devices ${fleet.members.map((m) => `${m.deviceId} (${m.simulator})`).join(', ')}`,
  );
  campaign = await api<Campaign>('POST', '/api/campaigns', read('campaign.json'));
  out(`campaign "${campaign.name}" (${campaign.id}) created`);
  out(`operator console: ${orchestrator.httpUrl}/console/ (admin token for this run: ${token})`);
  campaign = await follow(campaign.id);
} catch (e) {
  process.stderr.write(`example: ${e instanceof Error ? e.message : String(e)}\n`);
  await stop(1);
}
if (flags.exit) await stop(campaign!.status === 'completed' ? 0 : 1);
const base = orchestrator!.httpUrl;
out('');
out('The service and the devices keep running. Ctrl-C stops them.');
out(`  console:  ${base}/console/`);
out(`  results:  curl -H "Authorization: Bearer ${token}" ${base}/api/campaigns/${campaign!.id}/results.csv`);

async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${orchestrator!.httpUrl}${path}`, {
    method,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await res.json()) as T;
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** Prints each change of progress until the campaign stops running; returns it as it ended. */
async function follow(id: string): Promise<Campaign> {
  let last = '';
  for (;;) {
    const c = await api<Campaign>('GET', `/api/campaigns/${id}`);
    const done = (c.counts.completed ?? 0) + (c.counts.failed ?? 0);
    const line = `  ${done} done (${c.counts.failed ?? 0} failed), ${c.counts.running ?? 0} running, ${c.counts.queued ?? 0} queued, ${c.counts.proposed ?? 0} awaiting approval: ${progressOf(c)}`;
    if (line !== last) out((last = line));
    if (c.status !== 'running') {
      out(`campaign ${c.status}: ${c.stopReason ?? ''}`);
      return c;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The best value so far, or with several objectives the front's size and hypervolume. */
function progressOf(c: Campaign): string {
  if (c.pareto) {
    const hv = c.pareto.hypervolume.at(-1)?.hypervolume;
    return hv === undefined ? 'no result yet' : `${c.pareto.front.length} results on the Pareto front, hypervolume ${hv.toPrecision(5)}`;
  }
  return c.best ? `best ${c.best.value.toFixed(4)} at experiment ${c.best.index}` : 'no result yet';
}
