import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

/** The optimizer broke the protocol (crash, stray output, timeout, an error reply): the run fails with this reason. */
export class ProtocolError extends Error {
  override name = 'ProtocolError';
}

/**
 * An optimizer command speaking the ask/tell protocol on its stdin/stdout,
 * one JSON object per line, one reply per request. Its stderr is kept (the
 * last lines say why it crashed).
 */
export class OptimizerProcess {
  private readonly child: ChildProcess;
  private readonly lines: string[] = [];
  private waiting: ((line: string | undefined) => void) | undefined;
  private ended = false;
  private stderrTail = '';

  constructor(command: string) {
    this.child = spawn(command, { shell: true, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr?.on('data', (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString('utf8')).slice(-2000);
    });
    this.child.on('error', (e) => {
      this.stderrTail += `\n${e.message}`;
      this.finish();
    });
    const rl = createInterface({ input: this.child.stdout!, crlfDelay: Infinity });
    rl.on('line', (line) => {
      if (this.waiting) {
        const deliver = this.waiting;
        this.waiting = undefined;
        deliver(line);
      } else this.lines.push(line);
    });
    rl.on('close', () => this.finish());
  }

  /** Sends one request and returns its reply, or throws a ProtocolError. */
  async request(message: Record<string, unknown>, timeoutMs: number): Promise<Record<string, unknown>> {
    if (this.ended) throw new ProtocolError(`the optimizer exited before "${String(message.op)}"${this.why()}`);
    this.child.stdin?.write(`${JSON.stringify(message)}\n`);
    const line = await this.nextLine(timeoutMs, String(message.op));
    let reply: unknown;
    try {
      reply = JSON.parse(line);
    } catch {
      throw new ProtocolError(`a line on stdout that is not JSON: ${line.slice(0, 200)}`);
    }
    if (typeof reply !== 'object' || reply === null || Array.isArray(reply))
      throw new ProtocolError(`a reply that is not an object: ${line.slice(0, 200)}`);
    const record = reply as Record<string, unknown>;
    if ('error' in record) throw new ProtocolError(`the optimizer answered an error: ${String(record.error)}`);
    return record;
  }

  /** Ends the process (close was sent, or the run failed) and waits for it. */
  async stop(): Promise<void> {
    this.child.stdin?.end();
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise<void>((r) => this.child.once('close', () => r()));
      const kill = setTimeout(() => this.child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(kill);
    }
  }

  private nextLine(timeoutMs: number, op: string): Promise<string> {
    const queued = this.lines.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((resolveLine, reject) => {
      const timer = setTimeout(() => {
        this.waiting = undefined;
        this.child.kill('SIGKILL');
        reject(new ProtocolError(`no reply to "${op}" within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      this.waiting = (line) => {
        clearTimeout(timer);
        if (line === undefined) reject(new ProtocolError(`the optimizer exited during "${op}"${this.why()}`));
        else resolveLine(line);
      };
    });
  }

  private finish(): void {
    this.ended = true;
    const deliver = this.waiting;
    this.waiting = undefined;
    deliver?.(undefined);
  }

  private why(): string {
    const tail = this.stderrTail.trim().split('\n').slice(-4).join(' | ');
    return tail ? `: ${tail}` : '';
  }
}
