import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parseMessage, type FailedEvent, type ResultEvent } from '#protocol';
import type { DeviceLogger } from './device-client.types.js';

/** A final event: the device keeps it until the service acknowledges it. */
export type FinalEvent = ResultEvent | FailedEvent;

interface OutboxEntry {
  event: FinalEvent;
  /** Date.now() of the last publish; 0 = never sent. */
  lastSentAt: number;
}

interface OutboxFile {
  v: 1;
  events: unknown[];
  /** Acknowledged experiments, oldest first (absent in files written before it was added). */
  acked?: unknown[];
  /** Reports the service answered `conflict`, oldest first (absent in files written before it was added). */
  conflicts?: unknown[];
}

/**
 * A report the service kept apart: the experiment had already ended with another outcome (a forged
 * report stored first, a re-run). Not re-sent; kept here so that the rig's own value is not lost.
 */
export interface ConflictingReport {
  event: FinalEvent;
  /** The id the service keeps it under. */
  reportId?: string;
  /** The service's explanation. */
  message?: string;
}

export interface AckedExperiment {
  experimentId: string;
  attempt: number;
}

/**
 * Final events waiting for the service's ack, and the bounded list of
 * acknowledged experiment ids (so a late duplicate command, even after a
 * restart, is answered instead of run again). Optionally persisted to a JSON
 * file (written to a temporary file, then renamed, so a crash never leaves a
 * half-written outbox). Writes are serialised in call order.
 */
export class Outbox {
  private readonly entries = new Map<string, OutboxEntry>();
  /** Acknowledged experiments (id -> attempt), oldest first, at most `rememberAcked`. */
  private readonly acked = new Map<string, number>();
  private readonly conflicting: ConflictingReport[] = [];
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly file: string | undefined,
    private readonly log: DeviceLogger,
    private readonly rememberAcked = 10_000,
  ) {}

  /** The attempt of an acknowledged experiment still remembered, else undefined. */
  ackedAttempt(experimentId: string): number | undefined {
    return this.acked.get(experimentId);
  }

  /** Moves an event out of the outbox into the acknowledged list; false when it was not there. */
  acknowledge(experimentId: string): boolean {
    const entry = this.entries.get(experimentId);
    if (!entry) return false;
    this.entries.delete(experimentId);
    this.remember(experimentId, entry.event.attempt ?? 1);
    void this.persist();
    return true;
  }

  /** Moves an event answered `conflict` out of the outbox into the kept conflicting reports (at most `rememberAcked`). */
  keepConflicting(experimentId: string, reportId?: string, message?: string): boolean {
    const event = this.entries.get(experimentId)?.event;
    if (!this.acknowledge(experimentId) || !event) return false;
    this.conflicting.push({ event, ...(reportId ? { reportId } : {}), ...(message ? { message } : {}) });
    if (this.conflicting.length > this.rememberAcked) this.conflicting.shift();
    void this.persist();
    return true;
  }

  /** Reports the service answered `conflict`, oldest first. */
  conflicts(): ConflictingReport[] {
    return [...this.conflicting];
  }

  /** Forgets an experiment entirely (the service re-dispatched it with a higher attempt). */
  forget(experimentId: string): void {
    const removed = this.entries.delete(experimentId);
    if (this.acked.delete(experimentId) || removed) void this.persist();
  }

  private remember(experimentId: string, attempt: number): void {
    this.acked.delete(experimentId);
    this.acked.set(experimentId, attempt);
    while (this.acked.size > this.rememberAcked) {
      const oldest = this.acked.keys().next().value;
      if (oldest === undefined) break;
      this.acked.delete(oldest);
    }
  }

  get size(): number {
    return this.entries.size;
  }

  has(experimentId: string): boolean {
    return this.entries.has(experimentId);
  }

  get(experimentId: string): FinalEvent | undefined {
    return this.entries.get(experimentId)?.event;
  }

  events(): FinalEvent[] {
    return [...this.entries.values()].map((e) => e.event);
  }

  /** Events not sent within the last `intervalMs`. */
  due(nowMs: number, intervalMs: number): FinalEvent[] {
    return [...this.entries.values()].filter((e) => nowMs - e.lastSentAt >= intervalMs).map((e) => e.event);
  }

  /** Records a publish; true when the event had been sent before (a re-send). */
  markSent(experimentId: string, nowMs: number): boolean {
    const entry = this.entries.get(experimentId);
    if (!entry) return false;
    const resent = entry.lastSentAt > 0;
    entry.lastSentAt = nowMs;
    return resent;
  }

  /** Adds (or replaces) an event; resolves once it is on disk when a file is configured. */
  add(event: FinalEvent): Promise<void> {
    this.entries.set(event.experimentId, { event, lastSentAt: 0 });
    return this.persist();
  }

  /** Waits for every pending write. */
  flush(): Promise<void> {
    return this.writing;
  }

  /**
   * Loads the persisted outbox. A missing file is an empty outbox; an
   * unreadable one is moved aside to `<file>.corrupt` (kept for inspection)
   * and the device starts with an empty outbox.
   */
  async load(): Promise<number> {
    if (!this.file) return 0;
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw new Error(`cannot read outbox file ${this.file}: ${(err as Error).message}`, { cause: err });
    }
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (err) {
      await this.quarantine(`not JSON (${(err as Error).message})`);
      return 0;
    }
    if (!isOutboxFile(data)) {
      await this.quarantine('not an outbox file of version 1');
      return 0;
    }
    let loaded = 0;
    for (const raw of data.events) {
      const parsed = parseMessage('events', JSON.stringify(raw));
      if (!parsed.ok || (parsed.value.type !== 'result' && parsed.value.type !== 'failed')) {
        this.log('warn', `outbox file ${this.file}: dropping an invalid entry: ${parsed.ok ? `type ${parsed.value.type}` : parsed.error}`);
        continue;
      }
      this.entries.set(parsed.value.experimentId, { event: parsed.value, lastSentAt: 0 });
      loaded++;
    }
    for (const raw of data.conflicts ?? []) {
      const c = raw as { event?: unknown; reportId?: unknown; message?: unknown } | null;
      const parsed = c?.event ? parseMessage('events', JSON.stringify(c.event)) : undefined;
      if (parsed?.ok && (parsed.value.type === 'result' || parsed.value.type === 'failed'))
        this.conflicting.push({
          event: parsed.value,
          ...(typeof c?.reportId === 'string' ? { reportId: c.reportId } : {}),
          ...(typeof c?.message === 'string' ? { message: c.message } : {}),
        });
    }
    for (const raw of data.acked ?? []) {
      if (isAcked(raw)) this.remember(raw.experimentId, raw.attempt);
      else this.log('warn', `outbox file ${this.file}: dropping an invalid acknowledged entry ${JSON.stringify(raw).slice(0, 200)}`);
    }
    return loaded;
  }

  private async quarantine(why: string): Promise<void> {
    const file = this.file as string;
    this.log('error', `outbox file ${file} is unreadable (${why}); moved to ${file}.corrupt, starting with an empty outbox`);
    await rename(file, `${file}.corrupt`);
  }

  private persist(): Promise<void> {
    const file = this.file;
    if (!file) return Promise.resolve();
    const acked: AckedExperiment[] = [...this.acked].map(([experimentId, attempt]) => ({ experimentId, attempt }));
    const conflicts = this.conflicts();
    // Written only when there are some: a file without conflicts reads as before they were kept.
    const snapshot: OutboxFile = { v: 1, events: this.events(), acked, ...(conflicts.length > 0 ? { conflicts } : {}) };
    const write = async () => {
      const tmp = `${file}.tmp`;
      await mkdir(dirname(file), { recursive: true });
      await writeFile(tmp, JSON.stringify(snapshot), 'utf8');
      await rename(tmp, file);
    };
    this.writing = this.writing.then(write).catch((err: unknown) => {
      this.log('error', `cannot write outbox file ${file}: ${(err as Error).message}`);
    });
    return this.writing;
  }
}

function isOutboxFile(data: unknown): data is OutboxFile {
  if (typeof data !== 'object' || data === null) return false;
  const d = data as { v?: unknown; events?: unknown; acked?: unknown; conflicts?: unknown };
  return (
    d.v === 1 &&
    Array.isArray(d.events) &&
    (d.acked === undefined || Array.isArray(d.acked)) &&
    (d.conflicts === undefined || Array.isArray(d.conflicts))
  );
}

function isAcked(raw: unknown): raw is AckedExperiment {
  if (typeof raw !== 'object' || raw === null) return false;
  const r = raw as { experimentId?: unknown; attempt?: unknown };
  return typeof r.experimentId === 'string' && r.experimentId.length > 0 && Number.isInteger(r.attempt) && (r.attempt as number) >= 1;
}
