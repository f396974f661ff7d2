import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { until } from '../../support/poll.js';
import { freePort, listening } from '../../support/processes.js';
import { mosquittoBinary } from '../../security/mosquitto.js';

/**
 * The suite's own Mosquitto: a child process on a free port with a config in a
 * temp folder (anonymous, TCP_NODELAY, persistence in that folder). restart()
 * stops it (SIGTERM: graceful, or SIGKILL: what was queued since the last
 * autosave is lost) and starts it again on the same port.
 */
export class MosquittoProcess {
  private proc: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private log = '';

  private constructor(
    readonly port: number,
    private readonly dir: string,
    private readonly configFile: string,
  ) {}

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  static async start(): Promise<MosquittoProcess> {
    const dir = await mkdtemp(join(tmpdir(), 'hakken-faults-mosquitto-'));
    // The broker may drop root privileges to its own user: let it use this folder.
    await chmod(dir, 0o777);
    const port = await freePort();
    const configFile = join(dir, 'mosquitto.conf');
    const config = [
      'per_listener_settings false',
      'allow_anonymous true',
      `listener ${port} 127.0.0.1`,
      'set_tcp_nodelay true',
      'max_queued_messages 10000',
      'max_inflight_messages 100',
      'persistence true',
      `persistence_location ${dir}/`,
      'autosave_interval 2',
      'log_dest stderr',
      'log_type error',
      'log_type warning',
      '',
    ].join('\n');
    await writeFile(configFile, config, { mode: 0o644 });
    const broker = new MosquittoProcess(port, dir, configFile);
    await broker.launch();
    return broker;
  }

  private async launch(): Promise<void> {
    const proc = spawn(mosquittoBinary(), ['-c', this.configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = proc;
    const collect = (c: Buffer) => {
      this.log = (this.log + c.toString('utf8')).slice(-20_000);
    };
    proc.stdout.on('data', collect);
    proc.stderr.on('data', collect);
    this.exited = new Promise((r) => proc.once('exit', () => r()));
    await until(
      async () => {
        if (proc.exitCode !== null) throw new Error(`mosquitto exited with ${proc.exitCode}: ${this.log}`);
        return (await listening(this.port)) || undefined;
      },
      { timeoutMs: 15_000, intervalMs: 20, what: `mosquitto listening on ${this.port}\n${this.log}` },
    );
  }

  /** Stops the broker and starts it again on the same port once the old one is gone. */
  async restart(signal: 'SIGTERM' | 'SIGKILL', downMs: number): Promise<void> {
    await this.halt(signal);
    await new Promise((r) => setTimeout(r, downMs)); // the deliberate outage
    await this.launch();
  }

  private async halt(signal: NodeJS.Signals): Promise<void> {
    const proc = this.proc;
    if (proc && proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
    await this.exited;
  }

  async stop(): Promise<void> {
    await this.halt('SIGTERM');
    await rm(this.dir, { recursive: true, force: true });
  }
}
