import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunCommand } from '#protocol';
import { DeviceClient, type RunContext } from '#device-sdk';
import { DeviceHarness, waitFor } from '#device-sdk/testing';
import { cliRunHandler, runCommandLine, type CliRunnerOptions } from './cli-runner.js';

const example = fileURLToPath(new URL('../examples/my-rig.sh', import.meta.url));

function command(params: RunCommand['params'], experimentId = 'e1'): RunCommand {
  return { v: 1, type: 'run', experimentId, campaignId: 'c1', attempt: 2, params, issuedAt: new Date().toISOString() };
}

function context(controller = new AbortController()): RunContext & { progressed: Array<[number, string | undefined]> } {
  const progressed: Array<[number, string | undefined]> = [];
  return {
    experimentId: 'e1',
    attempt: 2,
    signal: controller.signal,
    progress: (f, m) => progressed.push([f, m]),
    log: () => undefined,
    progressed,
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('CLI adapter: runCommandLine on real shell scripts', () => {
  let dir: string;
  const opts = (commandLine: string, extra: Partial<CliRunnerOptions> = {}): CliRunnerOptions => ({
    command: commandLine,
    timeoutMs: 10_000,
    cwd: dir,
    ...extra,
  });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hakken-cli-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('passes params on stdin and ids in the environment, reads the JSON result and progress lines', async () => {
    const ctx = context();
    const outcome = await runCommandLine(opts(`bash ${example}`), command({ temperature: 80, residence_min: 5 }), ctx);
    expect(outcome).toEqual({ values: { yield: 50 }, metadata: { instrument: 'example-hplc' } });
    expect(ctx.progressed).toEqual([[0.5, 'heating']]);
    await writeFile(join(dir, 'env.sh'), 'echo "{\\"attempt\\": $HAKKEN_ATTEMPT, \\"len\\": $(wc -c)}"\n');
    expect(await runCommandLine(opts('sh env.sh'), command({ a: 1 }), context())).toEqual({ values: { attempt: 2, len: 8 } });
  });

  it('a non-zero exit fails the experiment with the tail of stderr', async () => {
    const outcome = await runCommandLine(opts(`bash ${example}`), command({ temperature: 200, residence_min: 5 }), context());
    expect(outcome).toEqual({
      failed: { scope: 'experiment', reason: expect.stringMatching(/^exit code 3: .*reactor pressure above limit at 200 C$/s) },
    });
    const long = await runCommandLine(
      opts(`for i in $(seq 1 500); do echo "line $i of noise" >&2; done; echo "final cause" >&2; exit 1`),
      command({}),
      context(),
    );
    expect(long).toMatchObject({ failed: { scope: 'experiment' } });
    if (!('failed' in long)) throw new Error('expected a failure');
    expect(long.failed.reason.length).toBeLessThanOrEqual(2100);
    expect(long.failed.reason).toMatch(/final cause$/);
  });

  it('a timeout is a device failure and kills the whole process group', async () => {
    const pidFile = join(dir, 'child.pid');
    const started = Date.now();
    const outcome = await runCommandLine(
      opts(`sleep 30 & echo $! > ${pidFile}; wait`, { timeoutMs: 300, killGraceMs: 500 }),
      command({}),
      context(),
    );
    expect(outcome).toEqual({ failed: { scope: 'device', reason: 'command timed out after 0.3 s and was killed' } });
    expect(Date.now() - started).toBeLessThan(5000);
    const pid = Number(await readFile(pidFile, 'utf8'));
    await waitFor(() => !isAlive(pid), 'the background sleep to be killed', 3000);
  });

  it('a script ignoring SIGTERM is killed after the grace period', async () => {
    const outcome = await runCommandLine(opts(`trap "" TERM; sleep 30`, { timeoutMs: 200, killGraceMs: 200 }), command({}), context());
    expect(outcome).toMatchObject({ failed: { scope: 'device' } });
  });

  it('exit 0 without a JSON result is a device failure; a stated failure is an experiment failure', async () => {
    expect(await runCommandLine(opts('echo hello'), command({}), context())).toEqual({
      failed: { scope: 'device', reason: 'command exited 0 without a valid result on stdout: expected a JSON object, got "hello"' },
    });
    expect(await runCommandLine(opts(`echo 'log line'; echo '{"failed": {"reason": "no crystals"}}'`), command({}), context())).toEqual({
      failed: { scope: 'experiment', reason: 'no crystals' },
    });
  });

  it('a stopping device kills the command and rejects (reported as a device failure)', async () => {
    const controller = new AbortController();
    const running = runCommandLine(opts('sleep 30', { killGraceMs: 200 }), command({}), context(controller));
    controller.abort(new Error('stop'));
    await expect(running).rejects.toThrow(/device is stopping/);
  });

  it('refuses an empty command or timeout', () => {
    expect(() => cliRunHandler({ command: ' ', timeoutMs: 1 })).toThrow(/command is empty/);
    expect(() => cliRunHandler({ command: 'true', timeoutMs: 0 })).toThrow(/timeoutMs must be positive/);
  });

  describe('over MQTT', () => {
    let h: DeviceHarness;
    beforeEach(async () => {
      h = await DeviceHarness.start('cli');
    });
    afterEach(async () => {
      await h.close();
    });

    it('runs experiments through a DeviceClient: result, experiment failure, rejection by limits', async () => {
      const deviceId = h.nextId();
      const device = h.track(
        deviceId,
        new DeviceClient({
          url: h.url,
          deviceId,
          kind: 'cli-rig',
          resendIntervalMs: 200,
          capabilities: { parameters: { temperature: { low: 20, high: 250 }, residence_min: { low: 1, high: 30 } }, objectives: ['yield'] },
          run: cliRunHandler({ command: `bash ${example}`, timeoutMs: 10_000 }),
        }),
      );
      await device.start();
      await h.service.sendRun(deviceId, 'ok', { temperature: 80, residence_min: 10 });
      await h.service.sendRun(deviceId, 'hot', { temperature: 200, residence_min: 10 });
      await h.service.sendRun(deviceId, 'unsafe', { temperature: 400, residence_min: 10 });
      await waitFor(
        () => device.stats.acksReceived === 2 && h.service.eventsOf('unsafe', 'rejected').length === 1,
        'two reports and a rejection',
      );
      expect(h.service.eventsOf('ok', 'result')[0]).toMatchObject({ values: { yield: 100 } });
      expect(h.service.eventsOf('ok', 'progress')[0]).toMatchObject({ fraction: 0.5, message: 'heating' });
      expect(h.service.eventsOf('hot', 'failed')[0]).toMatchObject({
        scope: 'experiment',
        reason: expect.stringContaining('pressure above limit'),
      });
      expect(h.service.eventsOf('unsafe', 'rejected')).toHaveLength(1);
    });
  });
});
