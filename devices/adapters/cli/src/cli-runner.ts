import { spawn } from 'node:child_process';
import type { RunCommand } from '#protocol';
import { parseRigResult, RunAborted, type RunContext, type RunHandler, type RunOutcome } from '#device-sdk';

export interface CliRunnerOptions {
  /** Command line, run by `/bin/sh -c` in its own process group. */
  command: string;
  /** Wall-clock limit per experiment; past it the process group is killed and the device failure reported. */
  timeoutMs: number;
  /** Between SIGTERM and SIGKILL of the process group, on timeout or stop. Default 2000 ms. */
  killGraceMs?: number;
  cwd?: string;
  /** Extra environment variables (added to this process's environment). */
  env?: Record<string, string>;
}

const MAX_STDOUT = 1024 * 1024;
const STDERR_TAIL = 2000;
const PROGRESS_LINE = /^progress[:\s]+(\d*\.?\d+(?:e-?\d+)?)\s*(.*)$/i;

/**
 * A run handler that runs a command line per experiment. The params go in as
 * one JSON object on stdin (also HAKKEN_EXPERIMENT_ID, HAKKEN_ATTEMPT and
 * HAKKEN_CAMPAIGN_ID in the environment); the command prints a JSON result
 * object on stdout (see parseRigResult) and exits 0. A stderr line
 * `progress 0.4 some text` is reported as progress.
 *
 *   exit 0 with a valid result      -> result (or an experiment failure it states)
 *   exit 0 without a valid result   -> device failure (the rig script is broken)
 *   non-zero exit or killed         -> experiment failure, the reason is stderr's tail
 *   timeout                         -> device failure; the whole process group is killed
 *   device stopping, or the service aborts the experiment or stops the device -> the process group is killed
 */
export function cliRunHandler(options: CliRunnerOptions): RunHandler {
  if (!options.command.trim()) throw new Error('cli adapter: the command is empty');
  if (!(options.timeoutMs > 0)) throw new Error(`cli adapter: timeoutMs must be positive, got ${options.timeoutMs}`);
  return (command, ctx) => runCommandLine(options, command, ctx);
}

export function runCommandLine(options: CliRunnerOptions, command: RunCommand, ctx: RunContext): Promise<RunOutcome> {
  const graceMs = options.killGraceMs ?? 2000;
  return new Promise<RunOutcome>((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', options.command], {
      cwd: options.cwd,
      detached: true, // own process group, so a timeout kills the script and everything it started
      stdio: ['pipe', 'pipe', 'pipe'],
      env: {
        ...process.env,
        ...options.env,
        HAKKEN_EXPERIMENT_ID: command.experimentId,
        HAKKEN_ATTEMPT: String(command.attempt),
        HAKKEN_CAMPAIGN_ID: command.campaignId,
      },
    });
    let stdout = '';
    let stdoutOverflow = false;
    let stderrTail = '';
    let stderrLine = '';
    let ending: 'timeout' | 'stopped' | undefined;
    let killTimer: NodeJS.Timeout | undefined;

    const killGroup = (why: 'timeout' | 'stopped') => {
      if (ending) return;
      ending = why;
      signalGroup(child.pid, 'SIGTERM');
      killTimer = setTimeout(() => signalGroup(child.pid, 'SIGKILL'), graceMs);
    };
    const timer = setTimeout(() => killGroup('timeout'), options.timeoutMs);
    const onAbort = () => killGroup('stopped');
    ctx.signal.addEventListener('abort', onAbort, { once: true });

    child.stdin.on('error', () => undefined); // a command that does not read stdin closes it early (EPIPE)
    child.stdin.end(`${JSON.stringify(command.params)}\n`);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      if (stdout.length + chunk.length > MAX_STDOUT) stdoutOverflow = true;
      else stdout += chunk;
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderrTail = (stderrTail + chunk).slice(-STDERR_TAIL);
      const lines = (stderrLine + chunk).split('\n');
      stderrLine = lines.pop() ?? '';
      for (const line of lines) {
        const m = PROGRESS_LINE.exec(line.trim());
        if (m) ctx.progress(Number(m[1]), m[2] || undefined);
      }
    });

    child.on('error', (err) => {
      cleanup();
      resolve({ failed: { scope: 'device', reason: `cannot run "${options.command}": ${err.message}` } });
    });
    child.on('close', (code, signal) => {
      cleanup();
      if (ending === 'stopped')
        return reject(
          new Error(
            ctx.signal.reason instanceof RunAborted
              ? `the command was killed (${ctx.signal.reason.message})`
              : 'the device is stopping; the command was killed',
          ),
        );
      if (ending === 'timeout')
        return resolve({ failed: { scope: 'device', reason: `command timed out after ${options.timeoutMs / 1000} s and was killed` } });
      if (code !== 0) {
        const how = signal ? `killed by ${signal}` : `exit code ${code}`;
        const tail = stderrTail.trim();
        return resolve({ failed: { scope: 'experiment', reason: tail ? `${how}: ${tail}` : `${how} (stderr was empty)` } });
      }
      if (stdoutOverflow)
        return resolve({ failed: { scope: 'device', reason: `command printed more than ${MAX_STDOUT} bytes on stdout` } });
      const parsed = parseRigResult(stdout);
      resolve(
        parsed.ok
          ? parsed.outcome
          : { failed: { scope: 'device', reason: `command exited 0 without a valid result on stdout: ${parsed.error}` } },
      );
    });

    function cleanup(): void {
      clearTimeout(timer);
      clearTimeout(killTimer);
      ctx.signal.removeEventListener('abort', onAbort);
    }
  });
}

function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is gone already
  }
}
