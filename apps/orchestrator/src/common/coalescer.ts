/**
 * Gathers work items submitted one by one into groups handled together: while
 * a group is being handled (a database round trip), new items wait and form
 * the next group. An item submitted when nothing is in flight is handled at
 * once, so a quiet service adds no delay; a busy one pays one round trip per
 * group instead of one per item.
 *
 * The handler settles every item of its group (resolve or reject each); if it
 * throws, the items it left unsettled are rejected with that error.
 *
 * Written here rather than taken from a library: the batching libraries on npm
 * (dataloader and the like) batch per event-loop tick with a cache keyed by
 * id, while ingestion needs "handle now when idle, gather while busy", at most
 * a few groups in flight, and every submission answered on its own.
 */
export interface Pending<I, O> {
  readonly item: I;
  resolve(value: O): void;
  reject(error: unknown): void;
}

export interface CoalescerOptions {
  /** Groups handled at the same time (each on its own database connection). */
  maxInFlight: number;
  /** Largest group; more waiting items form further groups. */
  maxGroup: number;
}

export class Coalescer<I, O> {
  private waiting: Pending<I, O>[] = [];
  private inFlight = 0;
  private readonly idle = new Set<() => void>();

  constructor(
    private readonly handle: (group: readonly Pending<I, O>[]) => Promise<void>,
    private readonly options: CoalescerOptions,
  ) {
    if (!(options.maxInFlight >= 1 && options.maxGroup >= 1)) throw new Error('a coalescer needs maxInFlight >= 1 and maxGroup >= 1');
  }

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      this.pump();
    });
  }

  /** Items waiting or being handled. */
  get size(): number {
    return this.waiting.length + this.inFlight;
  }

  /** Resolves once nothing is waiting or in flight. */
  drained(): Promise<void> {
    if (this.waiting.length === 0 && this.inFlight === 0) return Promise.resolve();
    return new Promise((r) => this.idle.add(r));
  }

  private pump(): void {
    while (this.inFlight < this.options.maxInFlight && this.waiting.length > 0) {
      const group = this.waiting.splice(0, this.options.maxGroup);
      this.inFlight++;
      void this.run(group);
    }
  }

  private async run(group: Pending<I, O>[]): Promise<void> {
    // Each entry settles once; the wrapper tells which ones the handler left open.
    const open = new Set(group);
    const tracked = group.map<Pending<I, O>>((p) => ({
      item: p.item,
      resolve: (v) => {
        if (open.delete(p)) p.resolve(v);
      },
      reject: (e) => {
        if (open.delete(p)) p.reject(e);
      },
    }));
    try {
      await this.handle(tracked);
      const unsettled = new Error('the handler left a submission unanswered');
      for (const p of [...open]) p.reject(unsettled);
    } catch (e) {
      for (const p of [...open]) p.reject(e);
    } finally {
      this.inFlight--;
      this.pump();
      if (this.waiting.length === 0 && this.inFlight === 0) {
        for (const r of [...this.idle]) r();
        this.idle.clear();
      }
    }
  }
}
