/** Gives back a slot taken from a SlotPool; calling it twice gives back one slot only. */
export type ReleaseSlot = () => void;

/**
 * The run's concurrency limit, shared by blocks and dynamic children: work waits for a slot first-come
 * first-served. Once `signal` aborts, waiting and later callers get no slot (undefined) at once.
 */
export class SlotPool {
  private free: number;
  private readonly waiters: ((release: ReleaseSlot | undefined) => void)[] = [];

  constructor(
    size: number,
    private readonly signal: AbortSignal,
  ) {
    this.free = Math.max(1, size);
    signal.addEventListener(
      'abort',
      () => {
        for (const wake of this.waiters.splice(0)) wake(undefined);
      },
      { once: true },
    );
  }

  /** Resolves with a release function once a slot is free, or undefined when the run was cancelled. */
  acquire(): Promise<ReleaseSlot | undefined> {
    if (this.signal.aborted) return Promise.resolve(undefined);
    if (this.free > 0) {
      this.free--;
      return Promise.resolve(this.releaser());
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Runs `work` in a slot; resolves undefined without running it when the run was cancelled first. */
  async run<T>(work: () => Promise<T>): Promise<T | undefined> {
    const release = await this.acquire();
    if (!release) return undefined;
    try {
      return await work();
    } finally {
      release();
    }
  }

  private releaser(): ReleaseSlot {
    let isReleased = false;
    return () => {
      if (isReleased) return;
      isReleased = true;
      const next = this.waiters.shift();
      // A freed slot passes straight to the next waiter, so nobody overtakes the queue.
      if (next) next(this.releaser());
      else this.free++;
    };
  }
}
