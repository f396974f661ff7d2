import { until } from '../../support/poll.js';
import { freePort, startServiceProcess, type Child } from '../../support/processes.js';
import { request, TEST_TOKENS_ENV } from '../../support/service.js';

/**
 * The service as a child process on the suite's database and broker. kill()
 * is a SIGKILL; an exit the suite did not cause is recorded as a crash (a
 * finding: the service must ride out database and broker outages).
 */
export class ServiceProcess {
  private child: Child | undefined;
  private killing = false;
  readonly crashes: string[] = [];
  starts = 0;

  private constructor(
    private readonly env: NodeJS.ProcessEnv,
    readonly apiUrl: string,
  ) {}

  /** `extra`: more environment (a scenario's own settings, e.g. CAMPAIGN_STALL_AFTER_MS). */
  static async start(databaseUrl: string, mqttUrl: string, extra: NodeJS.ProcessEnv = {}): Promise<ServiceProcess> {
    const port = await freePort();
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      PORT: String(port),
      DATABASE_URL: databaseUrl,
      MQTT_URL: mqttUrl,
      LOOP_INTERVAL_MS: '100',
      COMMAND_RESEND_MS: '500',
      LOG_LEVEL: 'warn',
      // The same replica across restarts: its MQTT session and its campaign leases.
      HAKKEN_INSTANCE_ID: `faults-${port}`,
      HAKKEN_TOKENS: TEST_TOKENS_ENV,
      ...extra,
    };
    const service = new ServiceProcess(env, `http://127.0.0.1:${port}`);
    await service.launch();
    return service;
  }

  private async launch(): Promise<void> {
    const child = startServiceProcess(this.env);
    this.child = child;
    this.killing = false;
    this.starts++;
    void child.exited.then((code) => {
      if (!this.killing && this.child === child) this.crashes.push(`exit ${code}; last output:\n${child.output.slice(-4000)}`);
    });
    await until(
      async () => {
        if (this.crashes.length > 0 && this.child === child && !this.killing)
          throw new Error(`the service exited while starting: ${this.crashes.at(-1)}`);
        return (await this.healthy()) || undefined;
      },
      { timeoutMs: 60_000, intervalMs: 100, what: `the service to answer /api/health\n${child.output.slice(-3000)}` },
    );
  }

  /**
   * SIGKILL (or SIGTERM), then a new process on the same database, broker and port; `whileDown` runs
   * between the two (a rig restarted while the service is away). A SIGTERM must end the process with
   * exit 0 (a graceful shutdown): any other code is recorded as a crash.
   */
  async killAndRestart(signal: 'SIGKILL' | 'SIGTERM' = 'SIGKILL', whileDown?: () => Promise<void>): Promise<void> {
    const child = this.child!;
    this.killing = true;
    child.kill(signal);
    const code = await child.exited;
    if (signal === 'SIGTERM' && code !== 0) this.crashes.push(`exit ${code} on SIGTERM; last output:\n${child.output.slice(-4000)}`);
    await whileDown?.();
    await this.launch();
  }

  /** True when the REST API answers and the database is reachable. */
  async healthy(): Promise<boolean> {
    try {
      const r = await fetch(`${this.apiUrl}/api/health`, { signal: AbortSignal.timeout(2000) });
      return r.status === 200;
    } catch {
      return false;
    }
  }

  async waitHealthy(what: string): Promise<void> {
    await until(() => this.healthy(), { timeoutMs: 60_000, intervalMs: 100, what: `${what}\n${this.output().slice(-3000)}` });
  }

  /** A REST call that the caller retries through outages; undefined when the service could not answer. */
  async api<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T } | undefined> {
    try {
      return await request<T>(this.apiUrl, method, path, body);
    } catch {
      return undefined;
    }
  }

  output(): string {
    return this.child?.output ?? '';
  }

  async stop(): Promise<void> {
    this.killing = true;
    await this.child?.stop();
  }
}
