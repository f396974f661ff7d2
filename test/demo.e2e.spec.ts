import { Child, serviceStores } from './support/processes.js';

/**
 * `npm run demo`: a campaign on a simulated rig, then the service, broker and
 * rig stay up for the console until Ctrl-C; `--exit` stops after the campaign
 * (as CI runs it). Against the suite's stores: embedded ones in a fresh data
 * folder, or the real PostgreSQL and broker in CI's second pass.
 */
describe('the demo', () => {
  const cleanups: (() => Promise<void>)[] = [];
  const children: Child[] = [];
  afterEach(async () => {
    for (const c of children.splice(0)) await c.stop();
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function demo(args: string[]): Promise<Child> {
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, DEMO_BUDGET: '10' };
    await serviceStores(env, cleanups, 'hakken-demo');
    const child = new Child('dist/apps/demo/src/main.js', args, env);
    children.push(child);
    return child;
  }

  it('with --exit runs its campaign to the budget and exits 0', async () => {
    const child = await demo(['--exit']);
    expect(await child.exited).toBe(0);
    expect(child.output).toMatch(/10\/10 done/);
    expect(child.output).toMatch(/campaign completed: budget/);
  }, 120_000);

  it('keeps the console reachable with its token after the campaign, and stops on Ctrl-C', async () => {
    const child = await demo([]);
    await child.waitFor(/Press Ctrl-C to stop/, 120_000);
    const [, consoleUrl] = child.output.match(/console: +(\S+)/)!;
    const [, token] = child.output.match(/token: +(\S+)/)!;
    expect((await fetch(consoleUrl)).status).toBe(200);
    const campaigns = await fetch(consoleUrl.replace(/\/console\/$/, '/api/campaigns'), { headers: { authorization: `Bearer ${token}` } });
    expect(campaigns.status).toBe(200);
    expect(JSON.stringify(await campaigns.json())).toContain('demo: Branin');

    child.kill('SIGINT');
    expect(await child.exited).toBe(0);
    await expect(fetch(consoleUrl)).rejects.toThrow();
  }, 150_000);
});
