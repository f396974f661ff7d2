/**
 * A pass that never overlaps itself: woken while running, it runs once more
 * right after; many wakes in between make one pass.
 */
export class SerialPass {
  private running?: Promise<void>;
  private again = false;
  stopped = false;

  constructor(
    private readonly pass: () => Promise<void>,
    private readonly onError: (e: unknown) => void,
  ) {}

  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.pass()
      .catch(this.onError)
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          setImmediate(() => this.wake());
        }
      });
  }

  /** Stops waking and waits for the pass in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
  }
}
