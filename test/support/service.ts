import { randomBytes } from 'node:crypto';
import type { Role } from '../../apps/orchestrator/src/common/roles.js';
import { startOrchestrator, type Orchestrator } from '../../apps/orchestrator/src/bootstrap.js';
import { loadConfig, type AppConfig, type TokenEntry } from '../../apps/orchestrator/src/common/config.js';
import { freshDatabase, testMqttUrl, type TestDatabase } from './database.js';
import { until } from './poll.js';

/** One token per role, fresh for each test process (names: vera the viewer, ada the operator, root the admin). */
export const TEST_TOKENS: Record<Role, TokenEntry> = {
  viewer: { token: `viewer-${randomBytes(12).toString('hex')}`, role: 'viewer', name: 'vera' },
  operator: { token: `operator-${randomBytes(12).toString('hex')}`, role: 'operator', name: 'ada' },
  admin: { token: `admin-${randomBytes(12).toString('hex')}`, role: 'admin', name: 'root' },
};

/** The same tokens as HAKKEN_TOKENS, for a service started as a child process. */
export const TEST_TOKENS_ENV = Object.values(TEST_TOKENS)
  .map((t) => `${t.token}:${t.role}:${t.name}`)
  .join(',');

/** Whose token a request carries: a role's test token (default admin), a given token, or none. */
export interface RequestOptions {
  as?: Role | 'anonymous';
  token?: string;
}

export interface TestService extends Orchestrator {
  database: TestDatabase;
  /** JSON request against the REST API with the admin token unless told otherwise; returns status and body. */
  api<T = unknown>(method: string, path: string, body?: unknown, options?: RequestOptions): Promise<{ status: number; body: T }>;
  stop(): Promise<void>;
}

/**
 * The orchestrator in this process, on a fresh database and the test broker; or, given `database`,
 * on that one (a restart: stop the earlier service with close(), which keeps its database).
 */
export async function startTestService(overrides: Partial<AppConfig> = {}, existing?: TestDatabase): Promise<TestService> {
  const database = existing ?? (await freshDatabase());
  const config: AppConfig = {
    ...loadConfig({}),
    databaseUrl: database.url,
    mqttUrl: testMqttUrl(),
    httpPort: 0,
    loopIntervalMs: 50,
    commandResendMs: 300,
    // Failover tests kill devices; the grace for a device back after an outage has its own test.
    deviceOfflineGraceMs: 300,
    logLevel: 'error',
    instanceId: `test-${Math.random().toString(36).slice(2, 8)}`,
    tokens: Object.values(TEST_TOKENS),
    ...overrides,
  };
  const orchestrator = await startOrchestrator(config);
  return {
    ...orchestrator,
    database,
    api: (method, path, body, options) => request(orchestrator.httpUrl, method, path, body, options),
    stop: async () => {
      await orchestrator.close();
      await database.drop();
    },
  };
}

export async function request<T>(
  baseUrl: string,
  method: string,
  path: string,
  body?: unknown,
  options: RequestOptions = {},
): Promise<{ status: number; body: T }> {
  const token = options.token ?? (options.as === 'anonymous' ? undefined : TEST_TOKENS[options.as ?? 'admin'].token);
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
}

/** A campaign definition for tests; kind is unique per test so stale devices on a shared broker never match. */
export function braninCampaign(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'test: Branin',
    parameters: [
      { name: 'x1', type: 'continuous', low: -5, high: 10 },
      { name: 'x2', type: 'continuous', low: 0, high: 15 },
    ],
    objective: { name: 'y', direction: 'minimize' },
    budget: 10,
    batchSize: 5,
    approval: 'auto',
    seed: 3,
    ...overrides,
  };
}

/** The service's error answer (400, 403, ...): a code, a message, and every problem it found. */
export interface ErrorBody {
  error: { code: string; message: string; problems: string[] };
}

export interface ProposedExperiment {
  id: string;
  index: number;
  status: string;
  batchId: string;
  params: Record<string, number | string>;
}

/** Waits for a campaign's first batch and returns it with its experiments. */
export async function firstBatch(svc: TestService, campaignId: string): Promise<{ id: string; experiments: ProposedExperiment[] }> {
  type Campaign = { batches: { id: string }[]; experiments: ProposedExperiment[] };
  const get = async () => (await svc.api<Campaign>('GET', `/api/campaigns/${campaignId}`)).body;
  const batch = await until(async () => (await get()).batches[0], { what: 'a proposal' });
  return { id: batch.id, experiments: (await get()).experiments.filter((e) => e.batchId === batch.id) };
}
